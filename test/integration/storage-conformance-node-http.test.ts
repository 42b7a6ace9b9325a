import { conformanceSuite } from './storage-conformance.js';

conformanceSuite('node-http');

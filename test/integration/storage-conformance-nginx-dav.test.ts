import { conformanceSuite } from './storage-conformance.js';

conformanceSuite('nginx-dav');

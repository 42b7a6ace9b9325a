import { conformanceSuite } from './storage-conformance.js';

conformanceSuite('sshd');

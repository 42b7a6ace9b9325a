import { roundtripSuite } from './storage-roundtrip.js';

roundtripSuite('local', { files: 2000, bigMiB: 300 });

import { roundtripSuite } from './storage-roundtrip.js';

// 2,000 files + 64 MiB in npm test; GEODVC_FULL_TRANSFER=1 runs the 2,000 files + 300 MiB
roundtripSuite('local', { files: 2000, bigMiB: 64 });

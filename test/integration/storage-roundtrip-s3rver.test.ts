import { roundtripSuite } from './storage-roundtrip.js';

// reduced sizes in npm test; GEODVC_FULL_TRANSFER=1 runs 2,000 files + 300 MiB
roundtripSuite('s3rver', { files: 200, bigMiB: 20 });

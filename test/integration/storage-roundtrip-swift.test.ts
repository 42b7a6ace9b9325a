import { roundtripSuite } from './storage-roundtrip.js';

// reduced sizes in npm test; GEODVC_FULL_TRANSFER=1 runs 2,000 files + 300 MiB
roundtripSuite('swift', { files: 150, bigMiB: 24 });

import { roundtripSuite } from './storage-roundtrip.js';

// Swift takes 10-60 s to start and ~300 MB of RAM: its everyday coverage is the conformance suite
// (storage-conformance-swift); the round trip runs with GEODVC_FULL_TRANSFER=1 (2,000 files + 300 MiB).
if (process.env.GEODVC_FULL_TRANSFER === '1') roundtripSuite('swift', { files: 150, bigMiB: 24 });

import { roundtripSuite } from './storage-roundtrip.js';

// the 2,000 files + 300 MiB, every byte checked after the pull
roundtripSuite('azurite');

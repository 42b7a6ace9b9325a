import { conformanceSuite } from './storage-conformance.js';
import { roundtripSuite } from './storage-roundtrip.js';
import { sharedServer } from './storage-shared-server.js';

// Swift + s3api: the S3 server with real signatures, so wrong credentials are refused (403).
// It takes 10-60 s to start: the conformance suite and the 2,000 files + 300 MiB round trip share one.
const start = sharedServer('swift', 2);
conformanceSuite('swift', { missingBucketUrl: () => 's3://no-such-bucket/x', wrongCredentials: { secret_access_key: 'not-the-secret' }, start });
roundtripSuite('swift', { start });

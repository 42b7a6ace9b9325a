import { conformanceSuite } from './storage-conformance.js';

conformanceSuite('s3rver', { missingBucketUrl: () => 's3://no-such-bucket/x' });

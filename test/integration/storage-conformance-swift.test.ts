import { conformanceSuite } from './storage-conformance.js';

// Swift + s3api: the S3 server with real signatures, so wrong credentials are refused (403)
conformanceSuite('swift', { missingBucketUrl: () => 's3://no-such-bucket/x', wrongCredentials: { secret_access_key: 'not-the-secret' } });

import { conformanceSuite } from './storage-conformance.js';

conformanceSuite('gcs-fake', { missingBucketUrl: () => 'gs://no-such-bucket/x' });

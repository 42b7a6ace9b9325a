import { conformanceSuite } from './storage-conformance.js';

conformanceSuite('azurite', { missingBucketUrl: () => 'azure://no-such-container/x' });

/** Public entry points of the pipeline for the CLI and other modules. */
import './geo-diff-register.js'; // registers the 'annotations' dep kinds (docs/annotations.md)
export { reproduce, openPipelineRepo, type ReproOptions, type ReproResult, type StageEvent } from '../pipeline/repro.js';
export { runCacheObjects, runsDir } from '../pipeline/runcache.js';
export { registerDepFingerprinter, type DepFingerprinter } from '../pipeline/fingerprint.js';
export { pipelineStatus } from './stage-status.js';
/** Orphaned stage commands of killed repros (docs/pipelines.md, "Stage supervisor"): `await reapOrphanStages(recordsDir(repo.tmpDir))`. */
export { reapOrphanStages, recordsDir, type ReapedStage } from '../pipeline/supervisor.js';

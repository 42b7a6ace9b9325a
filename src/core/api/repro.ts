/** Public entry points of the pipeline for the CLI and other modules. */
import './geo-diff-register.js'; // registers the 'annotations' dep kinds (docs/annotations.md)
export { reproduce, openPipelineRepo, type ReproOptions, type ReproResult, type StageEvent } from '../pipeline/repro.js';
export { runCacheObjects, runsDir } from '../pipeline/runcache.js';
export { registerDepFingerprinter, type DepFingerprinter } from '../pipeline/fingerprint.js';
export { pipelineStatus } from './stage-status.js';
/** Orphaned stage commands of killed repros (docs/pipelines.md, "Stage supervisor"): `await reapOrphanStages(recordsDir(repo.tmpDir))`. */
export { reapOrphanStages, recordsDir, type ReapedStage } from '../pipeline/supervisor.js';

// --- distributed repro (issue 25, docs/scale-out.md) -------------------------------------------
import type { DistributedOptions, DistributedResult } from '../pipeline/distributed.js';
import type { StageWorkerOptions, StageWorkerResult } from '../pipeline/stage-queue.js';
export type { DistributedResult, StageJobSummary } from '../pipeline/distributed.js';
export type { StageJobInfo } from '../pipeline/stage-queue.js';

/** `repro --queue`: stages as jobs on the Redis queue; the workspace's data is pushed first. */
export async function reproduceQueued(opts: Omit<DistributedOptions, 'pushWorkspace'>): Promise<DistributedResult> {
  const { reproduceDistributed } = await import('../pipeline/distributed.js');
  return reproduceDistributed({
    ...opts,
    pushWorkspace: async (cwd) => {
      const { push } = await import('./push.js');
      const r = await push({ cwd, signal: opts.signal });
      if (r.failed) throw new (await import('../../lib/errors.js')).AppError('push-failed', `could not push ${r.failed} object(s) the workers need`, 1, { hint: 'check the default remote and run `geodvc push`' });
    },
  });
}

/** `queue worker`: takes stage jobs; deps it lacks are pulled into its clone. */
export async function stageWorker(url: string, opts: Omit<StageWorkerOptions, 'pullTargets'>): Promise<StageWorkerResult> {
  const { runStageWorker } = await import('../pipeline/stage-queue.js');
  return runStageWorker(url, {
    ...opts,
    pullTargets: async (root, targets, signal) => {
      const { pull } = await import('./pull.js');
      await pull({ cwd: root, targets, signal });
    },
  });
}

export async function stageQueueStatus(url: string, runId?: string) {
  return (await import('../pipeline/stage-queue.js')).stageQueueStatus(url, runId);
}

export async function stageJobLogs(url: string, jobId: string): Promise<string | undefined> {
  return (await import('../pipeline/stage-queue.js')).stageJobLogs(url, jobId);
}

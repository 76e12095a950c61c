// One backup run (ARCHITECTURE.md, "Data flow of one run"): lease, cameras in parallel (bounded), clips of a
// camera in order, watermark advanced as clips land, lease released, one summary.
import type { PlanSettings } from '../core/clip-plan.js';
import type { ClipSink, ClipSource, StateStore } from '../core/ports.js';
import type { Logger } from '../log.js';
import { backupCamera, startingWatermark } from './camera-backup.js';
import { keepLease } from './lease-keeper.js';
import { runBounded } from './pool.js';
import { RunTally, summaryLine, type RunCounts } from './tally.js';

export interface BackupDependencies {
  source: ClipSource;
  sink: ClipSink;
  state: StateStore;
  logger: Logger;
  clock?: () => number;
}

export interface BackupSettings {
  owner: string;
  leaseMs: number;
  cameraConcurrency: number;
  plan: PlanSettings;
  objectPrefix: string;
  backfillMs: number;
  dryRun: boolean;
  signal?: AbortSignal | undefined;
}

export type RunStatus = 'complete' | 'incomplete' | 'lease-held' | 'aborted';

export interface RunResult {
  status: RunStatus;
  counts: RunCounts;
  durationMs: number;
  summary: string;
  dryRunObjects: string[];
}

/** Exit code of a run: 0 only when every planned clip is in the bucket (or another runner holds the lease). */
export function exitCodeOf(result: RunResult): number {
  return result.status === 'complete' || result.status === 'lease-held' ? 0 : 1;
}

export async function runBackup(deps: BackupDependencies, settings: BackupSettings): Promise<RunResult> {
  const clock = deps.clock ?? Date.now;
  const { state, logger } = deps;
  const startedAt = clock();
  const tally = new RunTally();
  const controller = new AbortController();
  const abort = (reason: string) => {
    if (!controller.signal.aborted) {
      logger.warn({ event: 'job.aborting', reason }, `stopping: ${reason}`);
      controller.abort(new Error(reason));
    }
  };
  const onOuterAbort = () => abort('signal received: finishing cleanly');
  settings.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (settings.signal?.aborted) onOuterAbort();
  logger.info({ event: 'job.start', owner: settings.owner, dryRun: settings.dryRun }, 'backup run starting');

  let leaseKeeper: { stop(): void } | undefined;
  try {
    if (!settings.dryRun) {
      const lease = await state.acquireLease(settings.owner, settings.leaseMs, clock());
      if (!lease.acquired) {
        const until = new Date(lease.heldBy.expiresAt).toISOString();
        const summary = `another runner (${lease.heldBy.owner}) holds the lease until ${until}: nothing to do`;
        logger.info({ event: 'job.lease_held', heldBy: lease.heldBy }, summary);
        return { status: 'lease-held', counts: tally.counts, durationMs: clock() - startedAt, summary, dryRunObjects: [] };
      }
      leaseKeeper = keepLease(state, settings.owner, settings.leaseMs, clock, abort, logger);
    }
    const [cameras, site] = await Promise.all([deps.source.listCameras(), state.read()]);
    tally.add({ cameras: cameras.length });
    if (!settings.dryRun) {
      // Record cameras seen for the first time before any upload, so the document-level watermark (the minimum
      // over cameras, never moving back) accounts for all of them from the start.
      for (const camera of cameras.filter((c) => !site.cameras[c.id])) {
        const start = startingWatermark(undefined, clock(), settings.backfillMs);
        Object.assign(site, await state.advanceCamera({ cameraId: camera.id, name: camera.name, lastTimestamp: start, landed: {}, forgetBefore: 0 }));
      }
    }
    logger.info({ event: 'job.cameras', count: cameras.length, cameras: cameras.map((c) => c.name) }, `${cameras.length} camera(s)`);
    await runBounded(cameras, settings.cameraConcurrency, async (camera) => {
      try {
        await backupCamera(camera, site.cameras[camera.id], {
          ...deps,
          clock,
          plan: settings.plan,
          objectPrefix: settings.objectPrefix,
          backfillMs: settings.backfillMs,
          dryRun: settings.dryRun,
          signal: controller.signal,
          tally,
        });
      } catch (error) {
        tally.add({ failed: 1 });
        logger.error({ event: 'camera.failed', cameraId: camera.id, err: String(error) }, `camera ${camera.name} failed`);
      }
    });
  } finally {
    leaseKeeper?.stop();
    settings.signal?.removeEventListener('abort', onOuterAbort);
    if (leaseKeeper) await finishRun(state, settings.owner, startedAt, clock(), tally.counts, logger);
  }

  const durationMs = clock() - startedAt;
  const counts = tally.counts;
  const status: RunStatus = controller.signal.aborted
    ? 'aborted'
    : counts.failed > 0 || counts.unsupported > 0
      ? 'incomplete'
      : 'complete';
  const summary = summaryLine(counts, durationMs);
  logger.info({ event: 'job.end', status, ...counts, durationMs }, summary);
  return { status, counts, durationMs, summary, dryRunObjects: tally.dryRunObjects };
}

/** Records the run's counters and frees the lease; failures here are logged, never thrown (the lease expires). */
async function finishRun(state: StateStore, owner: string, startedAt: number, finishedAt: number, counts: RunCounts, logger: Logger) {
  const { uploaded, existing, failed, bytes } = counts;
  await state.recordRun({ startedAt, finishedAt, uploaded, existing, failed, bytes }).catch((error: unknown) => {
    logger.warn({ event: 'state.record_failed', err: String(error) }, 'could not record the run counters');
  });
  await state.releaseLease(owner).catch((error: unknown) => {
    logger.warn({ event: 'lease.release_failed', err: String(error) }, 'could not release the lease; it expires on its own');
  });
}

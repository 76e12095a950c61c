// One backup run (ARCHITECTURE.md, "Data flow of one run"): read the state, list every camera's clips; only
// when there is something to write, take the lease, re-read the state and plan against it, upload (several
// clips at once, bounded across cameras), advance each camera's watermark as its clips land, release the lease.
// A run with nothing new makes one state transaction (the read) and no GCS request.
import type { PlanSettings } from '../core/clip-plan.js';
import { DEFAULT_SITE_ID } from '../core/object-name.js';
import type { Camera, ClipSink, ClipSource, SiteState, StateStore } from '../core/ports.js';
import type { Logger } from '../log.js';
import { backupCamera, hasWork, listCamera, planCamera, reportPlan, startingWatermark, type CameraBackupContext, type CameraListing } from './camera-backup.js';
import { keepLease } from './lease-keeper.js';
import { Limiter } from './limiter.js';
import { runBounded } from './pool.js';
import { warnSharedFolders } from './folder-hint.js';
import { isComplete, RunTally, summaryLine, type RunCounts } from './tally.js';

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
  /** Cameras listed and backed up at once. */
  cameraConcurrency: number;
  /** Clip uploads in flight at once, across all cameras. */
  uploadConcurrency: number;
  /** Least time between two state transactions of one camera while its clips land (default 1 s). */
  stateWriteIntervalMs?: number;
  plan: PlanSettings;
  objectPrefix: string;
  /** SITE_ID, part of every object name's tag (default DEFAULT_SITE_ID, as in the configuration). */
  siteId?: string;
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
  const context: CameraBackupContext = {
    ...deps,
    clock,
    plan: settings.plan,
    objectPrefix: settings.objectPrefix,
    siteId: settings.siteId ?? DEFAULT_SITE_ID,
    backfillMs: settings.backfillMs,
    dryRun: settings.dryRun,
    signal: controller.signal,
    tally,
    uploads: new Limiter(settings.uploadConcurrency),
    stateWriteIntervalMs: settings.stateWriteIntervalMs ?? 1000,
  };
  const finish = (status: RunStatus, summary = summaryLine(tally.counts, clock() - startedAt)): RunResult => {
    const durationMs = clock() - startedAt;
    logger.info({ event: 'job.end', status, ...tally.counts, durationMs }, summary);
    return { status, counts: tally.counts, durationMs, summary, dryRunObjects: tally.dryRunObjects };
  };

  let leaseKeeper: { stop(): void } | undefined;
  try {
    const [cameras, seen] = await Promise.all([deps.source.listCameras(), state.read()]);
    tally.add({ cameras: cameras.length });
    logger.info({ event: 'job.cameras', count: cameras.length, cameras: cameras.map((c) => c.name) }, `${cameras.length} camera(s)`);
    warnSharedFolders(cameras, logger);
    const listings = await listAll(cameras, seen.cameras, settings.cameraConcurrency, context);
    const firstPlans = listings.map((listing) => planCamera(listing, seen.cameras[listing.camera.id], settings.backfillMs, settings.plan));
    const newCameras = cameras.filter((camera) => !seen.cameras[camera.id]);
    if (settings.dryRun || (newCameras.length === 0 && !firstPlans.some(hasWork))) {
      // Nothing to write (or a dry run): no lease, no write, no upload.
      for (const planned of firstPlans) {
        reportPlan(planned, context);
        if (settings.dryRun) await backupCamera(planned, context);
      }
      return finish(endStatus(controller.signal, tally.counts));
    }

    const lease = await state.acquireLease(settings.owner, settings.leaseMs, clock());
    if (!lease.acquired) {
      const until = new Date(lease.heldBy.expiresAt).toISOString();
      const summary = `another runner (${lease.heldBy.owner}) holds the lease until ${until}: nothing to do`;
      logger.info({ event: 'job.lease_held', heldBy: lease.heldBy }, summary);
      return finish('lease-held', summary);
    }
    leaseKeeper = keepLease(state, settings.owner, settings.leaseMs, clock, abort, logger);
    // Under the lease, plan against the state as it is now: another runner may have moved it since the read.
    const site = await state.read();
    // Record cameras seen for the first time before any upload, so the document-level watermark (the minimum
    // over cameras, never moving back) accounts for all of them from the start.
    for (const camera of cameras.filter((c) => !site.cameras[c.id])) {
      const start = startingWatermark(undefined, clock(), settings.backfillMs);
      Object.assign(site, await state.advanceCamera({ cameraId: camera.id, name: camera.name, lastTimestamp: start, landed: {}, forgetBefore: 0 }));
    }
    await runBounded(listings, settings.cameraConcurrency, async (listing) => {
      const planned = planCamera(listing, site.cameras[listing.camera.id], settings.backfillMs, settings.plan);
      reportPlan(planned, context);
      try {
        await backupCamera(planned, context);
      } catch (error) {
        tally.add({ failed: 1 });
        logger.error({ event: 'camera.failed', cameraId: listing.camera.id, err: String(error) }, `camera ${listing.camera.name} failed`);
      }
    });
    return finish(endStatus(controller.signal, tally.counts));
  } finally {
    leaseKeeper?.stop();
    settings.signal?.removeEventListener('abort', onOuterAbort);
    if (leaseKeeper) await finishRun(state, settings.owner, startedAt, clock(), tally.counts, logger);
  }
}

function endStatus(signal: AbortSignal, counts: RunCounts): RunStatus {
  if (signal.aborted) return 'aborted';
  return isComplete(counts) ? 'complete' : 'incomplete';
}

/** Lists every camera (bounded); a camera whose listing fails is counted as failed and left out of this run. */
async function listAll(cameras: Camera[], stored: SiteState['cameras'], concurrency: number, context: CameraBackupContext): Promise<CameraListing[]> {
  const listings: CameraListing[] = [];
  await runBounded(cameras, concurrency, async (camera) => {
    try {
      listings.push(await listCamera(camera, stored[camera.id], context));
    } catch (error) {
      context.tally.add({ failed: 1 });
      context.logger.error({ event: 'camera.failed', cameraId: camera.id, err: String(error) }, `camera ${camera.name}: listing failed`);
    }
  });
  return listings.sort((a, b) => cameras.indexOf(a.camera) - cameras.indexOf(b.camera));
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

// One backup run (ARCHITECTURE.md, "Data flow of one run"): read the state, list every camera's clips; only
// when there is something to write, take the lease (its transaction hands back the state it read) and plan
// against that state, upload (several clips at once, bounded across cameras), advance each camera's watermark as
// its clips land, and end with one transaction that stores the cameras' last advances, the run's counters and
// the lease's release. A run with nothing new makes one state transaction (the read) and no GCS request. The
// watch, which saw work due and holds the state, starts a run without the read and with the lease taken while
// Scrypted lists, and starts the uploads before the lease's answer, creating nothing until it has it
// (uploads-ahead.ts).
import type { PlanSettings } from '../core/clip-plan.js';
import { DEFAULT_SITE_ID } from '../core/object-name.js';
import type { Camera, ClipSink, ClipSource, SiteState, StateStore } from '../core/ports.js';
import { FUTURE_TOLERANCE_MS, isoOrRaw, MAX_CAMERA_ID_CHARS } from '../core/state-limits.js';
import { untrustworthyLease } from '../core/state-repair.js';
import type { Logger } from '../log.js';
import { backupCamera, hasWork, type FinalAdvance, listCamera, planCamera, reportAndBackUp, reportPlan, startingWatermark, type CameraBackupContext, type CameraListing } from './camera-backup.js';
import { keepLease } from './lease-keeper.js';
import { Limiter } from './limiter.js';
import { runBounded } from './pool.js';
import { startUploadsAhead } from './uploads-ahead.js';
import { warnSharedFolders } from './folder-hint.js';
import { isComplete, RunTally, summaryLine, type RunCounts } from './tally.js';

export interface BackupDependencies {
  source: ClipSource;
  sink: ClipSink;
  state: StateStore;
  logger: Logger;
  clock?: () => number;
  /**
   * The state the run starts from instead of reading it: a read `run` started while it built the GCS client (a
   * process's first Firestore call is its slowest), or the state the watch's last transaction returned, its
   * `readAt` moved on to now by the time since (so the clock check still compares with the store's clock now).
   * Without it the run reads the state itself.
   */
  firstRead?: Promise<SiteState> | undefined;
  /**
   * The caller saw a clip due (the watch): the run takes the lease while it lists, instead of after, and plans
   * against the lease's read as always. If the listing finds nothing to do after all, the run's record frees it.
   */
  workDue?: boolean;
}

export interface BackupSettings {
  owner: string;
  leaseMs: number;
  /** Cameras listed and backed up at once. */
  cameraConcurrency: number;
  /** Clip uploads in flight at once, across all cameras. */
  uploadConcurrency: number;
  /**
   * Least time between two state transactions of one camera while its clips land (default 5 s). Each costs 12-20 ms
   * of CPU; at 1 s a slow link's batch made one a clip (docs/benchmarks.md, "Small-clip CPU on slow links").
   */
  stateWriteIntervalMs?: number;
  plan: PlanSettings;
  objectPrefix: string;
  /** SITE_ID, part of every object name's tag (default DEFAULT_SITE_ID, as in the configuration). */
  siteId?: string;
  backfillMs: number;
  dryRun: boolean;
  signal?: AbortSignal | undefined;
  /** The bucket, named in the message of a run that stops because it cannot write there. */
  destination?: string;
}

/** `refused`: the state document belongs to another bucket (exit 2, nothing written). */
export type RunStatus = 'complete' | 'incomplete' | 'lease-held' | 'aborted' | 'refused';

export interface RunResult {
  status: RunStatus;
  counts: RunCounts;
  durationMs: number;
  summary: string;
  dryRunObjects: string[];
  /**
   * The state document as the run's last transaction (its counters, the lease's release) wrote it; undefined when
   * the run wrote no record (nothing to do, no lease) or the record failed. Saves the caller a read.
   */
  state?: SiteState | undefined;
}

/** Exit code of a run: 0 only when every planned clip is in the bucket (or another runner holds the lease). */
export function exitCodeOf(result: RunResult): number {
  if (result.status === 'refused') return 2;
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
  /** Why the run ended early (one message for one cause), if it did. */
  let stopReason: string | undefined;
  const stop = (reason: string) => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    abort(reason);
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
    stateWriteIntervalMs: settings.stateWriteIntervalMs ?? 5000,
    destination: settings.destination ?? 'the configured bucket',
    stop,
  };
  /** The result `finish` made; `finally` adds the state the run's record wrote. */
  let ended: RunResult | undefined;
  const finish = (status: RunStatus, summary = summaryLine(tally.counts, clock() - startedAt)): RunResult => {
    const durationMs = clock() - startedAt;
    if (stopReason !== undefined) {
      status = 'incomplete';
      summary = `${summary}\nstopped: ${stopReason}`;
    }
    logger.info({ event: 'job.end', status, ...tally.counts, durationMs }, summary);
    ended = { status, counts: tally.counts, durationMs, summary, dryRunObjects: tally.dryRunObjects };
    return ended;
  };

  let leaseKeeper: { stop(): void } | undefined;
  /** Cameras whose clips this run listed: recorded as listed, so they keep holding the site's lastTimestamp. */
  const listedIds: string[] = [];
  /** The cameras' last watermark advances, stored with the run's record. */
  const finals: FinalAdvance[] = [];
  /** The run's record, once started under the lease: what it wrote, or undefined if it failed. */
  let ending: Promise<SiteState | undefined> | undefined;
  /** Records the run (with the last advances) and frees the lease, once; what the record wrote, if it did. */
  const endUnderLease = (): Promise<SiteState | undefined> => {
    leaseKeeper?.stop();
    ending ??= leaseKeeper ? finishRun(state, settings.owner, startedAt, clock(), tally.counts, listedIds, finals, logger) : Promise.resolve(undefined);
    return ending;
  };
  try {
    const [listedCameras, seen] = await Promise.all([deps.source.listCameras(), deps.firstRead ?? state.read()]);
    const cameras = acceptedCameras(listedCameras, context);
    const otherBucket = bucketMismatch(seen, settings.destination, settings.siteId ?? DEFAULT_SITE_ID);
    if (otherBucket) {
      logger.error({ event: 'state.other_bucket', stateBucket: seen.bucket, bucket: settings.destination }, otherBucket);
      return finish('refused', otherBucket);
    }
    reportRepairs(seen, logger);
    const skew = clockSkew(seen, clock());
    if (skew) {
      logger.error({ event: 'clock.skewed', runnerClock: clock(), storeClock: seen.readAt }, skew);
      tally.add({ cameras: cameras.length, failed: 1 });
      return finish('incomplete', skew);
    }
    tally.add({ cameras: cameras.length });
    logger.info({ event: 'job.cameras', count: cameras.length, cameras: cameras.map((c) => c.name) }, `${cameras.length} camera(s)`);
    warnSharedFolders(cameras, logger);
    const distrust = seen.lease && seen.lease.owner !== settings.owner ? untrustworthyLease(seen.lease, clock(), settings.leaseMs) : undefined;
    const takeLease = () => {
      if (distrust) logger.warn({ event: 'lease.untrusted', heldBy: seen.lease }, distrust);
      // The lease's transaction also records every camera the state does not hold yet, before any upload, so the
      // site's watermark (the minimum over cameras, never moving back) accounts for all of them from the start.
      const now = clock();
      const starting = startingWatermark(undefined, now, settings.backfillMs);
      return state.acquireLease(settings.owner, settings.leaseMs, now, cameras.map((camera) => ({ cameraId: camera.id, name: camera.name, lastTimestamp: starting, at: now })));
    };
    // With work due, the lease's transaction crosses the uplink while Scrypted lists (a local call).
    const early = deps.workDue && !settings.dryRun ? takeLease() : undefined;
    early?.catch(() => undefined); // awaited below; this only keeps it from being unhandled while the listing runs
    const listings = await listAll(cameras, seen.cameras, settings.cameraConcurrency, context);
    listedIds.push(...listings.map((listing) => listing.camera.id));
    const firstPlans = listings.map((listing) => planCamera(listing, seen.cameras.get(listing.camera.id), settings.backfillMs, settings.plan));
    const newCameras = cameras.filter((camera) => !seen.cameras.has(camera.id));
    const nothingToWrite = newCameras.length === 0 && !firstPlans.some(hasWork);
    if (settings.dryRun || (nothingToWrite && early === undefined)) {
      // Nothing to write (or a dry run): no lease, no write, no upload.
      for (const planned of firstPlans) {
        reportPlan(planned, context);
        if (settings.dryRun) await backupCamera(planned, context);
      }
      return finish(endStatus(controller.signal, tally.counts));
    }

    // While the lease's write crosses the uplink, the cameras the known state holds start uploading against it,
    // creating nothing until the lease is had on that same state (uploads-ahead.ts).
    const aheadPlans = early ? firstPlans.filter((planned) => seen.cameras.has(planned.listing.camera.id) && hasWork(planned)) : [];
    const ahead = aheadPlans.length > 0 ? startUploadsAhead(aheadPlans, seen, context, settings.cameraConcurrency) : undefined;
    const lease = await (early ?? takeLease()).catch(async (error: unknown) => {
      ahead?.refuse('the lease could not be taken');
      await ahead?.done;
      throw error;
    });
    if (!lease.acquired) {
      const until = isoOrRaw(lease.heldBy.expiresAt);
      const summary = `another runner (${lease.heldBy.owner}) holds the lease until ${until}: nothing to do`;
      ahead?.refuse(summary);
      await ahead?.done;
      logger.info({ event: 'job.lease_held', heldBy: lease.heldBy }, summary);
      return finish('lease-held', summary);
    }
    leaseKeeper = keepLease(state, settings.owner, settings.leaseMs, clock, abort, logger);
    // Under the lease, plan against the state as the lease's transaction read it: another runner may have moved
    // it since the first read.
    const site = lease.state;
    if (site.found && !seen.found) reportRepairs(site, logger);
    let started: ReadonlySet<string> = new Set();
    if (ahead?.plannedOn(site)) {
      ahead.open();
      started = ahead.cameraIds;
      logger.debug({ event: 'job.uploads_ahead', cameras: started.size }, 'the lease was had on the state the uploads started on: they go on');
    } else if (ahead) {
      ahead.refuse('the state changed since this runner last wrote it');
      await ahead.done;
      logger.info({ event: 'job.replanned', cameras: ahead.cameraIds.size }, 'the state changed since this runner last wrote it: its uploads started ahead of the lease were stopped (nothing created) and are planned again');
    }
    await runBounded(listings.filter((listing) => !started.has(listing.camera.id)), settings.cameraConcurrency, (listing) =>
      reportAndBackUp(planCamera(listing, site.cameras.get(listing.camera.id), settings.backfillMs, settings.plan), context, finals),
    );
    if (started.size > 0 && ahead) {
      const head = await ahead.done;
      tally.add(head.tally.counts);
      finals.push(...head.finals);
    }
    // The record stores the cameras' last advances before the status is made: it counts a failure to store them.
    await endUnderLease();
    return finish(endStatus(controller.signal, tally.counts));
  } finally {
    settings.signal?.removeEventListener('abort', onOuterAbort);
    const recorded = await endUnderLease();
    if (ended) ended.state = recorded;
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
      listings.push(await listCamera(camera, stored.get(camera.id), context));
    } catch (error) {
      context.tally.add({ failed: 1 });
      context.logger.error({ event: 'camera.failed', cameraId: camera.id, err: String(error) }, `camera ${camera.name}: listing failed`);
    }
  });
  return listings.sort((a, b) => cameras.indexOf(a.camera) - cameras.indexOf(b.camera));
}

/**
 * Records the run's counters with the cameras' last watermark advances and frees the lease, in one transaction,
 * and tells each camera how its advance went; a failure here is logged, never thrown (the lease expires on its
 * own; the clips are in the bucket, and the next run records them). It is logged as `lease.release_failed`: a
 * lease left behind is what it means for the next run (the fault harness reads it so).
 */
async function finishRun(
  state: StateStore, owner: string, startedAt: number, finishedAt: number, counts: RunCounts, listed: string[], finals: FinalAdvance[], logger: Logger,
): Promise<SiteState | undefined> {
  const { uploaded, existing, failed, bytes } = counts;
  try {
    const written = await state.recordRun({ startedAt, finishedAt, uploaded, existing, failed, bytes }, listed, owner, finals.map((final) => final.advance));
    for (const final of finals) final.stored();
    return written;
  } catch (error) {
    for (const final of finals) final.failed(error);
    logger.warn({ event: 'lease.release_failed', err: String(error) }, 'could not record the run nor release the lease (one transaction); the lease expires on its own');
    return undefined;
  }
}

/** Cameras the state can hold: an id longer than MAX_CAMERA_ID_CHARS is refused (counted failed, named in the log). */
function acceptedCameras(cameras: Camera[], context: Pick<CameraBackupContext, 'logger' | 'tally'>): Camera[] {
  return cameras.filter((camera) => {
    if (typeof camera.id === 'string' && camera.id.length > 0 && camera.id.length <= MAX_CAMERA_ID_CHARS) return true;
    context.tally.add({ failed: 1 });
    context.logger.error(
      { event: 'camera.refused', idLength: typeof camera.id === 'string' ? camera.id.length : undefined },
      `camera ${String(camera.name).slice(0, 80)}: its id is empty or longer than ${MAX_CAMERA_ID_CHARS} characters; not backed up`,
    );
    return false;
  });
}

/** Logs what the read found wrong in the stored state and how it was read (written with the run's next write). */
function reportRepairs(site: SiteState, logger: Logger): void {
  for (const repair of site.found ?? []) logger.warn({ event: 'state.repaired', what: repair.what }, `state document: ${repair.what}`);
}

/**
 * A message when the state document's watermarks are about another bucket than GCS_BUCKET_NAME, else undefined:
 * they say clips are in that bucket, so a new bucket would be treated as already backed up (and get nothing).
 */
function bucketMismatch(site: SiteState, destination: string | undefined, siteId: string): string | undefined {
  if (destination === undefined || site.bucket === undefined || site.bucket === destination) return undefined;
  return (
    `GCS_BUCKET_NAME is "${destination}", but the state document's watermarks are about the bucket "${site.bucket}": ` +
    `its clips are in "${site.bucket}", not in "${destination}", so nothing was backed up. To back up into "${destination}" ` +
    `from the start (BACKFILL_HOURS), give it its own state: set STATE_DOCUMENT to a new document, e.g. nvr-backup/${siteId}-${destination}; ` +
    `or set GCS_BUCKET_NAME back to "${site.bucket}"`
  );
}

/** A message when this machine's clock differs from the store's by more than FUTURE_TOLERANCE_MS, else undefined. */
function clockSkew(site: SiteState, now: number): string | undefined {
  if (site.readAt === undefined) return undefined;
  const skew = now - site.readAt;
  if (Math.abs(skew) <= FUTURE_TOLERANCE_MS) return undefined;
  const minutes = Math.round(Math.abs(skew) / 60_000);
  return (
    `this machine's clock is ${minutes} min ${skew > 0 ? 'ahead of' : 'behind'} Firestore's (${isoOrRaw(now)} here, ${isoOrRaw(site.readAt)} there): ` +
    'nothing was backed up, so no watermark or lease is stored from a wrong clock; set the clock right (NTP) and run again'
  );
}

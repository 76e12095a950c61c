// The watch (`daemon --watch`): one Scrypted connection kept open, each camera listed every WATCH_POLL_SECONDS
// (the guarantee) and sooner after a device event that hints at a clip (motion, detections, a clip provider's
// change), and a backup run as soon as a listed clip has settled. Runs never overlap (one loop); each run takes
// the lease as any run does, so a second runner elsewhere stays safe. A listing needs no Firestore request: the
// watch plans against the state it read at start and after each run, so a quiet site costs no GCS request and no
// Firestore write or read (only Scrypted listings). The loop wakes at least every hotPollMs to look at the clock
// and the connection (no request unless a camera's listing is due). The decisions are pure (watch-decisions.ts).
import { performance } from 'node:perf_hooks';
import { listingWindow } from '../core/clip-plan.js';
import type { Camera, ClipSink, ClipSource, SiteState, StateStore } from '../core/ports.js';
import { MAX_CAMERA_ID_CHARS } from '../core/state-limits.js';
import { planCamera, startingWatermark, type PlannedCamera } from '../job/camera-backup.js';
import { runBounded } from '../job/pool.js';
import { runBackup, type BackupSettings, type RunResult } from '../job/run-backup.js';
import type { Logger } from '../log.js';
import { camerasToList, dueCameras, isClipHint, nextWakeAt, settlesAt, withHint, type CameraWatch, type WatchTiming } from './watch-decisions.js';

/** A clip source whose device events the watch can hear (the Scrypted adapter). */
export interface WatchedSource extends ClipSource {
  onDeviceEvent(listener: (event: { deviceId: string; eventInterface: string | undefined; property: string | undefined }) => void): () => void;
}

export interface WatchDependencies {
  source: WatchedSource;
  sink: ClipSink;
  state: StateStore;
  logger: Logger;
  clock?: () => number;
  /** The store's request counters so far (the Firestore adapter's), logged with each check. */
  requests?: () => { transactions: number; writes: number };
  /**
   * A clock that never jumps (ms), to carry the store's clock from the watch's last transaction to now; default
   * `clock` when one is given (tests), else performance.now.
   */
  monotonic?: () => number;
}

export interface WatchSettings {
  backup: Omit<BackupSettings, 'signal' | 'dryRun'>;
  timing: WatchTiming;
  signal: AbortSignal;
  /** After each backup run (heartbeat, alerts). */
  onRun?: (result: RunResult) => Promise<void>;
  /** After each check, quiet or not (heartbeat); `ok` is false when the check itself failed. */
  onCheck?: (ok: boolean) => Promise<void>;
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * The state as a read now would see it, for the run's checks: the store's clock moved on by the time since (so the
 * run's clock check compares with the store's clock now). Its repairs are left out: the run reports those the
 * lease's read finds (a repair is found by every read until a write stores it).
 */
function projected(site: SiteState, sinceMs: number): SiteState {
  return { ...site, readAt: site.readAt === undefined ? undefined : site.readAt + sinceMs, found: undefined };
}

export async function watch(deps: WatchDependencies, settings: WatchSettings): Promise<void> {
  const clock = deps.clock ?? Date.now;
  const { logger, source, state } = deps;
  const { timing, signal, backup } = settings;
  const monotonic = deps.monotonic ?? deps.clock ?? (() => performance.now());
  const cameras = new Map<string, CameraWatch>();
  /** The state as the watch's last transaction returned it, and when (monotonic). */
  let known: SiteState | undefined;
  let knownAt = 0;
  const learn = (site: SiteState) => {
    known = site;
    knownAt = monotonic();
  };
  /** No backup run before this time (after a run that did not complete). */
  let runNotBefore = 0;
  let wake: () => void = () => undefined;
  const stopListening = source.onDeviceEvent((event) => {
    if (!isClipHint(event) || !cameras.has(event.deviceId)) return;
    cameras.set(event.deviceId, withHint(cameras.get(event.deviceId), clock(), timing));
    logger.debug({ event: 'watch.hint', cameraId: event.deviceId, eventInterface: event.eventInterface, property: event.property }, 'device event: listing the camera');
    wake();
  });
  const counters = () => deps.requests?.() ?? { transactions: undefined, writes: undefined };

  /** Lists the cameras whose time has come; returns their plans (a camera whose listing failed waits a poll). */
  async function listDue(all: Camera[], now: number): Promise<PlannedCamera[]> {
    // A camera whose id the state cannot hold is refused by every run (run-backup.ts): never due, or it would be forever.
    const byId = new Map(all.filter((camera) => camera.id.length > 0 && camera.id.length <= MAX_CAMERA_ID_CHARS).map((camera) => [camera.id, camera]));
    for (const id of [...cameras.keys()]) if (!byId.has(id)) cameras.delete(id);
    for (const id of byId.keys()) if (!cameras.has(id)) cameras.set(id, { listedAt: undefined, hotUntil: undefined, settlesAt: undefined });
    const ids = camerasToList(cameras, now, timing);
    const planned: PlannedCamera[] = [];
    await runBounded(ids, backup.cameraConcurrency, async (id) => {
      const camera = byId.get(id) as Camera;
      const stored = known?.cameras.get(id);
      const listedAt = clock();
      const watched = cameras.get(id);
      try {
        const window = listingWindow(startingWatermark(stored, listedAt, backup.backfillMs), listedAt, backup.plan);
        const listing = { camera, window, clips: await source.listClips(camera, window), listedAt };
        const plannedCamera = planCamera(listing, stored, backup.backfillMs, backup.plan);
        planned.push(plannedCamera);
        cameras.set(id, { listedAt, hotUntil: watched?.hotUntil, settlesAt: settlesAt(plannedCamera, backup.plan.settleMs) });
      } catch (error) {
        cameras.set(id, { listedAt, hotUntil: watched?.hotUntil, settlesAt: undefined });
        logger.warn({ event: 'watch.listing_failed', cameraId: id, err: describe(error) }, `watch: could not list the clips of ${camera.name}; trying again in ${timing.pollMs / 1000} s`);
      }
    });
    return planned;
  }

  async function check(): Promise<void> {
    if (known === undefined) learn(await state.read());
    const now = clock();
    // listCameras reads the device table Scrypted pushes (no request); on a dropped connection (a Scrypted
    // restart) it reconnects, so events flow again within hotPollMs of the server being back.
    const planned = await listDue(await source.listCameras(), now);
    if (planned.length === 0) return;
    const due = dueCameras(planned, known as SiteState);
    logger.debug({ event: 'watch.checked', listed: planned.length, due, firestore: counters() }, `watch: ${planned.length} camera(s) listed, ${due.length} due`);
    if (due.length === 0 || clock() < runNotBefore || signal.aborted) return;
    logger.info({ event: 'watch.due', cameras: due }, `watch: a clip settled on ${due.length} camera(s): backing up`);
    const before = counters();
    // The run starts from the state the watch holds (no read of its own: one transaction less across the uplink),
    // with the store's clock carried to now, and takes the lease while it lists.
    const result = await runBackup({ ...deps, firstRead: Promise.resolve(projected(known as SiteState, monotonic() - knownAt)), workDue: true }, { ...backup, dryRun: false, signal });
    learn(result.state ?? (await state.read()));
    const afterRun = counters();
    if (before.transactions !== undefined && afterRun.transactions !== undefined) {
      // What this run cost in Firestore, a read of the new state included when the run's record did not return
      // it (docs/watch.md, "Cost").
      logger.info(
        { event: 'watch.run_requests', firestoreTransactions: afterRun.transactions - before.transactions, firestoreWrites: (afterRun.writes ?? 0) - (before.writes ?? 0), uploaded: result.counts.uploaded },
        'state requests of the run',
      );
    }
    // The cameras of the run are listed again at once: against the new state they are quiet, or still due.
    for (const id of due) {
      const watched = cameras.get(id);
      if (watched) cameras.set(id, { ...watched, settlesAt: clock() });
    }
    if (result.status !== 'complete') {
      runNotBefore = clock() + timing.retryAfterMs;
      logger.warn({ event: 'watch.retry_later', status: result.status, retryAt: new Date(runNotBefore).toISOString() }, `watch: the run ended ${result.status}; the next run starts no sooner than ${timing.retryAfterMs / 1000} s from now`);
    }
    await settings.onRun?.(result);
  }

  logger.info({ event: 'watch.start', pollMs: timing.pollMs, settleMs: backup.plan.settleMs }, `watching Scrypted: every camera listed every ${timing.pollMs / 1000} s, sooner after motion; a clip is backed up ${backup.plan.settleMs / 1000} s after it ends`);
  try {
    while (!signal.aborted) {
      let ok = false;
      try {
        await check();
        ok = true;
      } catch (error) {
        // Scrypted restarting, Firestore unreachable: the next check tries again (the source reconnects itself).
        const retryMs = timing.hotPollMs;
        logger.warn({ event: 'watch.check_failed', err: describe(error) }, `watch: ${describe(error)}; trying again in ${retryMs / 1000} s`);
        for (const [id, watched] of cameras) cameras.set(id, { ...watched, listedAt: clock(), settlesAt: undefined });
        await pause(retryMs);
        continue;
      } finally {
        await settings.onCheck?.(ok);
      }
      await pause(Math.min(nextWakeAt(cameras, clock(), timing) - clock(), timing.hotPollMs));
    }
  } finally {
    stopListening();
    logger.info({ event: 'watch.stop', firestore: counters() }, 'watch stopped');
  }

  /** Sleeps `ms`, or until a hint or the stop signal wakes it. */
  function pause(ms: number): Promise<void> {
    if (ms <= 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        wake = () => undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      wake = done;
    });
  }
}

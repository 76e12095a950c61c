// One camera's part of a run, in two steps. `listCamera` lists its clips in the window its watermark calls for;
// `planCamera` plans them (pure) against a state; `backupCamera` uploads the planned clips (through the run's
// shared upload limiter, several at once) and advances the watermark as they land. A failed clip stops the
// advance at that clip (the next run retries it), not the other uploads.
import { performance } from 'node:perf_hooks';
import { listingWindow, planCameraClips, type CameraPlan, type PlanSettings } from '../core/clip-plan.js';
import { copyName, openMismatch } from '../core/clip-issues.js';
import { clipEnd } from '../core/clip-time.js';
import { findInCauseChain, isStoredObjectMismatchError, isUnsupportedClipError, type StoredObjectMismatchError } from '../core/errors.js';
import { objectMetadata, objectName } from '../core/object-name.js';
import { addToBatch, recoveryPointMs, type RecoveryMeasure } from '../core/recovery-point.js';
import type { Camera, CameraAdvance, CameraState, Clip, ClipSink, ClipSource, StateStore, TimeWindow } from '../core/ports.js';
import { advanceOverLanded } from '../core/watermark.js';
import type { Logger } from '../log.js';
import { ClipTimelines } from './clip-timelines.js';
import type { Limiter } from './limiter.js';
import { destinationProblem } from './stop-causes.js';
import type { RunTally } from './tally.js';
import { WatermarkAdvancer } from './watermark-advancer.js';

export interface CameraBackupContext {
  source: ClipSource;
  sink: ClipSink;
  state: StateStore;
  logger: Logger;
  clock: () => number;
  plan: PlanSettings;
  objectPrefix: string;
  /** SITE_ID: part of every object name's tag, so two sites sharing a bucket never share an object. */
  siteId: string;
  backfillMs: number;
  dryRun: boolean;
  signal: AbortSignal;
  tally: RunTally;
  uploads: Limiter;
  /** Least time between two state transactions of a camera while its clips land. */
  stateWriteIntervalMs: number;
  /** The bucket (named in run-ending messages). */
  destination: string;
  /** Ends the run at once for a cause no other clip can escape (e.g. a missing bucket), with one message. */
  stop(reason: string): void;
  /**
   * Uploads started before the run's lease is confirmed (uploads-ahead.ts): no object is created and no outcome
   * counted or written until this resolves; when it rejects (`signal` is aborted first), the clips get no outcome
   * at all and the camera hands back no advance: the run plans it again or ends.
   */
  leaseGate?: Promise<void> | undefined;
  /**
   * With leaseGate: an upload asks for its turn before it starts. The first go at once, ahead of the lease; the
   * others once the lease is answered ('refused': it was not had, and they start nothing). uploads-ahead.ts.
   */
  startTurn?: (() => Promise<'go' | 'refused'>) | undefined;
}

/** A camera's clips as listed at `listedAt`, over a window wide enough for any state at least as new as the one used. */
export interface CameraListing {
  camera: Camera;
  window: TimeWindow;
  clips: Clip[];
  listedAt: number;
  /** How long listing the camera's clips took (for the clips' debug timeline). */
  listMs?: number;
}

export interface PlannedCamera {
  listing: CameraListing;
  /** The camera's state the plan was made against. */
  stored: CameraState | undefined;
  watermark: number;
  plan: CameraPlan;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The camera's watermark: its stored one, or for a camera seen for the first time, `backfill` before now. */
export function startingWatermark(stored: CameraState | undefined, now: number, backfillMs: number): number {
  return stored?.lastTimestamp ?? Math.max(0, now - backfillMs);
}

export async function listCamera(camera: Camera, stored: CameraState | undefined, context: CameraBackupContext): Promise<CameraListing> {
  const listedAt = context.clock();
  const window = listingWindow(startingWatermark(stored, listedAt, context.backfillMs), listedAt, context.plan);
  const started = performance.now();
  const clips = await context.source.listClips(camera, window);
  return { camera, window, clips, listedAt, listMs: Math.round(performance.now() - started) };
}

/**
 * Plans a listing against a state. Watermarks only move forward, so a listing made from an older state covers
 * the window of a newer one, and the run can list first and take the lease only when there is work.
 */
export function planCamera(listing: CameraListing, stored: CameraState | undefined, backfillMs: number, plan: PlanSettings): PlannedCamera {
  const watermark = startingWatermark(stored, listing.listedAt, backfillMs);
  return { listing, stored, watermark, plan: planCameraClips(listing.clips, stored, watermark, listing.listedAt, plan) };
}

/** True when the run must write for this camera: clips to upload, or a watermark that can pass landed clips. */
export function hasWork({ plan, watermark }: PlannedCamera): boolean {
  const landed = new Map(plan.alreadyInBucket.map((clip) => [clip.id, 'landed' as const]));
  return plan.toBackup.length > 0 || advanceOverLanded(watermark, plan.watermarkSequence, landed) > watermark;
}

/** Logs and counts a camera's plan (once per run, for the plan the run acts on). */
export function reportPlan({ listing, plan }: PlannedCamera, context: Pick<CameraBackupContext, 'logger' | 'tally'>): void {
  const { camera } = listing;
  const log = context.logger.child({ cameraId: camera.id, camera: camera.name });
  for (const { clip, reason } of plan.invalid) {
    log.warn(
      { event: 'clip.invalid', clipId: clip.id, reason },
      `cannot back up a clip of ${camera.name}: ${reason}; it is counted as invalid (exit 1): check the clip in Scrypted and both clocks`,
    );
  }
  context.tally.add({ planned: plan.toBackup.length, stillRecording: plan.stillRecording.length, invalid: plan.invalid.length });
  log.info(
    {
      event: 'camera.planned',
      window: listing.window,
      listed: listing.clips.length,
      listMs: listing.listMs,
      toBackup: plan.toBackup.length,
      alreadyInBucket: plan.alreadyInBucket.length,
      stillRecording: plan.stillRecording.length,
      duplicates: plan.duplicates,
    },
    `${camera.name}: ${plan.toBackup.length} clip(s) to back up`,
  );
}

/**
 * A camera's last watermark advance, left for the run to store with its record (one transaction less per run);
 * the run tells it how that went.
 */
export interface FinalAdvance {
  advance: CameraAdvance;
  /** The run's record stored it. */
  stored(): void;
  /** The run's record failed: the clips are in the bucket, the state does not say so yet. */
  failed(error: unknown): void;
}

/**
 * Logs the camera's plan and backs it up; its last watermark advance goes into `finals`. A camera that fails as a
 * whole is counted failed and logged, never thrown: the run goes on with the others.
 */
export async function reportAndBackUp(planned: PlannedCamera, context: CameraBackupContext, finals: FinalAdvance[]): Promise<void> {
  const { camera } = planned.listing;
  reportPlan(planned, context);
  try {
    const last = await backupCamera(planned, context);
    if (last) finals.push(last);
  } catch (error) {
    context.tally.add({ failed: 1 });
    context.logger.error({ event: 'camera.failed', cameraId: camera.id, err: String(error) }, `camera ${camera.name} failed`);
  }
}

/** Uploads a camera's planned clips; returns its last watermark advance, for the run's record, if one is left. */
export async function backupCamera(planned: PlannedCamera, context: CameraBackupContext): Promise<FinalAdvance | undefined> {
  const { camera } = planned.listing;
  const { plan } = planned;
  const log = context.logger.child({ cameraId: camera.id, camera: camera.name });
  const timelines = new ClipTimelines(log, planned.listing.listMs);
  if (context.dryRun) {
    for (const clip of plan.toBackup) {
      const name = objectName(camera, clip, context.objectPrefix, context.siteId);
      // A clip the source can only give as a stream would be counted unsupported by a run, not uploaded.
      const probe = await context.source.probeClip(camera, clip).catch((error: unknown) => {
        log.warn({ event: 'clip.probe_failed', clipId: clip.id, err: describeError(error) }, `could not tell whether ${name} can be backed up`);
        return { supported: true as const };
      });
      if (!probe.supported) {
        context.tally.add({ unsupported: 1 });
        log.warn({ event: 'clip.unsupported', clipId: clip.id, object: name, err: probe.reason }, `would not upload ${name}: ${probe.reason}`);
        continue;
      }
      log.info({ event: 'clip.would_upload', clipId: clip.id, object: name }, `would upload ${name}`);
      context.tally.dryRunObjects.push(name);
    }
    return undefined;
  }
  // The watermark advances over the clips of this window in order: those uploaded now and those the state
  // already records as in the bucket (landed in an earlier run whose watermark stopped at a failed clip); it
  // stops before a clip that is still recording.
  // Recovery points of the clips created since the last advance: written with the next advance (no extra write).
  let recovery: RecoveryMeasure | undefined;
  const advancer = new WatermarkAdvancer(planned.watermark, plan.watermarkSequence, plan.alreadyInBucket, async (next, landed) => {
    const from = advancer.current;
    log.debug({ event: 'state.advance_start', to: next, recording: landed.size }, 'advancing the watermark');
    const measured = recovery;
    recovery = undefined;
    try {
      await context.state.advanceCamera({
        cameraId: camera.id, name: camera.name, lastTimestamp: next, landed, forgetBefore: next - context.plan.lookbackMs, at: context.clock(), recovery: measured,
      });
    } catch (error) {
      if (measured) recovery = addToBatch(recovery, measured.worstMs, measured.at);
      throw error;
    }
    if (next > from) log.info({ event: 'state.advanced', from, to: next, recorded: landed.size }, 'watermark advanced');
    timelines.recorded(landed.keys());
  }, context.stateWriteIntervalMs);
  await Promise.all(
    plan.toBackup.map((clip) =>
      context.uploads.run(async () => {
        // Ahead of the lease, only the first uploads start at once; a lease not had starts none of the others.
        if ((await context.startTurn?.()) === 'refused') return;
        // Once the state cannot be written, uploading more would only be undone by the next run's retries.
        if (context.signal.aborted || advancer.failed) return;
        const landed = await uploadClip(camera, clip, planned.stored, context, log, timelines);
        if (landed === 'unleased') return; // no outcome: nothing may be written without the lease
        if (landed && landed !== true) recovery = addToBatch(recovery, landed.recoveryMs, landed.at);
        advancer.record(clip, landed ? 'landed' : 'failed');
      }),
    ),
  );
  if (await leaseRefused(context)) return undefined;
  const stateFailed = (error: unknown) => {
    // The clips are in the bucket: not failed clips. The state does not record them yet, so the next run finds
    // them "already in the bucket" and moves the watermark over them. The run still ends incomplete (exit 1).
    context.tally.add({ stateWritesFailed: 1 });
    log.error(
      { event: 'state.advance_failed', err: describeError(error) },
      `could not store ${camera.name}'s watermark (its clips are in the bucket; the next run records them): ${describeError(error)}`,
    );
  };
  let rest: Awaited<ReturnType<WatermarkAdvancer['finish']>>;
  try {
    rest = await advancer.finish();
  } catch (error) {
    stateFailed(error);
    return undefined;
  }
  if (rest === undefined) return undefined;
  const { next, landed } = rest;
  const from = advancer.current;
  const measured = recovery;
  return {
    advance: { cameraId: camera.id, name: camera.name, lastTimestamp: next, landed, forgetBefore: next - context.plan.lookbackMs, at: context.clock(), recovery: measured },
    stored: () => {
      advancer.stored(next);
      if (next > from) log.info({ event: 'state.advanced', from, to: next, recorded: landed.size }, 'watermark advanced');
      timelines.recorded(landed.keys());
    },
    failed: stateFailed,
  };
}

/**
 * Uploads one clip; true when it is in the bucket (created or already there) or can never be (unsupported).
 * Errors are counted, not thrown. A clip whose object was stored with the wrong bytes (recorded in its camera's
 * state) goes under a new name (`_r1`, `_r2`, ...): its own name holds the wrong object, which the key can neither
 * delete nor overwrite, so a 412 for it proves nothing.
 */
async function uploadClip(
  camera: Camera, clip: Clip, stored: CameraState | undefined, context: CameraBackupContext, log: Logger, timelines: ClipTimelines,
): Promise<boolean | { recoveryMs: number; at: number } | 'unleased'> {
  const { source, sink, clock, tally, signal, state } = context;
  const mismatch = openMismatch(stored, clip.id);
  const ownName = objectName(camera, clip, context.objectPrefix, context.siteId);
  const name = mismatch ? copyName(ownName, mismatch.attempts + 1) : ownName;
  const started = clock();
  log.info({ event: 'clip.start', clipId: clip.id, object: name }, `uploading ${name}`);
  const phases = timelines.start(clip.id, name);
  try {
    const result = await sink.putIfAbsent(
      { name, contentType: 'video/mp4', metadata: objectMetadata(camera, clip, context.siteId), size: undefined },
      () => source.openClip(camera, clip, signal),
      signal,
      phases,
      context.leaseGate,
    );
    // An answer that came before the lease (an object already there, say) counts only under it.
    await context.leaseGate;
    const seconds = Math.max(0.001, (clock() - started) / 1000);
    timelines.uploaded(clip.id, result.bytes);
    if (mismatch) {
      // Recorded before the clip counts as landed: until then the state keeps the watermark before this clip.
      await state.recordClipIssue(camera.id, camera.name, { kind: 'right-copy', clipId: clip.id, object: name, at: clock() });
      log.warn(
        { event: 'clip.right_copy', clipId: clip.id, object: name, wrongObject: mismatch.wrongObject },
        `${name} now holds the right bytes of the clip whose object ${mismatch.wrongObject} has wrong bytes`,
      );
    }
    if (result.outcome === 'exists') {
      tally.add({ existing: 1 });
      log.info({ event: 'clip.exists', clipId: clip.id, object: name }, `already in the bucket: ${name}`);
      return true;
    }
    tally.add({ uploaded: 1, bytes: result.bytes });
    const mbPerSecond = Number((result.bytes / 1e6 / seconds).toFixed(2));
    // The recovery point: from the clip's end to its object existing in the bucket (issue 20).
    const at = clock();
    const recoveryMs = recoveryPointMs(clipEnd(clip), at);
    log.info(
      { event: 'clip.uploaded', clipId: clip.id, object: name, startTime: clip.startTime, bytes: result.bytes, seconds, mbPerSecond, attempts: result.attempts, clipEnd: clipEnd(clip), recoveryMs },
      `uploaded ${name} (${result.bytes} bytes, ${mbPerSecond} MB/s; ${Math.round(recoveryMs / 1000)} s after the clip ended)`,
    );
    return { recoveryMs, at };
  } catch (error) {
    // Nothing is counted or recorded before the lease; without it, the clip is left to the run that plans again.
    if (await leaseRefused(context)) return 'unleased';
    if (isUnsupportedClipError(error)) {
      tally.add({ unsupported: 1 });
      log.error({ event: 'clip.unsupported', clipId: clip.id, err: describeError(error) }, `cannot back up ${name}: ${describeError(error)}`);
      // Unsupported clips pass the watermark (retrying cannot help); the camera's state counts them for `status`.
      await state
        .recordClipIssue(camera.id, camera.name, { kind: 'unsupported', clipId: clip.id, startTime: clip.startTime, reason: describeError(error), at: clock() })
        .catch((recordError: unknown) => log.warn({ event: 'state.record_failed', err: describeError(recordError) }, 'could not record the unsupported clip'));
      return true;
    }
    const fatal = destinationProblem(error, context.destination);
    if (fatal && !signal.aborted) {
      tally.add({ failed: 1 });
      log.error({ event: 'clip.failed', clipId: clip.id, object: name, err: describeError(error) }, `failed: ${name}: ${fatal}`);
      context.stop(fatal);
      return false;
    }
    if (signal.aborted) {
      // Stopped (SIGTERM, or the run ended for a cause above): not a failure; the next run uploads the clip.
      tally.add({ abandoned: 1 });
      log.warn({ event: 'clip.abandoned', clipId: clip.id, object: name }, `abandoned ${name}: the run was stopped; the next run uploads it`);
      return false;
    }
    tally.add({ failed: 1 });
    if (isStoredObjectMismatchError(error)) {
      await recordMismatch(camera, clip, name, mismatch !== undefined, error, context, log);
      return false;
    }
    log.error({ event: 'clip.failed', clipId: clip.id, object: name, err: describeError(error) }, `failed: ${name}`);
    return false;
  }
}

/** True when the uploads started before the lease (context.leaseGate) may not count: the run did not get it as planned. */
async function leaseRefused(context: CameraBackupContext): Promise<boolean> {
  return context.leaseGate ? context.leaseGate.then(() => false, () => true) : false;
}

/** Records an object stored with the wrong bytes, so no later run counts the clip as backed up by its name. */
async function recordMismatch(camera: Camera, clip: Clip, name: string, isCopy: boolean, error: unknown, context: CameraBackupContext, log: Logger): Promise<void> {
  const found = findInCauseChain(error, 'StoredObjectMismatchError') as StoredObjectMismatchError | undefined;
  const wrongObject = found?.objectName ?? name;
  const at = context.clock();
  log.error(
    { event: 'clip.mismatch', clipId: clip.id, object: wrongObject, err: describeError(error) },
    `the object ${wrongObject} was stored with wrong bytes; recorded in the state: the next run copies the clip again under a new name`,
  );
  try {
    await context.state.recordClipIssue(
      camera.id,
      camera.name,
      isCopy ? { kind: 'mismatch-retry-failed', clipId: clip.id, object: wrongObject, at } : { kind: 'mismatch', clipId: clip.id, startTime: clip.startTime, end: clipEnd(clip), wrongObject, at },
    );
  } catch (recordError) {
    log.error({ event: 'state.record_failed', clipId: clip.id, object: wrongObject, err: describeError(recordError) }, `could not record the wrong object ${wrongObject}: check it by hand`);
  }
}


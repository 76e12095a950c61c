// Backs up one camera: lists its clips, plans, uploads them in chronological order, and advances its watermark
// after each clip that landed. A failed clip stops the advance (the next run retries it), not the uploads.
import { clipEnd } from '../core/clip-time.js';
import { compareClips, listingWindow, planCameraClips, type PlanSettings } from '../core/clip-plan.js';
import { isUnsupportedClipError } from '../core/errors.js';
import { objectMetadata, objectName } from '../core/object-name.js';
import type { Camera, CameraState, Clip, ClipSink, ClipSource, StateStore } from '../core/ports.js';
import { advanceOverLanded, type ClipOutcome } from '../core/watermark.js';
import type { Logger } from '../log.js';
import type { RunTally } from './tally.js';

export interface CameraBackupContext {
  source: ClipSource;
  sink: ClipSink;
  state: StateStore;
  logger: Logger;
  clock: () => number;
  plan: PlanSettings;
  objectPrefix: string;
  backfillMs: number;
  dryRun: boolean;
  signal: AbortSignal;
  tally: RunTally;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The camera's watermark: its stored one, or for a camera seen for the first time, `backfill` before now. */
export function startingWatermark(stored: CameraState | undefined, now: number, backfillMs: number): number {
  return stored?.lastTimestamp ?? Math.max(0, now - backfillMs);
}

export async function backupCamera(camera: Camera, stored: CameraState | undefined, context: CameraBackupContext): Promise<void> {
  const { source, sink, state, logger, clock, tally } = context;
  const log = logger.child({ cameraId: camera.id, camera: camera.name });
  const now = clock();
  let watermark = startingWatermark(stored, now, context.backfillMs);
  const window = listingWindow(watermark, now, context.plan);
  const listed = await source.listClips(camera, window);
  const plan = planCameraClips(listed, stored, watermark, now, context.plan);
  for (const { clip, reason } of plan.invalid) {
    log.warn({ event: 'clip.invalid', clipId: clip.id, reason }, `skipping a clip that cannot be backed up: ${reason}`);
  }
  tally.add({
    planned: plan.toBackup.length,
    stillRecording: plan.stillRecording.length,
    invalid: plan.invalid.length,
  });
  log.info(
    {
      event: 'camera.planned',
      window,
      listed: listed.length,
      toBackup: plan.toBackup.length,
      alreadyInBucket: plan.alreadyInBucket.length,
      stillRecording: plan.stillRecording.length,
      duplicates: plan.duplicates,
    },
    `${camera.name}: ${plan.toBackup.length} clip(s) to back up`,
  );

  // The watermark advances over the clips of this window in order: those uploaded now and those the state
  // already records as in the bucket (landed in an earlier run whose watermark stopped at a failed clip).
  const sequence = [...plan.toBackup, ...plan.alreadyInBucket].sort(compareClips);
  const outcomes = new Map<string, ClipOutcome>(plan.alreadyInBucket.map((clip) => [clip.id, 'landed']));
  const advanceTo = async (next: number, landed: Record<string, number>) => {
    await state.advanceCamera({ cameraId: camera.id, name: camera.name, lastTimestamp: next, landed, forgetBefore: next - context.plan.lookbackMs });
    if (next > watermark) {
      log.info({ event: 'state.advanced', from: watermark, to: next }, 'watermark advanced');
      watermark = next;
    }
  };
  for (const clip of plan.toBackup) {
    if (context.signal.aborted) break;
    const name = objectName(camera, clip, context.objectPrefix);
    if (context.dryRun) {
      log.info({ event: 'clip.would_upload', clipId: clip.id, object: name }, `would upload ${name}`);
      tally.dryRunObjects.push(name);
      continue;
    }
    const landed = await uploadClip(camera, clip, name, context, log);
    outcomes.set(clip.id, landed ? 'landed' : 'failed');
    if (!landed) continue;
    try {
      await advanceTo(advanceOverLanded(watermark, sequence, outcomes), { [clip.id]: clipEnd(clip) });
    } catch (error) {
      // The clip is in the bucket but the state does not say so: the next run uploads it again and gets
      // "already there". Stop this camera: its watermark must not be advanced past an unrecorded clip.
      tally.add({ failed: 1 });
      log.error({ event: 'state.advance_failed', err: describeError(error) }, 'could not advance the watermark');
      return;
    }
  }
  const next = advanceOverLanded(watermark, sequence, outcomes);
  if (!context.dryRun && next > watermark) await advanceTo(next, {});
}

/** Uploads one clip; true when it is in the bucket (created or already there). Errors are counted, not thrown. */
async function uploadClip(camera: Camera, clip: Clip, name: string, context: CameraBackupContext, log: Logger): Promise<boolean> {
  const { source, sink, clock, tally, signal } = context;
  const started = clock();
  log.info({ event: 'clip.start', clipId: clip.id, object: name }, `uploading ${name}`);
  try {
    const result = await sink.putIfAbsent(
      { name, contentType: 'video/mp4', metadata: objectMetadata(camera, clip), size: undefined },
      () => source.openClip(camera, clip, signal),
      signal,
    );
    const seconds = Math.max(0.001, (clock() - started) / 1000);
    if (result.outcome === 'exists') {
      tally.add({ existing: 1 });
      log.info({ event: 'clip.exists', clipId: clip.id, object: name }, `already in the bucket: ${name}`);
    } else {
      tally.add({ uploaded: 1, bytes: result.bytes });
      const mbPerSecond = Number((result.bytes / 1e6 / seconds).toFixed(2));
      log.info(
        { event: 'clip.uploaded', clipId: clip.id, object: name, bytes: result.bytes, seconds, mbPerSecond, attempts: result.attempts },
        `uploaded ${name} (${result.bytes} bytes, ${mbPerSecond} MB/s)`,
      );
    }
    return true;
  } catch (error) {
    if (isUnsupportedClipError(error)) {
      tally.add({ unsupported: 1 });
      log.error({ event: 'clip.unsupported', clipId: clip.id, err: describeError(error) }, `cannot back up ${name}: ${describeError(error)}`);
      return true;
    }
    tally.add({ failed: 1 });
    log.error({ event: 'clip.failed', clipId: clip.id, object: name, err: describeError(error) }, `failed: ${name}`);
    return false;
  }
}

// Clip planning, pure: from a camera's listed clips and its state, which clips to back up, in order.
import type { CameraState, Clip, TimeWindow } from './ports.js';
import { clipEnd, hasValidTimes } from './clip-time.js';
import { isRecordedLanded } from './watermark.js';

export interface PlanSettings {
  /** How far before the watermark to look for clips that were listed late (ms). */
  lookbackMs: number;
  /** A clip must have ended at least this long ago (ms) before it is backed up. */
  settleMs: number;
  /**
   * The longest plausible clip (ms, CLIP_MAX_HOURS). A clip without a duration is still recording (and holds the
   * watermark) until it started this long ago; a clip with a longer duration is invalid.
   */
  openClipMaxMs: number;
}

/** How far after now (ms) a clip may start, for clock skew between the NVR and the runner; later is invalid. */
export const FUTURE_START_TOLERANCE_MS = 5 * 60_000;

export interface InvalidClip {
  clip: Clip;
  reason: string;
}

export interface CameraPlan {
  /** Clips to upload, in chronological order (start, then end, then id). */
  toBackup: Clip[];
  /**
   * Clips that have not ended `settle` ago (or have no duration yet, up to `openClipMaxMs`): the next run takes
   * them, and the watermark must not pass them meanwhile (`watermarkSequence`).
   */
  stillRecording: Clip[];
  /** Clips the state records as already in the bucket (the watermark may pass them), in chronological order. */
  alreadyInBucket: Clip[];
  /** Clips listed more than once (same id), counted once. */
  duplicates: number;
  /**
   * Clips that cannot be backed up: empty id, unusable times, a start in the future, an implausible duration.
   * Reported and counted (the run is incomplete), never uploaded, never held as still recording.
   */
  invalid: InvalidClip[];
  /**
   * The clips the watermark moves over, in chronological order: to back up, already in the bucket, and still
   * recording. A still-recording clip never lands this run, so the watermark stops before it: otherwise a clip
   * listed without a duration (its end is its start) would be passed by a later clip's landing, drop out of the
   * listing window (LOOKBACK_MINUTES before the watermark) and never be backed up.
   */
  watermarkSequence: Clip[];
}

/** The window to list a camera's clips for: from `lookback` before its watermark up to now. */
export function listingWindow(watermark: number, now: number, settings: PlanSettings): TimeWindow {
  return { startTime: Math.max(0, watermark - settings.lookbackMs), endTime: now };
}

const hours = (ms: number): string => `${Number((ms / 3_600_000).toPrecision(3))} h`;

function invalidReason(clip: Clip, now: number, settings: PlanSettings): string | undefined {
  if (typeof clip.id !== 'string' || clip.id.trim() === '') return 'empty clip id';
  if (!hasValidTimes(clip)) {
    return `unusable times (startTime ${String(clip.startTime)}, duration ${String(clip.duration)})`;
  }
  if (clip.startTime > now + FUTURE_START_TOLERANCE_MS) {
    return `starts in the future (startTime ${clip.startTime}, ${hours(clip.startTime - now)} after now: is a clock wrong?)`;
  }
  if (clip.duration !== undefined && clip.duration > settings.openClipMaxMs) {
    return `implausible duration (${hours(clip.duration)}, more than CLIP_MAX_HOURS=${hours(settings.openClipMaxMs)})`;
  }
  return undefined;
}

function isStillRecording(clip: Clip, now: number, settings: PlanSettings): boolean {
  if (clip.duration === undefined) return clip.startTime > now - settings.openClipMaxMs;
  return clipEnd(clip) > now - settings.settleMs;
}

export function compareClips(a: Clip, b: Clip): number {
  return a.startTime - b.startTime || clipEnd(a) - clipEnd(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function planCameraClips(
  listed: readonly Clip[],
  state: CameraState | undefined,
  watermark: number,
  now: number,
  settings: PlanSettings,
): CameraPlan {
  const plan: CameraPlan = { toBackup: [], stillRecording: [], alreadyInBucket: [], duplicates: 0, invalid: [], watermarkSequence: [] };
  const seen = new Set<string>();
  const windowStart = watermark - settings.lookbackMs;
  for (const clip of listed) {
    const reason = invalidReason(clip, now, settings);
    if (reason) {
      plan.invalid.push({ clip, reason });
      continue;
    }
    if (seen.has(clip.id)) {
      plan.duplicates += 1;
      continue;
    }
    seen.add(clip.id);
    if (isRecordedLanded(state, clip.id)) {
      plan.alreadyInBucket.push(clip);
      continue;
    }
    if (clipEnd(clip) <= windowStart) continue;
    if (isStillRecording(clip, now, settings)) {
      plan.stillRecording.push(clip);
      continue;
    }
    plan.toBackup.push(clip);
  }
  plan.toBackup.sort(compareClips);
  plan.alreadyInBucket.sort(compareClips);
  plan.watermarkSequence = [...plan.toBackup, ...plan.alreadyInBucket, ...plan.stillRecording].sort(compareClips);
  return plan;
}

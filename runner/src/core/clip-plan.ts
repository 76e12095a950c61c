// Clip planning, pure: from a camera's listed clips and its state, which clips to back up, in order.
import type { CameraState, Clip, TimeWindow } from './ports.js';
import { clipEnd, hasValidTimes } from './clip-time.js';
import { isRecordedLanded } from './watermark.js';

export interface PlanSettings {
  /** How far before the watermark to look for clips that were listed late (ms). */
  lookbackMs: number;
  /** A clip must have ended at least this long ago (ms) before it is backed up. */
  settleMs: number;
  /** A clip without a duration is treated as still recording until it started this long ago (ms). */
  openClipMaxMs: number;
}

export interface InvalidClip {
  clip: Clip;
  reason: string;
}

export interface CameraPlan {
  /** Clips to upload, in chronological order (start, then end, then id). */
  toBackup: Clip[];
  /** Clips that have not ended `settle` ago: the next run takes them. */
  stillRecording: Clip[];
  /** Clips the state records as already in the bucket (the watermark may pass them), in chronological order. */
  alreadyInBucket: Clip[];
  /** Clips listed more than once (same id), counted once. */
  duplicates: number;
  /** Clips that cannot be backed up: empty id, unusable times. Reported, never uploaded. */
  invalid: InvalidClip[];
}

/** The window to list a camera's clips for: from `lookback` before its watermark up to now. */
export function listingWindow(watermark: number, now: number, settings: PlanSettings): TimeWindow {
  return { startTime: Math.max(0, watermark - settings.lookbackMs), endTime: now };
}

function invalidReason(clip: Clip): string | undefined {
  if (typeof clip.id !== 'string' || clip.id.trim() === '') return 'empty clip id';
  if (!hasValidTimes(clip)) {
    return `unusable times (startTime ${String(clip.startTime)}, duration ${String(clip.duration)})`;
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
  const plan: CameraPlan = { toBackup: [], stillRecording: [], alreadyInBucket: [], duplicates: 0, invalid: [] };
  const seen = new Set<string>();
  const windowStart = watermark - settings.lookbackMs;
  for (const clip of listed) {
    const reason = invalidReason(clip);
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
  return plan;
}

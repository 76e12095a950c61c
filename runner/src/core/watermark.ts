// Watermark rules, pure. A camera's watermark says: every clip of this camera that ended at or before it is in
// the bucket. It only moves forward, and only over a contiguous run of clips that landed.
import type { CameraAdvance, CameraState, Clip } from './ports.js';
import { clipEnd } from './clip-time.js';

export type ClipOutcome = 'landed' | 'failed';

/**
 * The watermark after a run over `planned` clips (chronological), given each clip's outcome so far.
 * It advances over landed clips in order and stops at the first clip that failed or has no outcome yet.
 */
export function advanceOverLanded(current: number, planned: readonly Clip[], outcomes: ReadonlyMap<string, ClipOutcome>): number {
  let watermark = current;
  for (const clip of planned) {
    if (outcomes.get(clip.id) !== 'landed') break;
    watermark = Math.max(watermark, clipEnd(clip));
  }
  return watermark;
}

/** Merges a proposed advance into a camera's stored state: never backwards, forgets old clip ids. */
export function mergeCameraAdvance(previous: CameraState | undefined, advance: CameraAdvance): CameraState {
  const lastTimestamp = Math.max(previous?.lastTimestamp ?? 0, advance.lastTimestamp);
  const recentClips: Record<string, number> = {};
  for (const [id, end] of Object.entries({ ...previous?.recentClips, ...advance.landed })) {
    if (end >= advance.forgetBefore) recentClips[id] = end;
  }
  return { name: advance.name, lastTimestamp, recentClips };
}

/**
 * The document-level watermark: the minimum over cameras, never below its previous value (a camera that
 * joins later with an older watermark does not pull it back; its own watermark still tells the truth).
 */
export function siteWatermark(previous: number, cameras: Record<string, CameraState>): number {
  const values = Object.values(cameras).map((camera) => camera.lastTimestamp);
  if (values.length === 0) return previous;
  return Math.max(previous, Math.min(...values));
}

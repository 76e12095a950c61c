// Watermark rules, pure. A camera's watermark says: every clip of this camera that ended at or before it is in
// the bucket. It only moves forward, and only over a contiguous run of clips that landed.
import type { CameraAdvance, CameraState, Clip, NewCamera } from './ports.js';
import { clipEnd } from './clip-time.js';
import { mergeRecovery } from './recovery-point.js';
import { boundedText, clipKey, MAX_RECENT_CLIPS_PER_CAMERA, REMOVED_CAMERA_MS } from './state-limits.js';

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

/** The state of a camera the document does not know yet. */
export function emptyCamera(name: string, lastTimestamp = 0): CameraState {
  return { name: boundedText(name), lastTimestamp, recentClips: new Map(), listedAt: undefined, mismatches: [], unsupported: { count: 0, recent: [] } };
}

/** True when the state records the clip (by id) as already in the bucket. */
export function isRecordedLanded(state: CameraState | undefined, clipId: string): boolean {
  return state?.recentClips.has(clipKey(clipId)) ?? false;
}

/**
 * The highest watermark the camera may hold: just before the end of its earliest clip whose stored object has the
 * wrong bytes and no right copy yet (issue: a 412 for that clip's name must never count it as backed up).
 */
export function watermarkCeiling(state: CameraState | undefined): number {
  const open = (state?.mismatches ?? []).filter((record) => record.rightCopy === undefined);
  return open.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...open.map((record) => record.end)) - 1;
}

/** Keeps the `max` recent-clip records that end first (those the watermark needs next); drops the newest. */
export function keepOldestRecent(recent: Map<string, number>, max: number): Map<string, number> {
  if (recent.size <= max) return recent;
  return new Map([...recent].sort((a, b) => a[1] - b[1]).slice(0, max));
}

/** Merges a proposed advance into a camera's stored state: never backwards, forgets old clip ids, stays bounded. */
export function mergeCameraAdvance(previous: CameraState | undefined, advance: CameraAdvance, maxRecent = MAX_RECENT_CLIPS_PER_CAMERA): CameraState {
  const base = previous ?? emptyCamera(advance.name);
  const proposed = Math.min(advance.lastTimestamp, watermarkCeiling(previous));
  const lastTimestamp = Math.max(base.lastTimestamp, proposed);
  const recent = new Map<string, number>();
  for (const [key, end] of base.recentClips) if (end >= advance.forgetBefore) recent.set(key, end);
  for (const [id, end] of advance.landed) if (end >= advance.forgetBefore) recent.set(clipKey(id), end);
  return {
    ...base,
    name: boundedText(advance.name),
    lastTimestamp,
    recentClips: keepOldestRecent(recent, maxRecent),
    listedAt: advance.at ?? base.listedAt,
    ...(advance.recovery ? { recovery: mergeRecovery(base.recovery, advance.recovery) } : {}),
  };
}

/**
 * After a run: the cameras it listed are listed at `now`; a camera never recorded as listed (a document from
 * before `listedAt` existed) that this run did not list starts its REMOVED_CAMERA_MS clock now.
 */
export function markListed(cameras: ReadonlyMap<string, CameraState>, listedIds: readonly string[], now: number): Map<string, CameraState> {
  const listed = new Set(listedIds);
  const marked = new Map(cameras);
  for (const [id, camera] of cameras) {
    if (listed.has(id) || camera.listedAt === undefined) marked.set(id, { ...camera, listedAt: now });
  }
  return marked;
}

/** Whether a camera still counts for the site's minimum: listed by a run within REMOVED_CAMERA_MS (or never recorded). */
export function isCurrentCamera(camera: CameraState, now: number | undefined): boolean {
  return now === undefined || camera.listedAt === undefined || camera.listedAt >= now - REMOVED_CAMERA_MS;
}

/**
 * The document-level watermark: the minimum over the cameras still listed, never below its previous value (a
 * camera that joins later with an older watermark does not pull it back; its own watermark still tells the
 * truth). A camera no run has listed for REMOVED_CAMERA_MS (removed from the NVR, or excluded) no longer holds
 * it back.
 */
export function siteWatermark(previous: number, cameras: ReadonlyMap<string, CameraState>, now?: number): number {
  const values = [...cameras.values()].filter((camera) => isCurrentCamera(camera, now)).map((camera) => camera.lastTimestamp);
  if (values.length === 0) return previous;
  return Math.max(previous, Math.min(...values));
}

/** The advance that records a new camera: its starting watermark, no clip. */
export function newCameraAdvance(camera: NewCamera): CameraAdvance {
  return { cameraId: camera.cameraId, name: camera.name, lastTimestamp: camera.lastTimestamp, landed: new Map(), forgetBefore: 0, at: camera.at };
}

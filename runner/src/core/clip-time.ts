// Time facts about a clip. `VideoClip` has no end time: the end is start + duration (ms).
import type { Clip } from './ports.js';

/** End of the clip in epoch ms; a clip without a duration ends where it starts. */
export function clipEnd(clip: Clip): number {
  return clip.startTime + (clip.duration ?? 0);
}

/** True when the clip's start and duration are usable numbers (finite, not negative). */
export function hasValidTimes(clip: Clip): boolean {
  return (
    Number.isFinite(clip.startTime) &&
    clip.startTime >= 0 &&
    (clip.duration === undefined || (Number.isFinite(clip.duration) && clip.duration >= 0))
  );
}

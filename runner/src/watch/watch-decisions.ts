// The watch's decisions, pure: which device events are hints, which cameras are due for a backup, and when each
// camera must be listed next. The watch loop (watch-loop.ts) does the I/O around them.
import { clipEnd } from '../core/clip-time.js';
import type { SiteState } from '../core/ports.js';
import { hasWork, type PlannedCamera } from '../job/camera-backup.js';

export interface WatchTiming {
  /** Every camera is listed at least this often (WATCH_POLL_SECONDS): the guarantee, whatever the events say. */
  pollMs: number;
  /** A camera with a recent hint is listed this often... */
  hotPollMs: number;
  /** ...for this long after its last hint (a clip ends some seconds after its motion does). */
  hotForMs: number;
  /** Least time between two backup runs that did not complete (a failing bucket is not hammered). */
  retryAfterMs: number;
}

/** 30 s listings, 5 s while a camera is hot (3 minutes after a hint); a failed run is retried after a minute. */
export const DEFAULT_WATCH_TIMING: Omit<WatchTiming, 'pollMs'> = { hotPollMs: 5_000, hotForMs: 180_000, retryAfterMs: 60_000 };

/**
 * Device events that may mean a clip is being recorded or just ended (docs/scrypted-protocol.md §14): motion
 * (`MotionSensor`, property `motionDetected`), object detections (`ObjectDetector`), and a clip provider saying its
 * clips changed (`VideoClips`). Anything else (a name, a battery level, a setting) is not a hint.
 */
const HINT_INTERFACES = new Set(['MotionSensor', 'ObjectDetector', 'VideoClips', 'AudioSensor']);
const HINT_PROPERTIES = new Set(['motionDetected', 'audioDetected']);

export function isClipHint(event: { eventInterface: string | undefined; property: string | undefined }): boolean {
  return (event.eventInterface !== undefined && HINT_INTERFACES.has(event.eventInterface)) || (event.property !== undefined && HINT_PROPERTIES.has(event.property));
}

/**
 * The cameras due for a backup run now: those with a settled clip to upload (or landed clips the watermark can
 * pass), and those the state does not know yet (a run records them, so their backfill starts).
 */
export function dueCameras(planned: readonly PlannedCamera[], known: SiteState | undefined): string[] {
  return planned
    .filter((camera) => hasWork(camera) || !known?.cameras.has(camera.listing.camera.id))
    .map((camera) => camera.listing.camera.id);
}

/**
 * When the camera's earliest still-recording clip with a duration settles (its end + settle), or undefined. A
 * clip without a duration has no known end: the regular listing finds it once it has one.
 */
export function settlesAt(planned: PlannedCamera, settleMs: number): number | undefined {
  const ends = planned.plan.stillRecording.filter((clip) => clip.duration !== undefined).map((clip) => clipEnd(clip) + settleMs);
  return ends.length === 0 ? undefined : Math.min(...ends);
}

/** What the watch knows of one camera between listings. */
export interface CameraWatch {
  /** When it was last listed (ms); undefined: never. */
  listedAt: number | undefined;
  /** Until when a hint keeps it hot (ms). */
  hotUntil: number | undefined;
  /** When a clip listed as still recording settles (ms). */
  settlesAt: number | undefined;
}

/** When the camera must be listed next: the regular poll, sooner while hot, and at the moment a clip settles. */
export function nextListingAt(camera: CameraWatch, timing: WatchTiming): number {
  if (camera.listedAt === undefined) return Number.NEGATIVE_INFINITY;
  const regular = camera.listedAt + timing.pollMs;
  const hot = camera.hotUntil !== undefined && camera.hotUntil > camera.listedAt ? camera.listedAt + timing.hotPollMs : Number.POSITIVE_INFINITY;
  return Math.min(regular, hot, camera.settlesAt ?? Number.POSITIVE_INFINITY);
}

/** The cameras to list at `now`, by id. */
export function camerasToList(cameras: ReadonlyMap<string, CameraWatch>, now: number, timing: WatchTiming): string[] {
  return [...cameras].filter(([, camera]) => nextListingAt(camera, timing) <= now).map(([id]) => id);
}

/** When the watch must wake next (the earliest next listing; `now + pollMs` when there is no camera yet). */
export function nextWakeAt(cameras: ReadonlyMap<string, CameraWatch>, now: number, timing: WatchTiming, notBefore = 0): number {
  const times = [...cameras.values()].map((camera) => nextListingAt(camera, timing));
  const earliest = times.length === 0 ? now + timing.pollMs : Math.min(...times);
  return Math.max(earliest, notBefore);
}

/** Least time between two listings of a camera that hints ask for (a burst of events makes one listing). */
export const HINT_GAP_MS = 1_000;

/** A hint for a camera: it is hot from now, and listed at once (at most one listing per HINT_GAP_MS). */
export function withHint(camera: CameraWatch | undefined, now: number, timing: WatchTiming): CameraWatch {
  const soon = Math.max(now, (camera?.listedAt ?? Number.NEGATIVE_INFINITY) + HINT_GAP_MS);
  return { listedAt: camera?.listedAt, settlesAt: Math.min(camera?.settlesAt ?? Number.POSITIVE_INFINITY, soon), hotUntil: now + timing.hotForMs };
}

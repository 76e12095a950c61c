// The three ports of the runner. The core and the job depend on these interfaces only; each adapter
// (scrypted/, gcs/, firestore/) implements one of them and passes that port's conformance suite.
import type { Readable } from 'node:stream';
import type { RecoveryMeasure, RecoveryRecord } from './recovery-point.js';

/** A device that implements Scrypted's `VideoClips` interface. */
export interface Camera {
  id: string;
  name: string;
}

/** One recorded clip, as listed by the source. Times are epoch milliseconds. */
export interface Clip {
  id: string;
  cameraId: string;
  startTime: number;
  /** Milliseconds; a clip without a duration is treated as still recording until it has one. */
  duration: number | undefined;
  event?: string | undefined;
  description?: string | undefined;
  detectionClasses?: string[] | undefined;
}

export interface TimeWindow {
  startTime: number;
  endTime: number;
}

/** An open byte stream of one clip. `size` is known when the server sent a Content-Length. */
export interface ClipStream {
  stream: Readable;
  size: number | undefined;
}

/** Whether a clip's bytes can be had as a file, told without fetching them. */
export type ClipProbe = { supported: true } | { supported: false; reason: string };

export interface ClipSource {
  /** Every camera (device with VideoClips) after the user's include/exclude filter. */
  listCameras(): Promise<Camera[]>;
  /** The camera's clips overlapping the window; providers filter differently, so callers dedupe. */
  listClips(camera: Camera, window: TimeWindow): Promise<Clip[]>;
  /** Opens the clip's MP4 bytes as a stream (never through RPC). Each call opens a fresh stream. */
  openClip(camera: Camera, clip: Clip, signal?: AbortSignal): Promise<ClipStream>;
  /**
   * Tells, without fetching any bytes, whether openClip can give the clip as a file (for the dry run). A clip it
   * reports unsupported makes openClip throw UnsupportedClipError.
   */
  probeClip(camera: Camera, clip: Clip): Promise<ClipProbe>;
  close(): Promise<void>;
}

/** What the sink stores with an object, besides its bytes. */
export interface ObjectDescription {
  name: string;
  contentType: string;
  metadata: Record<string, string>;
  /** Byte size when known in advance (lets the sink choose a single-request upload). */
  size: number | undefined;
}

/** `created`: the object is new and its bytes were verified; `exists`: an object of that name was already there. */
export type PutOutcome = 'created' | 'exists';

export interface PutResult {
  outcome: PutOutcome;
  bytes: number;
  /** Upload attempts made (1 when the first try succeeded). */
  attempts: number;
}

/** Told when an upload reaches each of its phases (the `clip.timeline` debug line); the adapter names the phases. */
export interface UploadPhaseRecorder {
  mark(phase: string): void;
}

export interface ClipSink {
  /**
   * Stores the object only if no object of that name exists (never overwrites). `open` is called once per
   * attempt: a consumed stream cannot be replayed, so a retry fetches the bytes again.
   * With `ready`, the upload may send its bytes at once but must not create the object before `ready` resolves:
   * it holds back its last bytes until then. If `ready` rejects, the upload creates nothing and fails with its
   * error (the run's lease, taken while the first uploads start: run-backup.ts).
   */
  putIfAbsent(object: ObjectDescription, open: () => Promise<ClipStream>, signal?: AbortSignal, phases?: UploadPhaseRecorder, ready?: Promise<void>): Promise<PutResult>;
}

/**
 * A clip whose stored object came out with the wrong bytes (the sink threw StoredObjectMismatchError). The
 * camera's watermark never passes it until a right copy is in the bucket under another name (`rightCopy`).
 */
export interface MismatchRecord {
  /** clipKey(clip id): how the record is matched to a listed clip. */
  clipKey: string;
  /** The clip id for people (cut to MAX_DISPLAY_CHARS). */
  clipId: string;
  startTime: number;
  end: number;
  /** The object that holds the wrong bytes (the key can neither delete nor overwrite it). */
  wrongObject: string;
  detectedAt: number;
  /** Copies tried under a new name so far: the next one is named with suffix `_r{attempts + 1}`. */
  attempts: number;
  /** The object that holds the clip's right bytes, once one landed. */
  rightCopy?: string | undefined;
  resolvedAt?: number | undefined;
}

/** Clips this runner can never back up (e.g. only an ffmpeg/RTSP input): how many, and the last few. */
export interface UnsupportedClips {
  count: number;
  recent: Array<{ clipId: string; startTime: number; at: number; reason: string }>;
}

export interface CameraState {
  name: string;
  /** Every clip of this camera that ended at or before this time (ms) is in the bucket. */
  lastTimestamp: number;
  /**
   * clipKey(clip id) -> end time (ms) of clips already in the bucket that ended inside the lookback window, or
   * that landed ahead of the watermark. Keyed by a short hash so an id of any length or shape costs the same
   * few bytes; bounded (MAX_RECENT_CLIPS_PER_CAMERA). A Map: outside data never meets a prototype.
   */
  recentClips: Map<string, number>;
  /** Last time (ms) a run listed this camera; a camera not listed for REMOVED_CAMERA_MS leaves the site minimum. */
  listedAt: number | undefined;
  mismatches: MismatchRecord[];
  unsupported: UnsupportedClips;
  /** The recovery point (clip end to object in the bucket): the last one and the worst of its UTC day. */
  recovery?: RecoveryRecord | undefined;
}

export interface Lease {
  owner: string;
  expiresAt: number;
}

export interface RunCounters {
  startedAt: number;
  finishedAt: number;
  uploaded: number;
  existing: number;
  failed: number;
  bytes: number;
}

/** Something found wrong in the stored state and what was done about it (kept: the last few). */
export interface StateRepair {
  at: number;
  what: string;
}

export interface SiteState {
  /** Minimum of the listed cameras' watermarks: everything before it is in the bucket, for every camera. */
  lastTimestamp: number;
  /** Camera id -> its state. A Map: camera ids come from the NVR. */
  cameras: Map<string, CameraState>;
  lease: Lease | undefined;
  lastRun: RunCounters | undefined;
  /** Repairs made to the stored state (persisted, the last few). */
  repairs: StateRepair[];
  /** The store's clock when this state was read (Firestore: the server's read time); undefined when unknown. */
  readAt?: number | undefined;
  /** Repairs this read found (malformed or future values): the run logs them; written with the next write. */
  found?: StateRepair[] | undefined;
  /**
   * The bucket this state's watermarks are about (GCS_BUCKET_NAME of the first run that wrote it); undefined for a
   * document written before this field existed (it takes the bucket of its next write).
   */
  bucket?: string | undefined;
}

/** On `acquired`, `state` is the document as the lease's own transaction read and wrote it (no second read needed). */
export type LeaseOutcome = { acquired: true; lease: Lease; state: SiteState } | { acquired: false; heldBy: Lease };

/** A camera's proposed watermark and the clips that landed; the store merges it with `mergeCameraAdvance`. */
export interface CameraAdvance {
  cameraId: string;
  name: string;
  lastTimestamp: number;
  /** Clip id -> end time (ms) of each clip now in the bucket. */
  landed: ReadonlyMap<string, number>;
  /** Entries of `recentClips` that ended before this time (ms) are forgotten. */
  forgetBefore: number;
  /** The runner's clock when the advance was made (recorded as the camera's `listedAt`). */
  at?: number | undefined;
  /** Recovery points of the clips this run created since the last advance (merged into `recovery`). */
  recovery?: RecoveryMeasure | undefined;
}

/** A camera to record if the state does not hold it yet: its starting watermark, and the runner's clock then. */
export interface NewCamera {
  cameraId: string;
  name: string;
  lastTimestamp: number;
  at: number;
}

/** A clip that could not be backed up the normal way, recorded in its camera's state. */
export type ClipIssue =
  | { kind: 'mismatch'; clipId: string; startTime: number; end: number; wrongObject: string; at: number }
  | { kind: 'mismatch-retry-failed'; clipId: string; object: string; at: number }
  | { kind: 'right-copy'; clipId: string; object: string; at: number }
  | { kind: 'unsupported'; clipId: string; startTime: number; reason: string; at: number };

export interface StateStore {
  /** Reads the state document, creating it (watermark 0) when it does not exist. */
  read(): Promise<SiteState>;
  /**
   * Takes the lease if it is free, expired or already ours (transaction). With `cameras`, the same transaction
   * records each camera the state does not hold yet, at its starting watermark (as `advanceCamera` would, with no
   * clip), so the site's watermark accounts for it before any upload; a camera the state holds is left as it is.
   */
  acquireLease(owner: string, ttlMs: number, now: number, cameras?: readonly NewCamera[]): Promise<LeaseOutcome>;
  /** Extends our lease; false when it is no longer ours. */
  renewLease(owner: string, ttlMs: number, now: number): Promise<boolean>;
  /** Moves one camera's watermark forward in a transaction (never backwards) and returns the new state. */
  advanceCamera(advance: CameraAdvance): Promise<SiteState>;
  /** Records a clip issue in its camera's state (transaction). */
  recordClipIssue(cameraId: string, cameraName: string, issue: ClipIssue): Promise<void>;
  /**
   * Stores the counters of the run that just ended, and marks the cameras it listed as listed at `finishedAt`; with
   * `releaseLeaseOf`, also frees the lease if that owner still holds it; with `advances`, first moves those cameras'
   * watermarks exactly as `advanceCamera` would (the run's last advances, saving each a transaction of its own).
   * All in one transaction: it stores all of it or nothing. Returns the state as written.
   */
  recordRun(counters: RunCounters, listedCameraIds?: readonly string[], releaseLeaseOf?: string, advances?: readonly CameraAdvance[]): Promise<SiteState>;
}

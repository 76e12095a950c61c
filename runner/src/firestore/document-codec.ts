// Converts between the state document as Firestore stores it and the core's SiteState. Data from an older version
// or a hand edit in the console is read defensively: a malformed field is reported (a repair the run logs and
// `status` shows), never silently read as "since 1970".
//
// Format 2 (`schema: 2`). No key of the document comes from outside data: cameras are stored under
// `c` + a hash of their id (the id itself is a value), recent clips under `k` + a hash of the clip id, so ids
// such as `__x__`, 5,000 characters, lone surrogates or dots are plain values or fixed-length keys. Format 1
// (cameras keyed by their id, `recentClips` keyed by clip ids) is still read, and rewritten as format 2 by the
// next write. The size of the document is bounded (docs/reliability.md, "The state document's size").
// Next to every time a person looks for (the watermarks, the lease's expiry, the last run's end) an ISO string
// (`...Iso`) is written for the Firestore console; reading ignores them. `bucket` names the bucket the watermarks
// are about.
import type { CameraState, Lease, MismatchRecord, RunCounters, SiteState, StateRepair, UnsupportedClips } from '../core/ports.js';
import { boundedText, cameraFieldName, clipKey, MAX_OBJECT_NAME_CHARS } from '../core/state-limits.js';
import type { RecoveryRecord } from '../core/recovery-point.js';
import { emptyCamera, keepOldestRecent } from '../core/watermark.js';

type Data = Record<string, unknown>;

export const SCHEMA_VERSION = 2;
/** Firestore refuses documents over 1 MiB (1,048,576 bytes); the store keeps well under it. */
export const DOCUMENT_BUDGET_BYTES = 900_000;

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const asNumber = (value: unknown, fallback = 0): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
const asString = (value: unknown, max?: number): string => (typeof value === 'string' ? boundedText(value, max) : '');
const asRecord = (value: unknown): Data => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Data) : {});
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export interface DecodeOptions {
  initialWatermark: number;
  /** The reader's clock, for the time of the repairs found while decoding. */
  now: number;
}

export interface Decoded {
  state: SiteState;
  /** What was malformed and how it was read (not yet written). */
  repairs: StateRepair[];
}

const describe = (value: unknown): string => {
  try {
    return boundedText(JSON.stringify(value) ?? String(value), 60);
  } catch {
    return typeof value;
  }
};

function decodeMismatch(value: unknown): MismatchRecord | undefined {
  const data = asRecord(value);
  if (typeof data.clipKey !== 'string' || !isTime(data.end)) return undefined;
  return {
    clipKey: data.clipKey,
    clipId: asString(data.clipId),
    startTime: asNumber(data.startTime),
    end: data.end,
    wrongObject: asString(data.wrongObject, MAX_OBJECT_NAME_CHARS),
    detectedAt: asNumber(data.detectedAt),
    attempts: Math.max(0, Math.floor(asNumber(data.attempts))),
    rightCopy: typeof data.rightCopy === 'string' ? boundedText(data.rightCopy, MAX_OBJECT_NAME_CHARS) : undefined,
    resolvedAt: isTime(data.resolvedAt) ? data.resolvedAt : undefined,
  };
}

function decodeUnsupported(value: unknown): UnsupportedClips {
  const data = asRecord(value);
  const recent = asArray(data.recent).map((entry) => {
    const item = asRecord(entry);
    return { clipId: asString(item.clipId), startTime: asNumber(item.startTime), at: asNumber(item.at), reason: asString(item.reason) };
  });
  return { count: Math.max(0, Math.floor(asNumber(data.count))), recent };
}

/** A camera's recovery record (added after format 2 began: absent in older documents, then undefined). */
function decodeRecovery(value: unknown): RecoveryRecord | undefined {
  const data = asRecord(value);
  if (!isTime(data.lastMs) || !isTime(data.lastAt) || !isTime(data.day) || !isTime(data.worstOfDayMs)) return undefined;
  return { lastMs: data.lastMs, lastAt: data.lastAt, day: data.day, worstOfDayMs: data.worstOfDayMs };
}

function decodeCamera(field: string, value: unknown, siteWatermark: number | undefined, options: DecodeOptions, repairs: StateRepair[]): [string, CameraState] {
  const data = asRecord(value);
  const id = typeof data.idUtf16 === 'string' ? Buffer.from(data.idUtf16, 'hex').toString('utf16le') : typeof data.id === 'string' ? data.id : field;
  const camera = emptyCamera(asString(data.name));
  if (isTime(data.lastTimestamp)) {
    camera.lastTimestamp = data.lastTimestamp;
  } else {
    camera.lastTimestamp = siteWatermark ?? 0;
    const from = siteWatermark === undefined ? '0 (every clip the NVR still has is backed up again, answered "already there")' : "the site's lastTimestamp";
    repairs.push({ at: options.now, what: `camera ${camera.name || id}: watermark ${describe(data.lastTimestamp)} is not a time; read as ${from}` });
  }
  if (data.recent !== undefined) {
    for (const [key, end] of Object.entries(asRecord(data.recent))) if (isTime(end)) camera.recentClips.set(key, end);
  } else {
    // Format 1: keyed by the clip ids themselves.
    for (const [clipId, end] of Object.entries(asRecord(data.recentClips))) if (isTime(end)) camera.recentClips.set(clipKey(clipId), end);
  }
  camera.listedAt = isTime(data.listedAt) ? data.listedAt : undefined;
  camera.mismatches = asArray(data.mismatches).map(decodeMismatch).filter((record): record is MismatchRecord => record !== undefined);
  camera.unsupported = decodeUnsupported(data.unsupported);
  const recovery = decodeRecovery(data.recovery);
  if (recovery) camera.recovery = recovery;
  return [id, camera];
}

function decodeLease(value: unknown, options: DecodeOptions, repairs: StateRepair[]): Lease | undefined {
  const data = asRecord(value);
  if (typeof data.owner !== 'string') return undefined;
  if (!isTime(data.expiresAt)) {
    repairs.push({ at: options.now, what: `the lease of ${boundedText(data.owner, 80)} has no usable expiry (${describe(data.expiresAt)}); it is not honoured` });
    return undefined;
  }
  return { owner: data.owner, expiresAt: data.expiresAt };
}

function decodeRun(value: unknown): RunCounters | undefined {
  const data = asRecord(value);
  if (data.finishedAt === undefined) return undefined;
  return {
    startedAt: asNumber(data.startedAt),
    finishedAt: asNumber(data.finishedAt),
    uploaded: asNumber(data.uploaded),
    existing: asNumber(data.existing),
    failed: asNumber(data.failed),
    bytes: asNumber(data.bytes),
  };
}

function decodeRepairs(value: unknown): StateRepair[] {
  return asArray(value).map((entry) => {
    const item = asRecord(entry);
    return { at: asNumber(item.at), what: asString(item.what, 400) };
  });
}

export function decodeSiteState(data: Data | undefined, options: DecodeOptions): Decoded {
  const repairs: StateRepair[] = [];
  if (!data) return { state: { lastTimestamp: options.initialWatermark, cameras: new Map(), lease: undefined, lastRun: undefined, repairs: [] }, repairs };
  let lastTimestamp = options.initialWatermark;
  if (isTime(data.lastTimestamp)) lastTimestamp = data.lastTimestamp;
  else if (data.lastTimestamp !== undefined) {
    repairs.push({ at: options.now, what: `site lastTimestamp ${describe(data.lastTimestamp)} is not a time; read as ${options.initialWatermark}` });
  }
  const siteWatermark = isTime(data.lastTimestamp) ? data.lastTimestamp : undefined;
  const cameras = new Map<string, CameraState>();
  for (const [field, value] of Object.entries(asRecord(data.cameras))) {
    const [id, camera] = decodeCamera(field, value, siteWatermark, options, repairs);
    cameras.set(id, camera);
  }
  const state: SiteState = {
    lastTimestamp,
    cameras,
    lease: decodeLease(data.lease, options, repairs),
    lastRun: decodeRun(data.lastRun),
    repairs: decodeRepairs(data.repairs),
    bucket: typeof data.bucket === 'string' && data.bucket !== '' ? boundedText(data.bucket, 222) : undefined,
  };
  return { state, repairs };
}

/** True when the text has no lone surrogate (Firestore strings are UTF-8: a lone surrogate cannot be stored). */
const isWellFormed = (text: string): boolean => boundedText(text, Number.MAX_SAFE_INTEGER) === text;

function encodeCamera(id: string, camera: CameraState): Data {
  return {
    // An id with a lone surrogate is stored as the hex of its UTF-16 code units, so it reads back exactly.
    id: boundedText(id, Number.MAX_SAFE_INTEGER),
    ...(isWellFormed(id) ? {} : { idUtf16: Buffer.from(id, 'utf16le').toString('hex') }),
    name: camera.name,
    lastTimestamp: camera.lastTimestamp,
    lastTimestampIso: readableTime(camera.lastTimestamp),
    listedAt: camera.listedAt ?? null,
    recent: Object.fromEntries(camera.recentClips),
    mismatches: camera.mismatches.map((record) => ({ ...record, rightCopy: record.rightCopy ?? null, resolvedAt: record.resolvedAt ?? null })),
    unsupported: { count: camera.unsupported.count, recent: camera.unsupported.recent },
    ...(camera.recovery ? { recovery: { ...camera.recovery } } : {}),
  };
}

/**
 * The document's fields this runner owns (without `updatedAt`, which the store sets from the server clock): every
 * write replaces these, all of them, and leaves any other field alone.
 */
export function encodeSiteState(state: SiteState): Data {
  const cameras: Data = {};
  for (const [id, camera] of state.cameras) cameras[cameraFieldName(id)] = encodeCamera(id, camera);
  return {
    schema: SCHEMA_VERSION,
    lastTimestamp: state.lastTimestamp,
    lastTimestampIso: readableTime(state.lastTimestamp),
    bucket: state.bucket ?? null,
    cameras,
    lease: state.lease ? { ...state.lease, expiresAtIso: readableTime(state.lease.expiresAt) } : null,
    lastRun: state.lastRun ? { ...state.lastRun, finishedAtIso: readableTime(state.lastRun.finishedAt) } : null,
    repairs: state.repairs,
  };
}

/**
 * A time (ms) as an ISO 8601 UTC string, written next to each number so the Firestore console shows a date
 * (`lastTimestampIso`, `expiresAtIso`, `finishedAtIso`). Only for people: the numbers stay the truth and are what
 * is read back; null for 0 (never) or a value that is not a time.
 */
export function readableTime(ms: number): string | null {
  return Number.isFinite(ms) && ms > 0 && ms < 8.64e15 ? new Date(ms).toISOString() : null;
}

/** Firestore's storage size of a value (https://cloud.google.com/firestore/docs/storage-size). */
export function storageSize(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'number') return 8;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8') + 1;
  if (Array.isArray(value)) return value.reduce((total: number, item) => total + storageSize(item), 0);
  if (typeof value === 'object') {
    let total = 0;
    for (const [key, item] of Object.entries(value as Data)) total += Buffer.byteLength(key, 'utf8') + 1 + storageSize(item);
    return total;
  }
  return 8;
}

/** Storage size of one recent-clip record: its fixed-length key and its end time. */
const RECENT_RECORD_BYTES = storageSize({ [clipKey('')]: 0 });

/**
 * Keeps the state under DOCUMENT_BUDGET_BYTES: when it is over, the cameras with the most recent-clip records are
 * cut to one common cap, the highest that frees enough bytes, keeping each camera's oldest records. A dropped
 * record only costs a second upload attempt for that clip, answered "already there"; the watermarks, mismatch
 * records and the lease are never dropped.
 */
export function fitToBudget(state: SiteState, budget = DOCUMENT_BUDGET_BYTES): SiteState {
  const excess = storageSize(encodeSiteState(state)) - budget;
  if (excess <= 0) return state;
  const sizes = [...state.cameras.values()].map((camera) => camera.recentClips.size);
  const freed = (cap: number) => sizes.reduce((total, size) => total + Math.max(0, size - cap), 0) * RECENT_RECORD_BYTES;
  // The highest cap that frees at least `excess` bytes (freed() falls as the cap rises).
  let low = 0;
  let high = Math.max(0, ...sizes);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (freed(middle) >= excess) low = middle;
    else high = middle - 1;
  }
  const cameras = new Map([...state.cameras].map(([id, camera]) => [id, { ...camera, recentClips: keepOldestRecent(camera.recentClips, low) }]));
  return { ...state, cameras };
}

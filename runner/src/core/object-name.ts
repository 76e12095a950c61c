// Object naming, pure: `[prefix/]{camera}/{yyyy}/{MM}/{dd}/{HH-mm-ss}_{tag}.mp4` in UTC.
//
// The seed's form is `{cameraName}/{yyyy}/{MM}/{dd}/{HH-mm-ss}.mp4`. Two clips of one camera that start in the
// same second would share that name, and the runner's key can neither overwrite nor read, so the second clip
// would be silently dropped. Each name therefore ends in `_{tag}`: 8 hex digits of sha256(site, cameraId, clipId).
// The site is in the tag because two sites may share a bucket without distinct OBJECT_PREFIXes: their cameras
// can have the same ids and names (a second NVR set up the same way), and without the site the second site's
// clip would find the first one's object and be counted "already in the bucket". The name stays a pure function
// of the clip (stable across runs), sorts by time, and is unique per clip and site.
import { createHash } from 'node:crypto';
import type { Camera, Clip } from './ports.js';

/** Longest camera or prefix segment, in UTF-8 bytes, before it is cut and tagged. */
export const MAX_SEGMENT_BYTES = 64;

/** The site when SITE_ID is not set; it is part of every object name's tag. */
export const DEFAULT_SITE_ID = 'home';

function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 8);
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Lone surrogates (half of a pair) become U+FFFD, so the text is valid UTF-16 and encodes to valid UTF-8. */
export function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** The longest start of `text` (well-formed) of at most `maxBytes` UTF-8 bytes made of whole `units`. */
function cutUnits(units: Iterable<string>, maxBytes: number): string {
  let result = '';
  let bytes = 0;
  for (const unit of units) {
    const size = Buffer.byteLength(unit);
    if (bytes + size > maxBytes) break;
    result += unit;
    bytes += size;
  }
  return result;
}

/**
 * The longest start of `text` of at most `maxBytes` UTF-8 bytes that ends on a grapheme boundary: never half a
 * surrogate pair, never a letter without its combining marks, never part of an emoji sequence. Only when the
 * first grapheme alone is over the limit and is a letter under hundreds of marks are some of its marks dropped.
 */
export function cutToBytes(text: string, maxBytes: number): string {
  const whole = wellFormed(text);
  if (Buffer.byteLength(whole) <= maxBytes) return whole;
  const cut = cutUnits([...graphemes.segment(whole)].map(({ segment }) => segment), maxBytes);
  if (cut !== '') return cut;
  // A letter or digit under more marks than fit: keep it with the marks that do (never part of an emoji).
  return cutUnits(/^[\p{L}\p{N}]\p{M}*/u.exec(whole)?.[0] ?? '', maxBytes);
}

/**
 * Makes one path segment safe: letters and digits of any script with their combining marks (`कैमरा` keeps its
 * vowel signs), plus `-`, `_` and `.` are kept (NFC first); a mark not attached to a letter or digit, and
 * everything else (slashes, backslashes, control characters, spaces, emoji, punctuation) becomes `_`; runs of
 * `_` collapse; leading and trailing `.`, `_`, `-` are trimmed, so `..` cannot survive. A segment that ends up
 * empty becomes `{fallback}-{hash}`; one longer than MAX_SEGMENT_BYTES is cut and tagged with the hash of the
 * full original, so two long names that share a beginning stay distinct.
 */
export function sanitizeSegment(raw: string, fallback: string): string {
  const cleaned = wellFormed(raw)
    .normalize('NFC')
    .replace(/([\p{L}\p{N}]\p{M}*|[-_.])|[^]/gu, (_match, kept: string | undefined) => kept ?? '_')
    .replace(/_+/g, '_')
    .replace(/^[._-]+|[._-]+$/g, '');
  if (cleaned === '') return `${fallback}-${shortHash(raw)}`;
  if (Buffer.byteLength(cleaned) <= MAX_SEGMENT_BYTES) return cleaned;
  const cut = cutToBytes(cleaned, MAX_SEGMENT_BYTES - 9).replace(/[._-]+$/g, '');
  return `${cut}-${shortHash(raw)}`;
}

/** A site prefix may have several `/`-separated segments; each is sanitized on its own; `.`/`..` are dropped. */
export function sanitizePrefix(prefix: string): string {
  return prefix
    .split(/[/\\]/)
    .filter((segment) => segment.trim() !== '' && !/^\.+$/.test(segment.trim()))
    .map((segment) => sanitizeSegment(segment, 'site'))
    .join('/');
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/**
 * The object name of a clip at a site (SITE_ID). Throws when the start time is not a usable date (the planner
 * reports such clips as invalid and never names them).
 */
export function objectName(camera: Camera, clip: Clip, prefix = '', site = DEFAULT_SITE_ID): string {
  const start = new Date(clip.startTime);
  if (!Number.isFinite(clip.startTime) || Number.isNaN(start.getTime())) {
    throw new Error(`clip ${JSON.stringify(clip.id)} has no valid start time`);
  }
  const cameraSegment = sanitizeSegment(camera.name, 'camera');
  const date = `${start.getUTCFullYear()}/${pad(start.getUTCMonth() + 1)}/${pad(start.getUTCDate())}`;
  const time = `${pad(start.getUTCHours())}-${pad(start.getUTCMinutes())}-${pad(start.getUTCSeconds())}`;
  const file = `${time}_${shortHash(site, camera.id, clip.id)}.mp4`;
  const safePrefix = sanitizePrefix(prefix);
  return [safePrefix, cameraSegment, date, file].filter((part) => part !== '').join('/');
}

/** Longest metadata value (UTF-8 bytes) for names and ids; GCS allows 8 KiB of custom metadata in all. */
const MAX_METADATA_BYTES = { id: 1024, name: 512, list: 1024 } as const;

/**
 * Custom metadata stored with the object: enough to find the clip in Scrypted again. Values are strings, valid
 * UTF-8, cut on grapheme boundaries (never half an emoji or half a surrogate pair).
 */
export function objectMetadata(camera: Camera, clip: Clip, site = DEFAULT_SITE_ID): Record<string, string> {
  const metadata: Record<string, string> = {
    site: cutToBytes(site, MAX_METADATA_BYTES.name),
    cameraId: cutToBytes(camera.id, MAX_METADATA_BYTES.id),
    cameraName: cutToBytes(camera.name, MAX_METADATA_BYTES.name),
    clipId: cutToBytes(clip.id, MAX_METADATA_BYTES.id),
    startTime: new Date(clip.startTime).toISOString(),
    startTimeMs: String(clip.startTime),
  };
  if (clip.duration !== undefined) metadata.durationMs = String(clip.duration);
  if (clip.event) metadata.event = cutToBytes(clip.event, MAX_METADATA_BYTES.name);
  if (clip.detectionClasses?.length) metadata.detectionClasses = cutToBytes(clip.detectionClasses.join(','), MAX_METADATA_BYTES.list);
  return metadata;
}

/** Cameras (two or more, distinct ids) whose names become the same folder, e.g. `Front Door` and `Front/Door`. */
export interface SharedFolder {
  folder: string;
  cameras: Camera[];
}

/**
 * The folders that more than one camera maps to. Their objects never collide (the tag hashes the camera id),
 * but a person browsing the bucket sees one folder for two cameras: the run warns, naming both.
 */
export function sharedFolders(cameras: readonly Camera[]): SharedFolder[] {
  const byFolder = new Map<string, Camera[]>();
  for (const camera of cameras) {
    const folder = sanitizeSegment(camera.name, 'camera');
    const group = byFolder.get(folder) ?? [];
    if (!group.some((other) => other.id === camera.id)) group.push(camera);
    byFolder.set(folder, group);
  }
  return [...byFolder].filter(([, group]) => group.length > 1).map(([folder, group]) => ({ folder, cameras: group }));
}

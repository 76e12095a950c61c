// Object naming, pure: `[prefix/]{camera}/{yyyy}/{MM}/{dd}/{HH-mm-ss}_{tag}.mp4` in UTC.
//
// The seed's form is `{cameraName}/{yyyy}/{MM}/{dd}/{HH-mm-ss}.mp4`. Two clips of one camera that start in the
// same second would share that name, and the runner's key can neither overwrite nor read, so the second clip
// would be silently dropped. Each name therefore ends in `_{tag}`: 8 hex digits of sha256(cameraId, clipId).
// The name stays a pure function of the clip (stable across runs), sorts by time, and is unique per clip.
import { createHash } from 'node:crypto';
import type { Camera, Clip } from './ports.js';

/** Longest camera or prefix segment, in UTF-8 bytes, before it is cut and tagged. */
export const MAX_SEGMENT_BYTES = 64;

function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 8);
}

function truncateUtf8(text: string, maxBytes: number): string {
  let result = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    result += char;
    bytes += size;
  }
  return result;
}

/**
 * Makes one path segment safe: letters and digits of any script plus `-`, `_` and `.` are kept (NFC);
 * everything else (slashes, backslashes, control characters, spaces, emoji, punctuation) becomes `_`; runs of
 * `_` collapse; leading and trailing `.`, `_`, `-` are trimmed, so `..` cannot survive. A segment that ends up
 * empty becomes `{fallback}-{hash}`; one longer than MAX_SEGMENT_BYTES is cut and tagged with the hash of the
 * full original, so two long names that share a beginning stay distinct.
 */
export function sanitizeSegment(raw: string, fallback: string): string {
  const cleaned = raw
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}\-_.]/gu, '_')
    .replace(/_+/g, '_')
    .replace(/^[._-]+|[._-]+$/g, '');
  if (cleaned === '') return `${fallback}-${shortHash(raw)}`;
  if (Buffer.byteLength(cleaned) <= MAX_SEGMENT_BYTES) return cleaned;
  const cut = truncateUtf8(cleaned, MAX_SEGMENT_BYTES - 9).replace(/[._-]+$/g, '');
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

/** The object name of a clip. Throws when the start time is not a usable date (the planner drops such clips). */
export function objectName(camera: Camera, clip: Clip, prefix = ''): string {
  const start = new Date(clip.startTime);
  if (!Number.isFinite(clip.startTime) || Number.isNaN(start.getTime())) {
    throw new Error(`clip ${JSON.stringify(clip.id)} has no valid start time`);
  }
  const cameraSegment = sanitizeSegment(camera.name, 'camera');
  const date = `${start.getUTCFullYear()}/${pad(start.getUTCMonth() + 1)}/${pad(start.getUTCDate())}`;
  const time = `${pad(start.getUTCHours())}-${pad(start.getUTCMinutes())}-${pad(start.getUTCSeconds())}`;
  const file = `${time}_${shortHash(camera.id, clip.id)}.mp4`;
  const safePrefix = sanitizePrefix(prefix);
  return [safePrefix, cameraSegment, date, file].filter((part) => part !== '').join('/');
}

/** Custom metadata stored with the object: enough to find the clip in Scrypted again. Values are strings. */
export function objectMetadata(camera: Camera, clip: Clip): Record<string, string> {
  const metadata: Record<string, string> = {
    cameraId: camera.id,
    cameraName: camera.name.slice(0, 512),
    clipId: clip.id,
    startTime: new Date(clip.startTime).toISOString(),
    startTimeMs: String(clip.startTime),
  };
  if (clip.duration !== undefined) metadata.durationMs = String(clip.duration);
  if (clip.event) metadata.event = clip.event.slice(0, 512);
  if (clip.detectionClasses?.length) metadata.detectionClasses = clip.detectionClasses.join(',').slice(0, 1024);
  return metadata;
}

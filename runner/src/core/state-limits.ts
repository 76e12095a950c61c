// The bounds of the state document, pure. Everything the state keeps that comes from outside data (clip ids,
// camera ids and names, object names, error texts) is hashed or cut here, so the document's size has a bound that
// does not depend on what the NVR sends (docs/reliability.md, "The state document's size").
import { createHash } from 'node:crypto';

/** Recent-clip records kept per camera; beyond it the newest are dropped (they cost a second upload, answered "already there"). */
export const MAX_RECENT_CLIPS_PER_CAMERA = 1000;
/** Mismatch records kept per camera (all unresolved ones up to this many, then the newest resolved ones). */
export const MAX_MISMATCHES_PER_CAMERA = 10;
/** Unsupported clips listed per camera (besides the count). */
export const MAX_UNSUPPORTED_LISTED = 5;
/** Repairs of the state kept in the document. */
export const MAX_REPAIRS_KEPT = 5;
/** Longest camera id the runner accepts; a camera with a longer id is refused (counted failed, named in the log). */
export const MAX_CAMERA_ID_CHARS = 256;
/** Longest text kept for people (clip ids, camera names, reasons) in the document. */
export const MAX_DISPLAY_CHARS = 200;
/** Longest object name kept (GCS allows 1,024 bytes; a name is at most that many UTF-16 units). */
export const MAX_OBJECT_NAME_CHARS = 1024;
/** A camera not listed by any run for this long no longer holds the site's `lastTimestamp` back. */
export const REMOVED_CAMERA_MS = 7 * 24 * 3_600_000;
/** How far ahead of now a stored time may be before it is taken for a skewed clock's (watermarks, leases). */
export const FUTURE_TOLERANCE_MS = 10 * 60_000;

/** A short, fixed-length key for a clip id (96 bits of sha256): any id, of any length or shape, as a plain field name. */
export function clipKey(clipId: string): string {
  return `k${createHash('sha256').update(clipId, 'utf8').digest('hex').slice(0, 24)}`;
}

/** The field name of a camera in the state document: `c` + 96 bits of sha256 of its id. */
export function cameraFieldName(cameraId: string): string {
  return `c${createHash('sha256').update(cameraId, 'utf8').digest('hex').slice(0, 24)}`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text cut to `max` UTF-16 units without leaving half a surrogate pair; lone surrogates become U+FFFD. */
export function boundedText(text: string, max = MAX_DISPLAY_CHARS): string {
  const wellFormed = text.replace(LONE_SURROGATE, '\uFFFD');
  if (wellFormed.length <= max) return wellFormed;
  let cut = max - 1;
  const code = wellFormed.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${wellFormed.slice(0, cut)}…`;
}

/** The largest time a JavaScript Date can hold (ms); beyond it `new Date(t).toISOString()` throws. */
export const MAX_DATE_MS = 8.64e15;

/** An ISO date for people, or a plain description for a value no Date can hold (never throws). */
export function isoOrRaw(ms: number | undefined): string {
  if (ms === undefined || ms === 0) return '-';
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : `${String(ms)} (not a date)`;
}

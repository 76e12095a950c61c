// The public URL of a clip that was listed without an href (docs/scrypted-protocol.md §8, §11): the camera's
// getVideoClip gives a MediaObject, and the media manager converts it to `text/x-local-uri`. The answer is a
// Buffer holding the URL's UTF-8 bytes on a real server, a string from other converters: both are accepted,
// bounded in size and checked before anything is fetched from it.
import { UnsupportedClipError } from '../core/errors.js';
import { resolveOnBase } from './clip-bytes.js';

export const LOCAL_URI_MIME = 'text/x-local-uri';

/** A URL path on the core plugin's file or buffer host is a few hundred bytes; anything far larger is not a URL. */
export const MAX_LOCAL_URI_BYTES = 8 * 1024;

/**
 * MediaObject types that are a live stream or a recipe for ffmpeg, not a file: no converter turns them into
 * bytes of an MP4 without a remux (`@scrypted/types` ScryptedMimeTypes). Converting one to a local URI would
 * not fail: the core's buffer host accepts any type and would host the recipe's JSON as if it were the clip.
 */
const STREAM_ONLY_TYPES = new Set([
  'x-scrypted/x-ffmpeg-input',
  'x-scrypted/x-ffmpeg-transcode-stream',
  'x-scrypted/x-scrypted-request-stream',
  'text/x-media-url',
]);

export interface MediaObjectProxy {
  mimeType?: unknown;
}

/** The MIME type's essence (no parameters, lower case), or undefined when the peer sent no string. */
export function mimeEssence(mimeType: unknown): string | undefined {
  return typeof mimeType === 'string' ? (mimeType.split(';')[0] ?? '').trim().toLowerCase() : undefined;
}

/** Throws UnsupportedClipError when the MediaObject is only a stream or an ffmpeg input. */
export function assertFileLike(mediaObject: MediaObjectProxy, clipId: string): void {
  const essence = mimeEssence(mediaObject.mimeType);
  if (essence !== undefined && STREAM_ONLY_TYPES.has(essence)) {
    throw new UnsupportedClipError(
      `clip ${clipId} is only available as ${essence} (an ffmpeg/RTSP input, no file to stream); this runner does not remux`,
    );
  }
}

/** The bytes of the converter's answer: a Buffer (or Uint8Array), a string, or Node's JSON form of a Buffer. */
function answerBytes(answer: unknown): Buffer | undefined {
  if (typeof answer === 'string') return Buffer.from(answer, 'utf8');
  if (answer instanceof Uint8Array) return Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength);
  // A Buffer nested in a plain object travels as {"type":"Buffer","data":[...]} (§6); accepted at the top level too.
  if (typeof answer === 'object' && answer !== null && Object.hasOwn(answer, 'data') && (answer as { type?: unknown }).type === 'Buffer') {
    const data = (answer as { data: unknown }).data;
    if (!Array.isArray(data) || data.length > MAX_LOCAL_URI_BYTES) return undefined;
    if (!data.every((byte) => Number.isInteger(byte) && byte >= 0 && byte <= 255)) return undefined;
    return Buffer.from(data as number[]);
  }
  return undefined;
}

/**
 * Checks the converter's answer and resolves it against the configured base URL (only its path and query: the
 * host part the server writes can be wrong). Throws a message that says what was wrong, never the whole answer.
 */
export function localUriFromAnswer(answer: unknown, baseUrl: string, clipId: string): URL {
  const bytes = answerBytes(answer);
  const what = `Scrypted's ${LOCAL_URI_MIME} answer for clip ${clipId}`;
  if (bytes === undefined) {
    const kind = answer === null ? 'null' : Array.isArray(answer) ? 'an array' : typeof answer;
    throw new Error(`${what} is ${kind}, not a URL (a Buffer or a string was expected)`);
  }
  if (bytes.length === 0) throw new Error(`${what} is empty`);
  if (bytes.length > MAX_LOCAL_URI_BYTES) throw new Error(`${what} is ${bytes.length} bytes, more than the ${MAX_LOCAL_URI_BYTES} a URL may have`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).trim();
  } catch {
    throw new Error(`${what} is not UTF-8 text`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\s]/.test(text)) throw new Error(`${what} holds whitespace or control characters, so it is not a URL`);
  let given: URL;
  try {
    given = new URL(text, baseUrl);
  } catch {
    throw new Error(`${what} is not a URL`);
  }
  if (given.protocol !== 'http:' && given.protocol !== 'https:') throw new Error(`${what} is a ${given.protocol} URL, not http(s)`);
  const resolved = resolveOnBase(text, baseUrl);
  if (!resolved.pathname.startsWith('/endpoint/')) throw new Error(`${what} points outside Scrypted's /endpoint/ paths`);
  return resolved;
}

// What a clip's HTTP answer must look like before its bytes may land in the bucket (docs/scrypted-hostile.md,
// "Clip bytes"): a content type a real Scrypted serves for a clip, MP4 box structure, and exactly the
// Content-Length when there is one. The check runs as the bytes flow (a Transform holding one box header at
// most) and fails the stream BEFORE it ends, so a sink never completes an object from a bad answer.
import { Transform, type TransformCallback } from 'node:stream';
import { Mp4StructureCheck } from '../core/mp4-structure.js';
import { FloorRate } from './floor-rate.js';

/**
 * Content types Scrypted serves clip files with: `video/mp4` (express's sendFile picks it from the `.mp4` name:
 * koush/scrypted:server/src/http-interfaces.ts, sendFile), `application/octet-stream` (sendFile's default for a
 * file without a known extension), and none at all (a plugin's sendStream without headers, same file). Other MP4
 * types (`video/quicktime`, `application/mp4`, `video/iso.segment`) are accepted: the box check decides.
 */
const CLIP_TYPES = new Set(['video/mp4', 'application/mp4', 'video/quicktime', 'video/iso.segment', 'application/octet-stream', 'binary/octet-stream']);

export class ClipAnswerError extends Error {
  override name = 'ClipAnswerError';
}

/** Throws when the answer's content type says it is not a clip (e.g. an HTML or JSON error page). */
export function checkClipContentType(contentType: string | undefined, what: string): void {
  if (contentType === undefined || contentType.trim() === '') return;
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (!CLIP_TYPES.has(type)) {
    throw new ClipAnswerError(`Scrypted answered ${what} with content type ${JSON.stringify(contentType.slice(0, 80))}, not a video (an error page?)`);
  }
}

/** Passes the clip's bytes through unchanged; errors as soon as they stop looking like the whole MP4 announced. */
export class ClipBodyCheck extends Transform {
  private readonly structure = new Mp4StructureCheck();
  private received = 0;
  private readonly rate: FloorRate;

  /** @param windowMs the window of the floor-rate check (floor-rate.ts): the request timeout. */
  constructor(private readonly what: string, private readonly declaredLength: number | undefined, windowMs: number) {
    super();
    this.rate = new FloorRate(windowMs, (reason) => this.destroy(this.failure(reason)), () => this.readerBehind());
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    // Bytes still waiting for our reader mean the reader, not Scrypted, set the pace.
    // (Inside _transform the chunk itself still counts in writableLength.)
    this.rate.add(chunk.length, this.readableLength > 0 || this.writableLength > chunk.length);
    if (this.declaredLength !== undefined && this.received > this.declaredLength) {
      callback(this.failure(`sent more than the ${this.declaredLength} bytes its Content-Length declares`));
      return;
    }
    try {
      this.structure.push(chunk);
    } catch (error) {
      callback(this.failure((error as Error).message));
      return;
    }
    callback(null, chunk);
  }

  private readerBehind(): boolean {
    return this.readableLength > 0 || this.writableLength > 0;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.rate.stop();
    callback(error);
  }

  override _flush(callback: TransformCallback): void {
    this.rate.stop();
    if (this.declaredLength !== undefined && this.received !== this.declaredLength) {
      callback(this.failure(`ended after ${this.received} of the ${this.declaredLength} bytes its Content-Length declares: it was cut short`));
      return;
    }
    try {
      this.structure.end();
    } catch (error) {
      callback(this.failure((error as Error).message));
      return;
    }
    callback();
  }

  /** The error for a connection that broke before the body was whole. */
  cutOff(cause: Error & { code?: string }): ClipAnswerError {
    const declared = this.declaredLength === undefined ? '' : ` of the ${this.declaredLength} bytes its Content-Length declares`;
    // Node names a body cut off by the peer just "aborted" (code ECONNRESET): say what that means.
    const reason = cause.message === 'aborted' || cause.code === 'ECONNRESET'
      ? `Scrypted closed the connection in the middle of the clip, after ${this.received}${declared} (${cause.code ?? cause.message}: Scrypted restarting, or the network between us)`
      : `the connection closed after ${this.received}${declared} (${cause.message})`;
    return Object.assign(this.failure(reason), { cause });
  }

  private failure(reason: string): ClipAnswerError {
    return new ClipAnswerError(`Scrypted's answer for ${this.what} is not a whole MP4 clip: ${reason}; nothing is stored, the clip is tried again next run`);
  }
}

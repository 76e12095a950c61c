// Reads a clip's source stream in the pieces a resumable upload sends: exact byte counts for the requests that
// stream straight from the source, a bounded read into memory for the piece held back for the final request.
// Counts the bytes (a source that sends more or fewer than it announced fails) and computes their CRC32C as
// they are read: every byte read is sent exactly once, so at the end this is the CRC32C of what was sent.
// A failure of the source is thrown as ClipSourceError, so that no status the source carried (a Scrypted 412,
// say) is ever mistaken for an answer of GCS's.
import type { Readable } from 'node:stream';
import type { UploadPhaseRecorder } from '../core/ports.js';
import { FastCrc32c } from './fast-crc32c.js';

/** The clip's source failed (or sent other than it announced); `cause` is its own error. */
export class ClipSourceError extends Error {
  override readonly name = 'ClipSourceError';
}

export const isClipSourceError = (error: unknown): error is ClipSourceError => error instanceof ClipSourceError;

export class SourceReader {
  bytes = 0;
  readonly crc = new FastCrc32c();
  private readonly iterator: AsyncIterator<unknown>;
  private pending: Buffer | undefined;
  private ended = false;

  constructor(source: Readable, private readonly expected: number | undefined, private readonly timeline?: UploadPhaseRecorder) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async next(): Promise<Buffer | undefined> {
    if (this.pending) {
      const chunk = this.pending;
      this.pending = undefined;
      return chunk;
    }
    if (this.ended) return undefined;
    let result: IteratorResult<unknown>;
    try {
      result = await this.iterator.next();
    } catch (error) {
      throw new ClipSourceError(`the clip's source failed after ${this.bytes} bytes: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (result.done) {
      this.ended = true;
      this.timeline?.mark('lastByte');
      if (this.expected !== undefined && this.bytes !== this.expected) throw new ClipSourceError(`source ended after ${this.bytes} of ${this.expected} bytes`);
      return undefined;
    }
    const chunk = Buffer.isBuffer(result.value) ? result.value : Buffer.from(result.value as Uint8Array);
    if (this.bytes === 0) this.timeline?.mark('firstByte');
    this.bytes += chunk.length;
    if (this.expected !== undefined && this.bytes > this.expected) throw new ClipSourceError(`source sent more than the announced ${this.expected} bytes`);
    this.crc.update(chunk);
    return chunk;
  }

  /** Gives back the unread end of a chunk (already counted and hashed). */
  private unread(chunk: Buffer): void {
    if (chunk.length > 0) this.pending = chunk;
  }

  /** Exactly `count` bytes, as they arrive; the source ending first is an error. */
  async *take(count: number): AsyncGenerator<Buffer> {
    let left = count;
    while (left > 0) {
      const chunk = await this.next();
      if (!chunk) throw new ClipSourceError(`source ended after ${this.bytes} bytes, ${left} short of the request being sent`);
      if (chunk.length > left) {
        this.unread(chunk.subarray(left));
        yield chunk.subarray(0, left);
        return;
      }
      left -= chunk.length;
      yield chunk;
    }
  }

  /** Up to `limit` bytes into memory (fewer only when the source ends). */
  async readUpTo(limit: number): Promise<{ chunks: Buffer[]; length: number }> {
    const chunks: Buffer[] = [];
    let length = 0;
    while (length < limit) {
      const chunk = await this.next();
      if (!chunk) break;
      const keep = Math.min(chunk.length, limit - length);
      if (keep < chunk.length) this.unread(chunk.subarray(keep));
      chunks.push(keep < chunk.length ? chunk.subarray(0, keep) : chunk);
      length += keep;
    }
    return { chunks, length };
  }

  /** Whether the source has ended (reads ahead one chunk at most). */
  async atEnd(): Promise<boolean> {
    const chunk = await this.next();
    if (!chunk) return true;
    this.unread(chunk);
    return false;
  }
}

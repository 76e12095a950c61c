// The body of a chunked HTTP/1.1 answer (RFC 9112 section 7.1), decoded as it arrives: each chunk's bytes are
// handed on as slices of what was read (no copy), its size line and the trailer are bounded and checked strictly,
// and the end is exact, so bytes after it are known to be outside the body.
import { AnswerProtocolError, MAX_HEAD_BYTES } from './answer-head.js';

/** A chunk-size line: hex digits (at most 12: 256 TiB), then optional extensions, which are ignored. */
const SIZE_LINE = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;[^\x00-\x08\x0a-\x1f\x7f]*)?$/;
const TRAILER_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\x00-\x08\x0a-\x1f\x7f]*$/;
const MAX_SIZE_LINE = 1024;
const CR = 0x0d;
const LF = 0x0a;

type State = 'size' | 'data' | 'data-cr' | 'data-lf' | 'trailer' | 'done';

export class ChunkedBodyDecoder {
  private state: State = 'size';
  private line = '';
  private left = 0;
  private trailerBytes = 0;

  get done(): boolean {
    return this.state === 'done';
  }

  /**
   * Decodes `bytes`, passing the body's bytes to `data`. Returns where the answer ended in `bytes` (bytes after it
   * belong to no answer), or -1 when the body goes on. Throws an AnswerProtocolError on anything malformed.
   */
  feed(bytes: Buffer, data: (slice: Buffer) => void): number {
    let at = 0;
    while (at < bytes.length) {
      switch (this.state) {
        case 'data': {
          const take = Math.min(this.left, bytes.length - at);
          data(bytes.subarray(at, at + take));
          at += take;
          this.left -= take;
          if (this.left === 0) this.state = 'data-cr';
          break;
        }
        case 'data-cr':
        case 'data-lf': {
          const expected = this.state === 'data-cr' ? CR : LF;
          if (bytes[at] !== expected) throw new AnswerProtocolError('a chunk of the answer does not end with CRLF where its size says');
          at += 1;
          this.state = this.state === 'data-cr' ? 'data-lf' : 'size';
          break;
        }
        case 'size':
        case 'trailer': {
          const end = bytes.indexOf(LF, at);
          const piece = bytes.toString('latin1', at, end < 0 ? bytes.length : end);
          at = end < 0 ? bytes.length : end + 1;
          this.line += piece;
          this.bound();
          if (end >= 0) this.lineEnded();
          if ((this.state as State) === 'done') return at;
          break;
        }
        case 'done':
          return at;
      }
    }
    return this.state === 'done' ? at : -1;
  }

  private bound(): void {
    if (this.state === 'size' && this.line.length > MAX_SIZE_LINE) throw new AnswerProtocolError(`a chunk-size line of the answer is longer than ${MAX_SIZE_LINE} bytes`);
    if (this.state === 'trailer' && this.trailerBytes + this.line.length > MAX_HEAD_BYTES) throw new AnswerProtocolError(`the answer's trailer is larger than ${MAX_HEAD_BYTES} bytes`);
  }

  private lineEnded(): void {
    if (!this.line.endsWith('\r')) throw new AnswerProtocolError('a line of the chunked answer does not end with CRLF');
    const line = this.line.slice(0, -1);
    this.line = '';
    if (this.state === 'size') {
      const size = SIZE_LINE.exec(line);
      if (!size) throw new AnswerProtocolError(`a chunk-size line of the answer is malformed: ${JSON.stringify(line.slice(0, 60))}`);
      this.left = parseInt(size[1] as string, 16);
      this.state = this.left === 0 ? 'trailer' : 'data';
      return;
    }
    if (line === '') {
      this.state = 'done';
      return;
    }
    if (!TRAILER_LINE.test(line)) throw new AnswerProtocolError(`a trailer line of the answer is malformed: ${JSON.stringify(line.slice(0, 60))}`);
    this.trailerBytes += line.length + 2;
  }
}

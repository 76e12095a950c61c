// A pass-through that counts bytes and, when the size is known, refuses to end short or long: a source that
// stops early must fail the upload (no object), never finish it as a truncated clip.
import { Transform, type TransformCallback } from 'node:stream';

export class ByteCounter extends Transform {
  bytes = 0;

  constructor(private readonly expected: number | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.expected !== undefined && this.bytes > this.expected) {
      callback(new Error(`source sent more than the announced ${this.expected} bytes`));
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.expected !== undefined && this.bytes !== this.expected) {
      callback(new Error(`source ended after ${this.bytes} of ${this.expected} bytes`));
      return;
    }
    callback();
  }
}

// CRC32C for upload validation, in native code. The storage library's own CRC32C is JavaScript and runs at
// about 110 MB/s on the machine we measured (README, "What is measured"), which capped a whole upload at that
// rate; @node-rs/crc32 uses the CPU's CRC instruction (over 3 GB/s there). Same values, base64 big-endian as
// GCS writes them (https://cloud.google.com/storage/docs/hashes-etags).
import { Transform, type TransformCallback } from 'node:stream';
import { crc32c } from '@node-rs/crc32';

export class FastCrc32c {
  private value = 0;

  update(data: Buffer): void {
    this.value = crc32c(data, this.value);
  }

  toString(): string {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(this.value >>> 0);
    return bytes.toString('base64');
  }

  validate(expected: string): boolean {
    return expected === this.toString();
  }
}

export const fastCrc32cGenerator = (): FastCrc32c => new FastCrc32c();

/** A pass-through that computes the CRC32C of every byte that goes through it (`crc.toString()` at the end). */
export class Crc32cPassThrough extends Transform {
  readonly crc = new FastCrc32c();

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.crc.update(chunk);
    callback(null, chunk);
  }
}

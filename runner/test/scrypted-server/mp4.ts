// Clip bytes for the Scrypted test server: a structurally valid ISO-BMFF/MP4 file (ftyp, moov with an mvhd, then
// an mdat) of any size, made on the fly. The mdat payload is an AES-CTR keystream of the seed: deterministic,
// incompressible, and never held whole in memory, so 1 GB clips cost nothing to serve.
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const BLOCK = 64 * 1024;

function box(type: string, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + payload.length, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, payload]);
}

/** ftyp + moov(mvhd): the part of an MP4 that a player reads first. */
export function mp4Header(durationMs: number): Buffer {
  const ftyp = box('ftyp', Buffer.concat([Buffer.from('isom', 'latin1'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2mp41', 'latin1')]));
  const mvhd = Buffer.alloc(100);
  mvhd.writeUInt32BE(1000, 12); // timescale: ms
  mvhd.writeUInt32BE(Math.max(0, Math.round(durationMs)) >>> 0, 16); // duration
  mvhd.writeUInt32BE(0x00010000, 20); // rate 1.0
  mvhd.writeUInt16BE(0x0100, 24); // volume 1.0
  for (const [offset, value] of [[36, 0x00010000], [52, 0x00010000], [68, 0x40000000]] as const) mvhd.writeUInt32BE(value, offset); // unity matrix
  mvhd.writeUInt32BE(2, 96); // next track id
  return Buffer.concat([ftyp, box('moov', box('mvhd', mvhd))]);
}

export const MIN_CLIP_BYTES = mp4Header(0).length + 8;

/** Byte `start`..`end` (inclusive) of the generated clip, as a stream. */
export function generatedClip(sizeBytes: number, seed: number, durationMs: number, start = 0, end = sizeBytes - 1): Readable {
  const size = Math.max(sizeBytes, MIN_CLIP_BYTES);
  const header = mp4Header(durationMs);
  const mdatHeader = Buffer.alloc(8);
  mdatHeader.writeUInt32BE(size - header.length, 0);
  mdatHeader.write('mdat', 4, 'latin1');
  const prefix = Buffer.concat([header, mdatHeader]);
  const key = createHash('sha256').update(`clip-seed-${seed}`).digest().subarray(0, 16);
  async function* bytes() {
    let position = start;
    if (position < prefix.length) {
      const piece = prefix.subarray(position, Math.min(prefix.length, end + 1));
      position += piece.length;
      yield piece;
    }
    if (position > end) return;
    // AES-CTR can start at any 16-byte block: the counter is the block index of the payload.
    const payloadOffset = position - prefix.length;
    const iv = Buffer.alloc(16);
    iv.writeBigUInt64BE(BigInt(Math.floor(payloadOffset / 16)), 8);
    const cipher = createCipheriv('aes-128-ctr', key, iv);
    let skip = payloadOffset % 16;
    const zeros = Buffer.alloc(BLOCK);
    while (position <= end) {
      const want = Math.min(BLOCK, end + 1 - position);
      let piece = cipher.update(zeros.subarray(0, want + skip));
      if (skip) {
        piece = piece.subarray(skip);
        skip = 0;
      }
      position += piece.length;
      yield piece;
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}

export async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

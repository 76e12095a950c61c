// The top-level box structure of an MP4 (ISO/IEC 14496-12 §4.2: ISO base media file format), checked as bytes
// flow past, holding at most one box header (16 bytes). A clip must start with an `ftyp` box, every box must have
// a four-character printable type and a size of at least its header, a size of 1 means a 64-bit size follows,
// a size of 0 means "to the end of the file" (last box only), a `moov` and an `mdat` box must appear, and the boxes
// must add up exactly to the bytes received. An HTML error page, an empty body, a cut body and bytes appended
// after the last box all fail. Pure: no I/O.

export class Mp4StructureError extends Error {
  override name = 'Mp4StructureError';
}

const MAX_HEADER = 16;

export class Mp4StructureCheck {
  private readonly header = Buffer.alloc(MAX_HEADER);
  private headerBytes = 0;
  /** Bytes left in the current box's payload; undefined while reading a header. */
  private remaining: bigint | undefined = undefined;
  private toEnd = false;
  private offset = 0n;
  private boxes = 0;
  private sawMoov = false;
  /** The boxes seen, in order (tests and error messages). */
  readonly types: string[] = [];

  /** Feeds the next bytes; throws Mp4StructureError at the first byte that cannot belong to an MP4. */
  push(chunk: Uint8Array): void {
    let position = 0;
    while (position < chunk.length) {
      if (this.toEnd) return;
      if (this.remaining !== undefined) {
        const available = BigInt(chunk.length - position);
        const take = this.remaining < available ? this.remaining : available;
        this.remaining -= take;
        this.offset += take;
        position += Number(take);
        if (this.remaining === 0n) this.remaining = undefined;
        continue;
      }
      const need = this.headerNeed();
      const take = Math.min(need - this.headerBytes, chunk.length - position);
      this.header.set(chunk.subarray(position, position + take), this.headerBytes);
      this.headerBytes += take;
      position += take;
      if (this.headerBytes === need) {
        // A 32-bit size of 1 asks for 8 more header bytes (the 64-bit size): headerNeed() grows to 16.
        if (this.headerNeed() > need) continue;
        this.startBox();
      }
    }
  }

  /** The stream ended: throws unless it ended exactly after a whole box (or inside a size-0 box). */
  end(): void {
    if (!this.toEnd) this.endOfBoxes();
    if (!this.sawMoov) throw new Mp4StructureError(`the MP4 has no moov box (boxes: ${this.types.join(', ')})`);
    if (!this.types.includes('mdat')) throw new Mp4StructureError(`the MP4 has no mdat box, no media data (boxes: ${this.types.join(', ')}): cut short?`);
  }

  private endOfBoxes(): void {
    if (this.boxes === 0 && this.headerBytes === 0) throw new Mp4StructureError('the body is empty, not an MP4');
    if (this.headerBytes > 0) {
      throw new Mp4StructureError(`the body ends inside a box header at byte ${this.offset} (cut short?)`);
    }
    if (this.remaining !== undefined) {
      throw new Mp4StructureError(
        `the body ends ${this.remaining} byte(s) before the end of its last box (${this.types.at(-1)}) at byte ${this.offset}: it was cut short`,
      );
    }
  }

  private headerNeed(): number {
    return this.headerBytes >= 8 && this.header.readUInt32BE(0) === 1 ? 16 : 8;
  }

  private startBox(): void {
    const size32 = this.header.readUInt32BE(0);
    const typeBytes = this.header.subarray(4, 8);
    const printable = typeBytes.every((byte) => byte >= 0x20 && byte <= 0x7e);
    const type = printable ? typeBytes.toString('latin1') : `0x${typeBytes.toString('hex')}`;
    const at = this.offset;
    if (this.boxes === 0 && type !== 'ftyp') {
      const start = this.header.subarray(0, 8).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
      throw new Mp4StructureError(`the body does not start with an MP4 ftyp box (it starts with ${JSON.stringify(start)})`);
    }
    if (!printable) throw new Mp4StructureError(`box ${this.boxes + 1} at byte ${at} has no valid type (${type}): not an MP4, or bytes are missing`);
    const headerSize = size32 === 1 ? 16 : 8;
    const size = size32 === 1 ? this.header.readBigUInt64BE(8) : BigInt(size32);
    this.types.push(type);
    this.boxes += 1;
    this.headerBytes = 0;
    this.offset += BigInt(headerSize);
    if (type === 'moov') this.sawMoov = true;
    if (size32 === 0) {
      // "The box extends to the end of the file": the last box; its length is whatever is received.
      this.toEnd = true;
      return;
    }
    if (size < BigInt(headerSize)) throw new Mp4StructureError(`box ${type} at byte ${at} declares ${size} bytes, less than its own header`);
    if (type === 'ftyp' && size < 16n) throw new Mp4StructureError(`the ftyp box declares ${size} bytes, too few for its brands`);
    const payload = size - BigInt(headerSize);
    this.remaining = payload === 0n ? undefined : payload;
  }
}

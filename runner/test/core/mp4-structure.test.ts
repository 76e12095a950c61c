// The MP4 top-level box check: whole files of several layouts pass in any chunking; HTML, empty, cut, padded and
// malformed bodies fail with a reason.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Mp4StructureCheck, Mp4StructureError } from '../../src/core/mp4-structure.js';
import { generatedClip } from '../scrypted-server/mp4.js';

function box(type: string, payloadBytes: number | Buffer): Buffer {
  const payload = typeof payloadBytes === 'number' ? Buffer.alloc(payloadBytes, 7) : payloadBytes;
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + payload.length, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, payload]);
}

function largeBox(type: string, payloadBytes: number): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(1, 0);
  header.write(type, 4, 'latin1');
  header.writeBigUInt64BE(BigInt(16 + payloadBytes), 8);
  return Buffer.concat([header, Buffer.alloc(payloadBytes, 3)]);
}

function sizeZeroBox(type: string, payloadBytes: number): Buffer {
  const header = Buffer.alloc(8);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, Buffer.alloc(payloadBytes, 5)]);
}

const ftyp = box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2avc1mp41', 'latin1'));
const moov = box('moov', box('mvhd', 100));

function check(bytes: Buffer, chunkSize = bytes.length || 1): Mp4StructureCheck {
  const structure = new Mp4StructureCheck();
  for (let at = 0; at < bytes.length; at += chunkSize) structure.push(bytes.subarray(at, at + chunkSize));
  structure.end();
  return structure;
}

const valid: Array<{ name: string; bytes: Buffer; types: string[] }> = [
  { name: 'ftyp, moov, mdat', bytes: Buffer.concat([ftyp, moov, box('mdat', 5000)]), types: ['ftyp', 'moov', 'mdat'] },
  { name: 'moov after mdat (not fast-start)', bytes: Buffer.concat([ftyp, box('free', 0), box('mdat', 300), moov]), types: ['ftyp', 'free', 'mdat', 'moov'] },
  {
    name: 'fragmented: moov, then moof/mdat pairs, then mfra',
    bytes: Buffer.concat([ftyp, moov, box('moof', 120), box('mdat', 900), box('moof', 120), box('mdat', 700), box('mfra', 40)]),
    types: ['ftyp', 'moov', 'moof', 'mdat', 'moof', 'mdat', 'mfra'],
  },
  { name: 'an mdat with a 64-bit largesize', bytes: Buffer.concat([ftyp, moov, largeBox('mdat', 4000)]), types: ['ftyp', 'moov', 'mdat'] },
  { name: 'a last box of size 0 (to the end of the file)', bytes: Buffer.concat([ftyp, moov, sizeZeroBox('mdat', 3000)]), types: ['ftyp', 'moov', 'mdat'] },
  { name: 'an empty size-0 last box', bytes: Buffer.concat([ftyp, moov, sizeZeroBox('mdat', 0)]), types: ['ftyp', 'moov', 'mdat'] },
];

describe('MP4 structure: whole files pass, in any chunking', () => {
  for (const row of valid) {
    for (const chunkSize of [1, 3, 7, 16, 4096]) {
      it(`${row.name}, ${chunkSize}-byte chunks`, () => {
        assert.deepEqual(check(row.bytes, chunkSize).types, row.types);
      });
    }
  }

  it("the Scrypted test server's generated clip (1 MB)", async () => {
    const structure = new Mp4StructureCheck();
    for await (const chunk of generatedClip(1_000_000, 3, 30_000)) structure.push(chunk as Buffer);
    structure.end();
    assert.deepEqual(structure.types, ['ftyp', 'moov', 'mdat']);
  });
});

const whole = Buffer.concat([ftyp, moov, box('mdat', 500)]);
const html = Buffer.from('<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>\n', 'latin1');

const invalid: Array<{ name: string; bytes: Buffer; says: RegExp }> = [
  { name: 'an empty body', bytes: Buffer.alloc(0), says: /empty/ },
  { name: 'an HTML error page', bytes: html, says: /does not start with an MP4 ftyp box \(it starts with "<!DOCTYP"\)/ },
  { name: 'a JSON error', bytes: Buffer.from('{"error":"Not Authorized"}'), says: /does not start with an MP4 ftyp/ },
  { name: 'fewer than 8 bytes', bytes: ftyp.subarray(0, 5), says: /inside a box header/ },
  { name: 'only an ftyp box', bytes: ftyp, says: /no moov box/ },
  { name: 'a body cut in the mdat', bytes: whole.subarray(0, whole.length - 100), says: /100 byte\(s\) before the end of its last box \(mdat\).*cut short/ },
  { name: 'a body cut in a box header', bytes: whole.subarray(0, ftyp.length + moov.length + 4), says: /inside a box header/ },
  { name: 'a cut largesize header', bytes: Buffer.concat([ftyp, moov, largeBox('mdat', 10).subarray(0, 12)]), says: /inside a box header/ },
  { name: 'bytes appended after the last box', bytes: Buffer.concat([whole, Buffer.from('junk at the end!')]), says: /no valid type|inside a box header|cut short|less than its own header/ },
  { name: 'an HTML page appended', bytes: Buffer.concat([whole, html]), says: /cut short|no valid type/ },
  { name: 'a box smaller than its header', bytes: Buffer.concat([ftyp, Buffer.from([0, 0, 0, 4]), Buffer.from('moov')]), says: /declares 4 bytes, less than its own header/ },
  { name: 'a largesize smaller than its header', bytes: Buffer.concat([ftyp, (() => { const b = largeBox('mdat', 0); b.writeBigUInt64BE(12n, 8); return b; })()]), says: /less than its own header/ },
  { name: 'a box type with control bytes', bytes: Buffer.concat([ftyp, Buffer.from([0, 0, 0, 8, 1, 2, 3, 4])]), says: /no valid type \(0x01020304\)/ },
  { name: 'a tiny ftyp', bytes: Buffer.concat([box('ftyp', 2), moov]), says: /ftyp box declares 10 bytes/ },
  { name: 'moov first (no ftyp)', bytes: Buffer.concat([moov, ftyp]), says: /does not start with an MP4 ftyp box/ },
  { name: 'a size-0 box without a moov before it', bytes: Buffer.concat([ftyp, sizeZeroBox('mdat', 100)]), says: /no moov/ },
];

describe('MP4 structure: what is not a whole MP4 fails, with the reason', () => {
  for (const row of invalid) {
    for (const chunkSize of [1, 5, 4096]) {
      it(`${row.name}, ${chunkSize}-byte chunks`, () => {
        assert.throws(() => check(row.bytes, chunkSize), (error: unknown) => error instanceof Mp4StructureError && row.says.test(error.message));
      });
    }
  }

  it('a body cut at any byte fails', () => {
    for (let cut = 0; cut < whole.length; cut++) {
      assert.throws(() => check(whole.subarray(0, cut), 13), Mp4StructureError, `cut at ${cut}`);
    }
  });

  it('an HTML page fails at its first 8 bytes, before the rest arrives', () => {
    const structure = new Mp4StructureCheck();
    assert.throws(() => structure.push(html.subarray(0, 8)), /does not start with an MP4 ftyp/);
  });
});

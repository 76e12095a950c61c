// The chunked body decoder alone: every split of the input gives the same body and the same end, and each
// malformed piece (a bad size line, a missing CRLF, an oversized size line or trailer) fails with its reason.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ChunkedBodyDecoder } from '../../src/scrypted/chunked-body.js';
import { chunked } from './raw-http-peer.js';

/** Decodes `wire` fed in pieces cut at `cuts`; gives the body and where the answer ended in the whole input. */
function decode(wire: Buffer, cuts: number[]): { body: Buffer; end: number } {
  const decoder = new ChunkedBodyDecoder();
  const out: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, wire.length]) {
    const end = decoder.feed(wire.subarray(start, cut), (slice) => out.push(Buffer.from(slice)));
    if (end >= 0) return { body: Buffer.concat(out), end: start + end };
    start = cut;
  }
  return { body: Buffer.concat(out), end: -1 };
}

describe('ChunkedBodyDecoder', () => {
  const body = randomBytes(5000);
  const wire = Buffer.concat([chunked(body, 777), Buffer.from('NEXT')]);
  const answerEnd = wire.length - 4;

  it('gives the body and the exact end for every single cut point', () => {
    for (let cut = 0; cut <= wire.length; cut += 1) {
      const { body: out, end } = decode(wire, [cut]);
      assert.ok(out.equals(body), `cut at ${cut}`);
      assert.equal(end, answerEnd, `cut at ${cut}`);
    }
  });

  it('gives the same fed one byte at a time', () => {
    const { body: out, end } = decode(wire, Array.from({ length: wire.length - 1 }, (_, i) => i + 1));
    assert.ok(out.equals(body));
    assert.equal(end, answerEnd);
  });

  it('goes on (-1) while the trailer has not ended', () => {
    const whole = chunked(body, 1000);
    assert.equal(decode(whole.subarray(0, whole.length - 2), []).end, -1);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['a size that is not hex', 'zz\r\nab\r\n0\r\n\r\n', /chunk-size line .* malformed: "zz"/],
    ['a size line ending in a bare LF', '2\nab\r\n0\r\n\r\n', /does not end with CRLF/],
    ['a chunk longer than its size', '2\r\nabc\r\n0\r\n\r\n', /does not end with CRLF where its size says/],
    ['a negative size', '-2\r\nab\r\n0\r\n\r\n', /malformed/],
    ['a size of 13 hex digits', '1000000000000\r\n', /malformed/],
    ['a size line of 2 KiB', `2;${'x'.repeat(2048)}`, /longer than 1024 bytes/],
    ['a trailer over 16 KiB', `0\r\n${'x-a: b\r\n'.repeat(3000)}\r\n`, /trailer is larger than 16384 bytes/],
    ['a trailer line that is not a header', '0\r\nnot a header\r\n\r\n', /trailer line .* malformed/],
  ];
  for (const [name, text, says] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(() => decode(Buffer.from(text, 'latin1'), []), says);
    });
  }
});

// The native CRC32C gives the values GCS and the storage library give: the documented example, and random
// data fed in uneven pieces, compared with the library's own (JavaScript) implementation.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { CRC32C } from '@google-cloud/storage';
import { FastCrc32c } from '../../src/gcs/fast-crc32c.js';

describe('FastCrc32c', () => {
  it("gives the documented value for 'data' and of an empty input", () => {
    const crc = new FastCrc32c();
    assert.equal(crc.toString(), 'AAAAAA==');
    crc.update(Buffer.from('data'));
    assert.equal(crc.toString(), 'rth90Q==');
    assert.ok(crc.validate('rth90Q=='));
    assert.ok(!crc.validate('DkjKuA=='));
  });

  it('equals the library CRC32C on random data fed in uneven pieces', () => {
    const data = randomBytes(3_000_001);
    const fast = new FastCrc32c();
    const reference = new CRC32C();
    for (let offset = 0, step = 1; offset < data.length; offset += step, step = (step * 7 + 13) % 100_003) {
      const piece = data.subarray(offset, offset + step);
      fast.update(piece);
      reference.update(piece);
    }
    assert.equal(fast.toString(), reference.toString());
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from '../../src/duration.js';

describe('parseDuration', () => {
  const cases: Array<[string, number]> = [['90', 90_000], ['90s', 90_000], ['30m', 1_800_000], ['1h', 3_600_000], ['1h30m', 5_400_000], ['2d', 172_800_000], ['500ms', 500]];
  for (const [text, ms] of cases) it(`reads ${text} as ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  for (const bad of ['', 'h', '1x', '1h junk', '-5m']) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => parseDuration(bad), /not a duration/));
  }
});

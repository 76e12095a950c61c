// The advancer writes landed clips in batches, one transaction at a time, and never moves the watermark past
// a clip that has not landed. The commit function stands in for the state store: it records what it is asked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clip } from '../../src/core/ports.js';
import { WatermarkAdvancer } from '../../src/job/watermark-advancer.js';

const clip = (id: string, start: number): Clip => ({ id, cameraId: 'c', startTime: start, duration: 10 });
const [a, b, c, d] = [clip('a', 100), clip('b', 200), clip('c', 300), clip('d', 400)] as [Clip, Clip, Clip, Clip];

function recorder() {
  const commits: Array<{ next: number; landed: string[] }> = [];
  let release: (() => void) | undefined;
  let hold = false;
  return {
    commits,
    holdNext: () => (hold = true),
    release: () => release?.(),
    commit: async (next: number, landed: ReadonlyMap<string, number>) => {
      commits.push({ next, landed: [...landed.keys()].sort() });
      if (hold) {
        hold = false;
        await new Promise<void>((resolve) => (release = resolve));
      }
    },
  };
}

describe('WatermarkAdvancer', () => {
  it('batches clips that land while a transaction runs into the next one', async () => {
    const r = recorder();
    const advancer = new WatermarkAdvancer(0, [a, b, c, d], [], r.commit);
    r.holdNext();
    advancer.record(a, 'landed');
    advancer.record(b, 'landed');
    advancer.record(c, 'landed');
    advancer.record(d, 'landed');
    r.release();
    await advancer.settle();
    assert.deepEqual(r.commits, [{ next: 110, landed: ['a'] }, { next: 410, landed: ['b', 'c', 'd'] }]);
    assert.equal(advancer.current, 410);
  });

  it('waits the interval between transactions, and settle ends the wait with one last transaction', { timeout: 10_000 }, async () => {
    const r = recorder();
    const advancer = new WatermarkAdvancer(0, [a, b, c, d], [], r.commit, 60_000);
    advancer.record(a, 'landed');
    await new Promise((resolve) => setImmediate(resolve)); // the first transaction ends; the pause begins
    advancer.record(b, 'landed');
    advancer.record(c, 'landed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(r.commits, [{ next: 110, landed: ['a'] }], 'no second transaction during the interval');
    advancer.record(d, 'landed');
    await advancer.settle(); // well before the 60 s interval (the test's timeout is 10 s)
    assert.deepEqual(r.commits, [{ next: 110, landed: ['a'] }, { next: 410, landed: ['b', 'c', 'd'] }]);
  });

  it('records clips that land after a failed one, but never moves the watermark past the failed one', async () => {
    const r = recorder();
    const advancer = new WatermarkAdvancer(50, [a, b, c], [], r.commit);
    advancer.record(c, 'landed');
    advancer.record(b, 'failed');
    advancer.record(a, 'landed');
    await advancer.settle();
    assert.ok(r.commits.every(({ next }) => next <= 110), JSON.stringify(r.commits));
    assert.deepEqual(r.commits.flatMap(({ landed }) => landed).sort(), ['a', 'c']);
    assert.equal(advancer.current, 110);
  });

  it('moves over clips the state already records as landed without writing their ids again', async () => {
    const r = recorder();
    const advancer = new WatermarkAdvancer(0, [a, b, c], [b], r.commit);
    advancer.record(a, 'landed');
    advancer.record(c, 'landed');
    await advancer.settle();
    assert.equal(advancer.current, 310);
    assert.ok(!r.commits.some(({ landed }) => landed.includes('b')));
  });

  it('after a failed commit: reports failure, writes nothing more, and settle throws', async () => {
    let calls = 0;
    const advancer = new WatermarkAdvancer(0, [a, b], [], async () => {
      calls += 1;
      throw new Error('firestore unavailable');
    });
    advancer.record(a, 'landed');
    await assert.rejects(advancer.settle(), /firestore unavailable/);
    assert.ok(advancer.failed);
    advancer.record(b, 'landed');
    await assert.rejects(advancer.settle(), /firestore unavailable/);
    assert.equal(calls, 1);
    assert.equal(advancer.current, 0);
  });

  it('writes nothing when nothing landed', async () => {
    const r = recorder();
    const advancer = new WatermarkAdvancer(0, [a], [], r.commit);
    advancer.record(a, 'failed');
    await advancer.settle();
    assert.deepEqual(r.commits, []);
  });
});

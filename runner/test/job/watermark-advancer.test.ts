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

/** What `finish` handed back, as the recorder writes commits. */
const left = (rest: { next: number; landed: ReadonlyMap<string, number> } | undefined) => rest && { next: rest.next, landed: [...rest.landed.keys()].sort() };

const landed = (advancer: WatermarkAdvancer, ...clips: Clip[]) => {
  for (const one of clips) advancer.record(one, 'landed');
};

describe('WatermarkAdvancer', () => {
  it('batches clips that land while a transaction runs into the next one', async () => {
    const r = recorder();
    const advancer = new WatermarkAdvancer(0, [a, b, c, d], [], r.commit);
    r.holdNext();
    landed(advancer, a, b, c);
    r.release();
    await new Promise((resolve) => setImmediate(resolve)); // the held transaction ends; the next one runs
    assert.deepEqual(r.commits, [{ next: 110, landed: ['a'] }, { next: 310, landed: ['b', 'c'] }]);
    assert.equal(await advancer.finish(), undefined, 'all written');
  });

  it('finish waits for the transaction in flight and hands back what landed meanwhile, unwritten', async () => {
    const r = recorder();
    const advancer = new WatermarkAdvancer(0, [a, b, c, d], [], r.commit);
    r.holdNext();
    landed(advancer, a, b, c, d);
    const finishing = advancer.finish();
    r.release();
    assert.deepEqual(left(await finishing), { next: 410, landed: ['b', 'c', 'd'] });
    assert.deepEqual(r.commits, [{ next: 110, landed: ['a'] }], 'nothing written after finish');
    assert.equal(advancer.current, 110, 'the state holds 110 until the run stores the rest');
    advancer.stored(410);
    assert.equal(advancer.current, 410);
  });

  it('the last clip to get an outcome is not written on its own: finish hands it back for the run\'s record', async () => {
    const r = recorder();
    const advancer = new WatermarkAdvancer(0, [a, b], [], r.commit);
    advancer.record(a, 'landed');
    await new Promise((resolve) => setImmediate(resolve));
    advancer.record(b, 'landed');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(r.commits, [{ next: 110, landed: ['a'] }]);
    assert.deepEqual(left(await advancer.finish()), { next: 210, landed: ['b'] });
  });

  it('waits the interval between transactions, and finish ends the wait without another transaction', { timeout: 10_000 }, async () => {
    const r = recorder();
    const advancer = new WatermarkAdvancer(0, [a, b, c, d], [], r.commit, 60_000);
    advancer.record(a, 'landed');
    await new Promise((resolve) => setImmediate(resolve)); // the first transaction ends; the pause begins
    advancer.record(b, 'landed');
    advancer.record(c, 'landed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(r.commits, [{ next: 110, landed: ['a'] }], 'no second transaction during the interval');
    advancer.record(d, 'landed');
    const rest = await advancer.finish(); // well before the 60 s interval (the test's timeout is 10 s)
    assert.deepEqual(left(rest), { next: 410, landed: ['b', 'c', 'd'] });
    assert.deepEqual(r.commits, [{ next: 110, landed: ['a'] }]);
  });

  it('records clips that land after a failed one, but never moves the watermark past the failed one', async () => {
    const r = recorder();
    const advancer = new WatermarkAdvancer(50, [a, b, c], [], r.commit);
    advancer.record(c, 'landed');
    advancer.record(b, 'failed');
    advancer.record(a, 'landed');
    const rest = left(await advancer.finish());
    const written = [...r.commits, ...(rest ? [rest] : [])];
    assert.ok(written.every(({ next }) => next <= 110), JSON.stringify(written));
    assert.deepEqual(written.flatMap(({ landed }) => landed).sort(), ['a', 'c']);
    assert.equal(rest?.next, 110);
  });

  it('moves over clips the state already records as landed without writing their ids again', async () => {
    const r = recorder();
    const advancer = new WatermarkAdvancer(0, [a, b, c], [b], r.commit);
    advancer.record(a, 'landed');
    advancer.record(c, 'landed');
    const rest = left(await advancer.finish());
    assert.equal(rest?.next, 310);
    assert.ok(![...r.commits, rest].some((write) => write?.landed.includes('b')));
  });

  it('after a failed commit: reports failure, writes nothing more, and finish throws', async () => {
    let calls = 0;
    const advancer = new WatermarkAdvancer(0, [a, b], [], async () => {
      calls += 1;
      throw new Error('firestore unavailable');
    });
    advancer.record(a, 'landed');
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(advancer.failed);
    advancer.record(b, 'landed');
    await assert.rejects(advancer.finish(), /firestore unavailable/);
    assert.equal(calls, 1);
    assert.equal(advancer.current, 0);
  });

  it('hands back nothing and writes nothing when nothing landed', async () => {
    const r = recorder();
    const advancer = new WatermarkAdvancer(0, [a], [], r.commit);
    advancer.record(a, 'failed');
    assert.equal(await advancer.finish(), undefined);
    assert.deepEqual(r.commits, []);
  });
});

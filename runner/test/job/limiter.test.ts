import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { Limiter } from '../../src/job/limiter.js';

it('Limiter: never more than the limit at once, tasks start in the order they asked, a throw frees the slot', async () => {
  const limiter = new Limiter(3);
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const results = await Promise.allSettled(
    Array.from({ length: 12 }, (_, i) =>
      limiter.run(async () => {
        started.push(i);
        running += 1;
        peak = Math.max(peak, running);
        await sleep(5 + (i % 4) * 3);
        running -= 1;
        if (i % 5 === 0) throw new Error(`task ${i}`);
        return i;
      }),
    ),
  );
  assert.equal(peak, 3);
  assert.deepEqual(started, [...started].sort((x, y) => x - y));
  assert.equal(results.filter((r) => r.status === 'rejected').length, 3);
  assert.equal(started.length, 12);
});

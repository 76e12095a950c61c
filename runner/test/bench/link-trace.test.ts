// The shaped link's trace: the relay reports each stretch in which its uplink sent without a pause, and
// linkUse splits a contender's window into the time before its first byte, the link sending, its pauses, and the
// time after its last byte.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { parseLink, startRelay, type BusySpan } from '../../bench/link-relay.js';
import { linkUse } from '../../bench/link-trace.js';

describe('linkUse', () => {
  const spans: BusySpan[] = [
    { from: 500, to: 900 }, // before the window: cut off
    { from: 1_010, to: 1_100 },
    { from: 1_150, to: 1_400 },
    { from: 1_405, to: 1_900 },
    { from: 1_950, to: 2_100 }, // runs past the window's end: cut to it
  ];

  it('splits a window into the time before the first byte, sending, pauses and the time after the last byte', () => {
    const use = linkUse(spans, 1_000, 1_980);
    assert.deepEqual(
      { ...use, longestPauses: undefined },
      { beforeFirstByte: 10, sending: 90 + 250 + 495 + 30, pauses: 50 + 5 + 50, afterLastByte: 0, longestPauses: undefined },
    );
    assert.deepEqual(use?.longestPauses, [{ at: 100, ms: 50 }, { at: 900, ms: 50 }, { at: 400, ms: 5 }]);
  });

  it('ends a window whose link went quiet with the time after its last byte', () => {
    assert.equal(linkUse(spans, 1_000, 2_000)?.afterLastByte, 0);
    assert.deepEqual({ ...linkUse(spans, 1_120, 1_920), longestPauses: undefined }, { beforeFirstByte: 30, sending: 745, pauses: 5, afterLastByte: 20, longestPauses: undefined });
  });

  it('is undefined for a window in which the link sent nothing', () => {
    assert.equal(linkUse(spans, 900, 1_010), undefined);
    assert.equal(linkUse([], 0, 1_000), undefined);
  });
});

describe("the relay's trace", () => {
  it('reports each busy stretch of the uplink once it ended: 250 kB, a pause, 50 kB through 8 Mbit/s', async () => {
    const target = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const spans: BusySpan[] = [];
    const relay = await startRelay(parseLink('8mbit,10ms'), [{ host: '127.0.0.1', port: (target.address() as { port: number }).port }], (span) => spans.push(span));
    try {
      const client = createConnection({ host: '127.0.0.1', port: relay.ports[0]! });
      await new Promise((resolve) => client.once('connect', resolve));
      client.write(randomBytes(250_000));
      // 250 ms on the link; 150 ms more of quiet, then the second burst.
      await sleep(400);
      client.write(randomBytes(50_000));
      for (let waited = 0; spans.length < 2 && waited < 100; waited += 1) await sleep(20);
      client.destroy();
      assert.equal(spans.length, 2, JSON.stringify(spans));
      const [first, second] = spans as [BusySpan, BusySpan];
      const sent = (first.to - first.from) + (second.to - second.from);
      // The serializer's own arithmetic: 1 byte per microsecond at 8 Mbit/s, whatever the pieces' sizes.
      assert.ok(Math.abs(sent - 300) < 0.5, `the link sent for ${sent.toFixed(2)} ms`);
      assert.ok(second.from - first.to >= 100, `the pause was ${(second.from - first.to).toFixed(1)} ms`);
      assert.ok(Math.abs(first.from - Date.now()) < 5_000, 'span times are ms since the epoch');
    } finally {
      await relay.close();
      await new Promise((resolve) => target.close(resolve));
    }
  });
});

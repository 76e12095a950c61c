// The shaped link's slow start (BENCH_LINK ...,slowstart): a connection's window opens from 10 segments, doubles
// each round trip, and closes again after an idle spell; through the relay, a new connection's first 100 kB take
// three round trips where the link alone would carry them in one.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import { describe, it } from 'node:test';
import { parseLink, startRelay } from '../../bench/link-relay.js';
import { CongestionWindow, INITIAL_WINDOW_BYTES } from '../../bench/slow-start.js';

describe('the congestion window', () => {
  it('opens from 10 segments by every byte acknowledged, and halves per timeout of idleness down to 10 segments', () => {
    const window = new CongestionWindow(40);
    assert.equal(window.room(0), INITIAL_WINDOW_BYTES);
    window.sent(INITIAL_WINDOW_BYTES);
    assert.equal(window.room(1), 0, 'a full window lets nothing more go');
    window.acknowledged(INITIAL_WINDOW_BYTES, 40);
    assert.equal(window.room(40), 2 * INITIAL_WINDOW_BYTES, 'one round trip doubled it');
    for (let trip = 0; trip < 4; trip += 1) {
      const room = window.room(80 + trip * 40);
      window.sent(room);
      window.acknowledged(room, 120 + trip * 40);
    }
    assert.equal(window.bytes, 32 * INITIAL_WINDOW_BYTES, 'four more round trips doubled it four times');
    // Idle from 240 ms: a timeout is 40 + 200 ms; each halves the window.
    assert.equal(window.room(240 + 239), 32 * INITIAL_WINDOW_BYTES, 'less than a timeout changes nothing');
    window.sent(1);
    window.acknowledged(1, 500);
    assert.equal(window.room(500 + 3 * 240), 4 * INITIAL_WINDOW_BYTES, 'three timeouts took it to an eighth');
    window.sent(1);
    window.acknowledged(1, 2_000);
    assert.equal(window.room(2_000 + 20 * 240), INITIAL_WINDOW_BYTES, 'never below the initial window');
  });
});

describe('the relay with slow start', () => {
  it("carries a new connection's first 100 kB through 1 Gbit/s, 40 ms in no less than three round trips' worth", async () => {
    let resolveReceived: (at: number) => void = () => {};
    const received = new Promise<number>((resolve) => (resolveReceived = resolve));
    const target = createServer((socket) => {
      let bytes = 0;
      socket.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes === 100_000) resolveReceived(performance.now());
      });
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const relay = await startRelay(parseLink('1gbit,40ms,slowstart'), [{ host: '127.0.0.1', port: (target.address() as { port: number }).port }]);
    try {
      const client = createConnection({ host: '127.0.0.1', port: relay.ports[0]! });
      await new Promise((resolve) => client.once('connect', resolve));
      const started = performance.now();
      client.write(randomBytes(100_000));
      const at = await received;
      // Windows of 14.5, 29 and 58 kB: the last bytes leave two round trips in and arrive one way later.
      assert.ok(at - started >= 2 * 40 + 20 - 5, `100 kB arrived after ${(at - started).toFixed(1)} ms`);
      client.destroy();
    } finally {
      await relay.close();
      await new Promise((resolve) => target.close(resolve));
    }
  });
});

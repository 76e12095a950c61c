// The bench's shaped link (a user-space relay, since this kernel has no netem): bytes arrive whole and in order,
// no sooner than the link's rate and one-way delay allow (lower bounds only: a busy machine is only slower),
// a round trip costs at least the link's RTT, and a session URI naming the server leads back through the relay.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { parseLink, startRelay } from '../../bench/link-relay.js';

describe('BENCH_LINK', () => {
  it('parses rate, round trip, loss and queue, and the named links', () => {
    assert.deepEqual(parseLink('50mbit,40ms'), { rateBits: 50e6, rttMs: 40, queueMs: 100, loss: 0, slowStart: false });
    assert.deepEqual(parseLink('lossy-50'), { rateBits: 50e6, rttMs: 40, queueMs: 100, loss: 0.005, slowStart: false });
    assert.deepEqual(parseLink('10mbit,20ms,queue=50ms'), { rateBits: 10e6, rttMs: 20, queueMs: 50, loss: 0, slowStart: false });
    assert.deepEqual(parseLink('home-200,slowstart'), { rateBits: 200e6, rttMs: 40, queueMs: 100, loss: 0, slowStart: true });
    assert.throws(() => parseLink('constructor,slowstart'), /not a rate/);
    assert.throws(() => parseLink('40ms'), /no rate/);
    assert.throws(() => parseLink('50mbps,40ms'), /not a rate/);
  });
});

async function server(onSocket: (socket: Socket) => void) {
  const listening = createServer(onSocket);
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  return { port: (listening.address() as { port: number }).port, close: () => new Promise((resolve) => listening.close(resolve)) };
}

describe('the relay', () => {
  it('carries 250 kB whole and in order through 8 Mbit/s, 40 ms: no sooner than 250 ms + 20 ms', async () => {
    const payload = randomBytes(250_000);
    let resolveReceived: (value: { bytes: Buffer; at: number }) => void = () => {};
    const received = new Promise<{ bytes: Buffer; at: number }>((resolve) => (resolveReceived = resolve));
    const target = await server((socket) => {
      const parts: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => parts.push(chunk));
      socket.on('end', () => {
        resolveReceived({ bytes: Buffer.concat(parts), at: performance.now() });
        socket.end();
      });
    });
    const relay = await startRelay(parseLink('8mbit,40ms'), [{ host: '127.0.0.1', port: target.port }]);
    try {
      const started = performance.now();
      const client = createConnection({ host: '127.0.0.1', port: relay.ports[0]! });
      client.on('data', () => {});
      client.end(payload);
      const { bytes, at } = await received;
      assert.ok(bytes.equals(payload), 'the bytes changed on the way');
      assert.ok(at - started >= 250 + 20 - 5, `250 kB went through 8 Mbit/s in ${(at - started).toFixed(0)} ms`);
      assert.equal(relay.upBytes(), 250_000);
      client.destroy();
    } finally {
      await relay.close();
      await target.close();
    }
  });

  it('a target\'s own address in its answers is rewritten to the relay\'s (session URIs lead back through the link)', async () => {
    let own = '';
    const target = await server((socket) => socket.on('data', () => socket.end(`HTTP/1.1 200 OK\r\nlocation: http://${own}/upload?id=1\r\ncontent-length: 0\r\n\r\n`)));
    own = `127.0.0.1:${target.port}`;
    const relay = await startRelay(parseLink('100mbit,2ms'), [{ host: '127.0.0.1', port: target.port, rewriteOwnAddress: true }]);
    try {
      const answer = await fetch(`http://127.0.0.1:${relay.ports[0]}/`);
      assert.equal(answer.headers.get('location'), `http://127.0.0.1:${relay.ports[0]}/upload?id=1`);
    } finally {
      await relay.close();
      await target.close();
    }
  });

  it('a request and its answer take at least the round trip', async () => {
    const target = await server((socket) => socket.on('data', (chunk: Buffer) => socket.write(chunk)));
    const relay = await startRelay(parseLink('100mbit,60ms'), [{ host: '127.0.0.1', port: target.port }]);
    try {
      const client = createConnection({ host: '127.0.0.1', port: relay.ports[0]! });
      await new Promise((resolve) => client.once('connect', resolve));
      const started = performance.now();
      client.write('ping');
      const answer = await new Promise<Buffer>((resolve) => client.once('data', resolve));
      assert.equal(answer.toString(), 'ping');
      assert.ok(performance.now() - started >= 60 - 2, `a round trip took ${(performance.now() - started).toFixed(1)} ms`);
      client.destroy();
    } finally {
      await relay.close();
      await target.close();
    }
  });
});

// The clip HTTP client against a raw TCP peer on loopback (raw-http-peer.ts): the three framings give the exact
// bytes and keep or close the connection as they must; a kept connection the peer closed is replaced without an
// error; every malformed, oversized, late, cut or silent answer fails with its reason; a reader that is behind
// holds the socket; a stopped reader or an abort closes the connection; nothing unsafe is ever sent.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClipHttpClient, type ClipAnswer } from '../../src/scrypted/clip-http-client.js';
import { chunked, head, RawHttpPeer, type RawAnswer } from './raw-http-peer.js';

const peers: RawHttpPeer[] = [];
const clients: ClipHttpClient[] = [];
after(async () => {
  for (const client of clients) client.close();
  await Promise.all(peers.map((peer) => peer.stop()));
});

async function setUp(answer: RawAnswer): Promise<{ peer: RawHttpPeer; client: ClipHttpClient }> {
  const peer = await RawHttpPeer.start(answer);
  const client = new ClipHttpClient(undefined);
  peers.push(peer);
  clients.push(client);
  return { peer, client };
}

/** Reads the answer's body whole (in a test only): resolves with it, or with the error the body ended with. */
function readBody(answer: ClipAnswer, writeDelayMs = 0): Promise<{ body: Buffer; error?: Error }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    const into = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, done) {
        parts.push(Buffer.from(chunk));
        if (writeDelayMs > 0) setTimeout(done, writeDelayMs);
        else done();
      },
    });
    into.on('finish', () => resolve({ body: Buffer.concat(parts) }));
    answer.bodyInto(into, (error) => {
      into.destroy();
      resolve({ body: Buffer.concat(parts), error });
    });
  });
}

const get = (client: ClipHttpClient, peer: RawHttpPeer, timeoutMs = 5000, signal?: AbortSignal) =>
  client.get(peer.url(), { headers: { authorization: 'Bearer t' }, timeoutMs, signal });

const clip = randomBytes(3 * 1024 * 1024 + 17);

describe('the clip HTTP client: framings and kept connections', () => {
  it('a Content-Length answer: exact bytes, headers in a Map, and the next GET on the same connection', async () => {
    const { peer, client } = await setUp((socket) => socket.write(Buffer.concat([Buffer.from(head('200 OK', `Content-Length: ${clip.length}`, 'Content-Type: video/mp4', 'X-Two: a', 'x-two: b')), clip])));
    for (let round = 0; round < 3; round += 1) {
      const answer = await get(client, peer);
      assert.equal(answer.status, 200);
      assert.equal(answer.length, clip.length);
      assert.equal(answer.headers.get('content-type'), 'video/mp4');
      assert.equal(answer.headers.get('x-two'), 'a, b');
      const { body, error } = await readBody(answer);
      assert.equal(error, undefined);
      assert.ok(body.equals(clip));
    }
    assert.equal(peer.connections, 1);
    assert.deepEqual(peer.requests.map((request) => request.onConnection), [1, 2, 3]);
    assert.match(peer.requests[0]?.head ?? '', /^GET \/clip\.mp4 HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\nauthorization: Bearer t$/);
  });

  it('a chunked answer with extensions and a trailer: exact bytes, no length, the connection kept', async () => {
    const { peer, client } = await setUp((socket) => socket.write(Buffer.concat([Buffer.from(head('200 OK', 'Transfer-Encoding: chunked')), chunked(clip, 100_000)])));
    for (let round = 0; round < 2; round += 1) {
      const answer = await get(client, peer);
      assert.equal(answer.length, undefined);
      const { body, error } = await readBody(answer);
      assert.equal(error, undefined);
      assert.ok(body.equals(clip));
    }
    assert.equal(peer.connections, 1);
  });

  it('a close-delimited answer (no length, no chunks): exact bytes, and a new connection for the next GET', async () => {
    const { peer, client } = await setUp((socket) => socket.end(Buffer.concat([Buffer.from(head('200 OK')), clip])));
    for (let round = 0; round < 2; round += 1) {
      const { body, error } = await readBody(await get(client, peer));
      assert.equal(error, undefined);
      assert.ok(body.equals(clip));
    }
    assert.equal(peer.connections, 2);
  });

  it('`Connection: close` and HTTP/1.0 answers are not kept', async () => {
    let n = 0;
    const { peer, client } = await setUp((socket) => {
      n += 1;
      const status = n === 1 ? 'HTTP/1.1 200 OK\r\nConnection: close' : 'HTTP/1.0 200 OK';
      socket.write(`${status}\r\nContent-Length: 2\r\n\r\nok`);
    });
    for (let round = 0; round < 2; round += 1) assert.equal((await readBody(await get(client, peer))).body.toString(), 'ok');
    await readBody(await get(client, peer));
    assert.equal(peer.connections, 3);
  });

  it('a kept connection the peer closed while it waited is replaced at once, without an error', async () => {
    const { peer, client } = await setUp((socket) => {
      socket.write(`${head('200 OK', 'Content-Length: 2')}ok`);
      setTimeout(() => socket.end(), 20);
    });
    assert.equal((await readBody(await get(client, peer))).body.toString(), 'ok');
    await sleep(100);
    assert.equal((await readBody(await get(client, peer))).body.toString(), 'ok');
    assert.equal(peer.connections, 2);
  });

  it('a kept connection reset just as the next request goes out is replaced at once', async () => {
    const { peer, client } = await setUp((socket, request) => {
      if (request.connection === 1 && request.onConnection === 2) socket.resetAndDestroy();
      else socket.write(`${head('200 OK', 'Content-Length: 2')}ok`);
    });
    assert.equal((await readBody(await get(client, peer))).body.toString(), 'ok');
    assert.equal((await readBody(await get(client, peer))).body.toString(), 'ok');
    assert.equal(peer.connections, 2);
  });

  it('bytes beyond the Content-Length: the body is the declared bytes, and the connection is not used again', async () => {
    const { peer, client } = await setUp((socket) => socket.write(`${head('200 OK', 'Content-Length: 2')}okJUNK`));
    assert.equal((await readBody(await get(client, peer))).body.toString(), 'ok');
    assert.equal((await readBody(await get(client, peer))).body.toString(), 'ok');
    assert.equal(peer.connections, 2);
  });

  it('bytes the peer sends on a kept connection while no request is out: that connection is dropped', async () => {
    const { peer, client } = await setUp((socket) => {
      socket.write(`${head('200 OK', 'Content-Length: 2')}ok`);
      setTimeout(() => socket.write('HTTP/1.1 200 OK\r\n'), 20);
    });
    assert.equal((await readBody(await get(client, peer))).body.toString(), 'ok');
    await sleep(100);
    assert.equal((await readBody(await get(client, peer))).body.toString(), 'ok');
    assert.equal(peer.connections, 2);
  });

  it('a non-200 answer is given with its status; discarding it before its end closes the connection', async () => {
    const { peer, client } = await setUp((socket) => socket.write(`${head('404 Not Found', 'Content-Length: 100')}not found`));
    const answer = await get(client, peer);
    assert.equal(answer.status, 404);
    answer.discard();
    await sleep(50);
    assert.equal(peer.sockets.size, 0);
  });

  it('a non-200 answer that arrived whole keeps its connection for the next GET', async () => {
    const { peer, client } = await setUp((socket, request) => socket.write(request.onConnection === 1 ? `${head('404 Not Found', 'Content-Length: 9')}not found` : `${head('200 OK', 'Content-Length: 2')}ok`));
    const answer = await get(client, peer);
    assert.equal(answer.status, 404);
    answer.discard();
    assert.equal((await readBody(await get(client, peer))).body.toString(), 'ok');
    assert.equal(peer.connections, 1);
  });
});

describe('the clip HTTP client: answers it refuses', () => {
  const refused: Array<[string, string, RegExp]> = [
    ['a status line that is not HTTP/1.x', 'HTTP/2 200\r\n\r\n', /does not start with an HTTP\/1.x status line/],
    ['plain text', 'hello there\r\n\r\n', /does not start with an HTTP\/1.x status line/],
    ['a folded header line', `${'HTTP/1.1 200 OK\r\nX-A: b\r\n'} folded\r\n\r\n`, /malformed header line/],
    ['a header name with a space', 'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n', /malformed header line/],
    ['both Transfer-Encoding and Content-Length', head('200 OK', 'Transfer-Encoding: chunked', 'Content-Length: 5'), /both Transfer-Encoding and Content-Length/],
    ['a gzip transfer coding', head('200 OK', 'Transfer-Encoding: gzip, chunked'), /is not plain chunked/],
    ['two different Content-Lengths', head('200 OK', 'Content-Length: 5', 'Content-Length: 6'), /Content-Length "5, 6" is not one whole number/],
    ['a negative Content-Length', head('200 OK', 'Content-Length: -1'), /is not one whole number/],
    ['an informational 100', head('100 Continue'), /informational 100/],
    ['101 header lines', head('200 OK', ...Array.from({ length: 101 }, (_, i) => `X-${i}: y`)), /more than 100 header lines/],
    ['a head of 17 KiB', head('200 OK', `X-Big: ${'y'.repeat(17 * 1024)}`), /head is larger than 16384 bytes/],
    ['a head that never ends, 17 KiB of it', `HTTP/1.1 200 OK\r\nX-Big: ${'y'.repeat(17 * 1024)}`, /head is larger than 16384 bytes/],
  ];
  for (const [name, answer, says] of refused) {
    it(`${name}: the GET fails with the reason, and the connection is closed`, async () => {
      const { peer, client } = await setUp((socket) => socket.write(answer, 'latin1'));
      await assert.rejects(get(client, peer), says);
      await sleep(50);
      assert.equal(peer.sockets.size, 0);
    });
  }

  it('a head that trickles in fails at the deadline, though the socket is never silent for long', async () => {
    const { peer, client } = await setUp((socket) => {
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write('X')), 50);
      socket.write('HTTP/1.1 200 OK\r\nX-Slow: ');
    });
    await assert.rejects(get(client, peer, 400), /Scrypted did not answer \/clip\.mp4 within 400 ms/);
  });

  it('no answer at all fails at the deadline', async () => {
    const { peer, client } = await setUp(() => undefined);
    await assert.rejects(get(client, peer, 300), /Scrypted did not answer \/clip\.mp4 within 300 ms/);
  });

  it('a connection closed before any answer fails as closed (a new connection, so not stale)', async () => {
    const { peer, client } = await setUp((socket) => socket.end());
    await assert.rejects(get(client, peer), (error: Error & { code?: string }) => /closed the connection before answering/.test(error.message) && error.code === 'ECONNRESET');
  });

  it('a refused connection fails with its code', async () => {
    const { peer, client } = await setUp(() => undefined);
    await peer.stop();
    await assert.rejects(get(client, peer), (error: Error & { code?: string }) => error.code === 'ECONNREFUSED');
  });

  it('a path or header value with CR or LF is refused before anything is sent', async () => {
    const { peer, client } = await setUp(() => undefined);
    await assert.rejects(client.get(peer.url(), { headers: { authorization: 'Bearer a\r\nX-Evil: 1' }, timeoutMs: 1000 }), /control character/);
    assert.equal(peer.connections, 0);
  });
});

describe('the clip HTTP client: bodies that break', () => {
  const broken: Array<[string, (socket: Socket) => void, RegExp]> = [
    ['cut short of its Content-Length', (socket) => socket.end(`${head('200 OK', 'Content-Length: 10')}12345`), /aborted/],
    ['reset in the middle', (socket) => {
      socket.write(`${head('200 OK', 'Content-Length: 10')}12345`);
      setTimeout(() => socket.resetAndDestroy(), 30);
    }, /ECONNRESET|aborted/],
    ['chunked, closed before the last chunk', (socket) => socket.end(`${head('200 OK', 'Transfer-Encoding: chunked')}5\r\n12345\r\n`), /aborted/],
    ['chunked, with a malformed size line', (socket) => socket.write(`${head('200 OK', 'Transfer-Encoding: chunked')}5\r\n12345\r\nnope\r\n`), /chunk-size line .* malformed/],
    ['silent in the middle for longer than the timeout', (socket) => socket.write(`${head('200 OK', 'Content-Length: 10')}12345`), /did not answer \/clip\.mp4 within 300 ms/],
  ];
  for (const [name, answer, says] of broken) {
    it(`${name}: the reader is told, with the bytes so far, and never sees an end`, async () => {
      const { peer, client } = await setUp(answer);
      const { body, error } = await readBody(await get(client, peer, 300));
      assert.match(String((error as Error & { code?: string })?.code ?? ''), /ECONNRESET|^$/);
      assert.match(`${error?.message} ${(error as Error & { code?: string })?.code}`, says);
      assert.ok(body.length <= 5);
    });
  }
});

describe('the clip HTTP client: pace, stops and aborts', () => {
  it('a reader that is behind holds the socket: the body arrives whole, the silence is not a timeout', async () => {
    const big = randomBytes(2 * 1024 * 1024);
    const { peer, client } = await setUp((socket) => socket.write(Buffer.concat([Buffer.from(head('200 OK', `Content-Length: ${big.length}`)), big])));
    // Each read is at most 1 MiB, and each takes the reader 300 ms: the socket waits longer than the 200 ms timeout.
    const { body, error } = await readBody(await get(client, peer, 200), 300);
    assert.equal(error, undefined);
    assert.ok(body.equals(big));
  });

  it('bytes that arrived are handed on at once, not held back to be gathered with bytes still to come', async () => {
    const { peer, client } = await setUp((socket) => socket.write(`${head('200 OK', 'Content-Length: 10')}12345`));
    const answer = await get(client, peer);
    const seen: Buffer[] = [];
    const into = new Writable({
      write(chunk: Buffer, _encoding, done) {
        seen.push(Buffer.from(chunk));
        done();
      },
    });
    answer.bodyInto(into, () => undefined);
    await sleep(200);
    assert.equal(Buffer.concat(seen).toString(), '12345');
    into.destroy();
  });

  it('a reader that stops (destroys its stream) closes the connection', async () => {
    const { peer, client } = await setUp((socket) => socket.write(Buffer.concat([Buffer.from(head('200 OK', `Content-Length: ${clip.length * 2}`)), clip])));
    const answer = await get(client, peer);
    const into = new Writable({ write: (_chunk, _encoding, done) => done() });
    answer.bodyInto(into, () => undefined);
    await sleep(30);
    into.destroy();
    await sleep(50);
    assert.equal(peer.sockets.size, 0);
  });

  it('an abort while waiting for the head fails the GET and closes the connection', async () => {
    const { peer, client } = await setUp(() => undefined);
    const stop = new AbortController();
    const pending = get(client, peer, 5000, stop.signal);
    await sleep(50);
    stop.abort();
    await assert.rejects(pending, (error: Error) => error.name === 'AbortError');
    await sleep(50);
    assert.equal(peer.sockets.size, 0);
  });

  it('an abort in the middle of the body tells the reader and closes the connection', async () => {
    const { peer, client } = await setUp((socket) => socket.write(`${head('200 OK', 'Content-Length: 10')}12345`));
    const stop = new AbortController();
    const answer = await get(client, peer, 5000, stop.signal);
    const reading = readBody(answer);
    await sleep(30);
    stop.abort();
    const { error } = await reading;
    assert.equal(error?.name, 'AbortError');
    await sleep(50);
    assert.equal(peer.sockets.size, 0);
  });
});

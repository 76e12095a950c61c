// The clip answer check as a stream: a whole clip passes unchanged; a bad one errors before the stream ends (so a
// consumer never sees 'end'); the content-type table; the floor rate fails a trickle but not a reader that holds
// the stream back; peer data is read only through plain objects.
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { peerString } from '../../src/scrypted/clip-bytes.js';
import { checkClipContentType, ClipBodyCheck } from '../../src/scrypted/clip-body-check.js';
import { FloorRate } from '../../src/scrypted/floor-rate.js';
import { RpcPeer } from '../../src/scrypted/rpc-peer.js';
import { generatedClip } from '../scrypted-server/mp4.js';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Runs `body` through the check; resolves with what came out and whether 'end' was seen. */
async function through(body: Buffer[], declared: number | undefined, windowMs = 60_000) {
  const check = new ClipBodyCheck('clip x', declared, windowMs);
  let ended = false;
  check.on('end', () => (ended = true));
  const out: Buffer[] = [];
  const error = await pipeline(Readable.from(body), check, new Writable({ write(chunk: Buffer, _e, done) { out.push(chunk); done(); } })).then(() => undefined, (caught: Error) => caught);
  return { error, ended, out: Buffer.concat(out) };
}

describe('ClipBodyCheck', () => {
  it('passes a whole clip unchanged, with or without its Content-Length', async () => {
    const clip = await bytesOf(generatedClip(300_000, 5, 10_000));
    for (const declared of [clip.length, undefined]) {
      const { error, ended, out } = await through([clip.subarray(0, 1000), clip.subarray(1000)], declared);
      assert.equal(error, undefined);
      assert.ok(ended);
      assert.ok(out.equals(clip));
    }
  });

  const bad: Array<[string, () => Promise<[Buffer[], number | undefined]>, RegExp]> = [
    ['an HTML page', async () => [[Buffer.from('<html><body>502</body></html>')], undefined], /does not start with an MP4 ftyp box/],
    ['an empty body', async () => [[], undefined], /empty/],
    ['a cut body without a length', async () => { const c = await bytesOf(generatedClip(50_000, 1, 1)); return [[c.subarray(0, 25_000)], undefined]; }, /cut short/],
    ['fewer bytes than declared', async () => { const c = await bytesOf(generatedClip(50_000, 1, 1)); return [[c], c.length + 10]; }, /ended after 50000 of the 50010 bytes/],
    ['more bytes than declared', async () => { const c = await bytesOf(generatedClip(50_000, 1, 1)); return [[c], c.length - 10]; }, /more than the 49990 bytes/],
  ];
  for (const [name, make, says] of bad) {
    it(`${name}: errors before the stream ends`, async () => {
      const [body, declared] = await make();
      const { error, ended } = await through(body, declared);
      assert.match(String(error?.message), says);
      assert.match(String(error?.message), /^Scrypted's answer for clip x is not a whole MP4 clip/);
      assert.equal(ended, false, "the consumer saw 'end'");
    });
  }

  it('a trickle fails below the floor rate', async () => {
    const clip = await bytesOf(generatedClip(50_000, 2, 1));
    async function* trickle() {
      for (let i = 0; i < clip.length; i++) {
        yield clip.subarray(i, i + 1);
        await sleep(20);
      }
    }
    const check = new ClipBodyCheck('clip x', clip.length, 100);
    const error = await pipeline(Readable.from(trickle()), check, new Writable({ write(_c, _e, done) { done(); } })).then(() => undefined, (caught: Error) => caught);
    assert.match(String(error?.message), /byte\(s\) arrived in 0.1 s, below the floor of 16 KiB\/s/);
  });

  it('a reader that holds the stream back is not blamed on Scrypted (FloorRate)', async () => {
    for (const behind of [true, false]) {
      const reasons: string[] = [];
      let heldBack = behind;
      const rate = new FloorRate(50, (reason) => reasons.push(reason), () => heldBack);
      for (let i = 0; i < 8; i++) {
        rate.add(10, false);
        await sleep(20);
      }
      rate.stop();
      heldBack = false;
      if (behind) assert.deepEqual(reasons, []);
      else assert.match(reasons[0] ?? '', /below the floor/);
    }
    // Bytes that had to wait for the reader excuse their window too.
    const reasons: string[] = [];
    const rate = new FloorRate(50, (reason) => reasons.push(reason), () => false);
    for (let i = 0; i < 8; i++) {
      rate.add(10, true);
      await sleep(20);
    }
    rate.stop();
    assert.deepEqual(reasons, []);
  });
});

describe('clip content types', () => {
  for (const type of [undefined, '', 'video/mp4', 'video/MP4; codecs="avc1"', 'application/octet-stream', 'video/quicktime', 'application/mp4']) {
    it(`accepts ${JSON.stringify(type)}`, () => assert.doesNotThrow(() => checkClipContentType(type, 'clip x')));
  }
  for (const type of ['text/html', 'text/html; charset=utf-8', 'application/json', 'text/plain', 'image/jpeg', 'video/mp2t', 'multipart/x-mixed-replace']) {
    it(`refuses ${JSON.stringify(type)}`, () => assert.throws(() => checkClipContentType(type, 'clip x'), /not a video \(an error page\?\)/));
  }
});

describe('peerString', () => {
  it('reads own strings through plain objects only; a remote proxy on the way is never called', () => {
    const sent: unknown[] = [];
    const peer = new RpcPeer((message) => sent.push(message), 1000);
    const proxy = peer.deserialize({ __remote_proxy_id: 'p', __remote_proxy_finalizer_id: 'p', __remote_constructor_name: 'X' }, undefined);
    assert.equal(peerString({ resources: { video: { href: '/a.mp4' } } }, 'resources', 'video', 'href'), '/a.mp4');
    assert.equal(peerString({ resources: proxy }, 'resources', 'video', 'href'), undefined);
    assert.equal(peerString({ resources: { video: proxy } }, 'resources', 'video', 'href'), undefined);
    assert.equal(peerString({ resources: { video: { href: 5 } } }, 'resources', 'video', 'href'), undefined);
    assert.equal(peerString(JSON.parse('{"__proto__":{"href":"/x"}}'), 'href'), undefined);
    assert.equal(peerString(Object.create({ href: '/inherited' }), 'href'), undefined);
    assert.equal(sent.length, 0, 'a call reached the server');
  });
});

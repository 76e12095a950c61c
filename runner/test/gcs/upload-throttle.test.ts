// UPLOAD_LIMIT's shared token bucket: on a fake clock (no timed assertions), the bytes it lets through by any
// instant never exceed the cap plus one burst, whatever the number of uploads drawing from it; through the real
// sink against the GCS test server every byte of every upload (single-request and resumable) passes it, and
// the objects are whole; a schedule change applies from the next piece.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { createGcsClipSink } from '../../src/gcs/index.js';
import { parseUploadLimit } from '../../src/gcs/upload-limit-schedule.js';
import { BURST_MS, UploadThrottle, type ThrottleClock } from '../../src/gcs/upload-throttle.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';
import { freshBucket, testSinkOptions } from './sink-fixture.js';

/** Virtual time: a sleep moves the clock to its end (never back) and resolves on the next turn of the loop. */
class FakeClock implements ThrottleClock {
  sleeps = 0;
  constructor(public time: number) {}
  now = () => this.time;
  sleep = async (ms: number, signal: AbortSignal) => {
    signal.throwIfAborted();
    this.sleeps += 1;
    const wake = this.time + ms;
    await new Promise((resolve) => setImmediate(resolve));
    this.time = Math.max(this.time, wake);
  };
}

/** Wraps a bucket so every grant is recorded as (virtual time, bytes granted so far). */
function recordGrants(throttle: UploadThrottle, clock: FakeClock): Array<{ at: number; total: number }> {
  const grants: Array<{ at: number; total: number }> = [];
  let total = 0;
  const take = throttle.take.bind(throttle);
  throttle.take = async (bytes, signal) => {
    await take(bytes, signal);
    total += bytes;
    grants.push({ at: clock.now(), total });
  };
  return grants;
}

/** The cap holds: by every grant, no more than rate x (elapsed + burst) bytes, plus the piece just granted. */
function assertCapHeld(grants: Array<{ at: number; total: number }>, start: number, rate: number, piece: number): void {
  for (const grant of grants) {
    const allowed = (rate * (grant.at - start + BURST_MS)) / 1000 + piece;
    assert.ok(grant.total <= allowed, `${grant.total} bytes granted by ${grant.at - start} ms, over the cap's ${Math.floor(allowed)}`);
  }
}

const local = (hours: number, minutes: number) => new Date(2026, 10, 30, hours, minutes).getTime();

describe('the shared bucket on a fake clock', () => {
  it('eight bodies at once share 1 MiB/s: never above the cap, and 4 MiB take about 4 s of virtual time', async () => {
    const rate = 1024 * 1024;
    const clock = new FakeClock(local(12, 0));
    const throttle = new UploadThrottle(parseUploadLimit('1M')!, clock);
    const grants = recordGrants(throttle, clock);
    const start = clock.now();
    const bodies = Array.from({ length: 8 }, () => randomBytes(512 * 1024));
    const received = await Promise.all(bodies.map(async (body) => {
      const parts: Buffer[] = [];
      await pipeline(Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]), throttle.transform(), async (source: AsyncIterable<Buffer>) => {
        for await (const part of source) parts.push(part);
      });
      return Buffer.concat(parts);
    }));
    received.forEach((body, i) => assert.ok(body.equals(bodies[i]!), 'a body changed on its way through'));
    assert.equal(throttle.bytes, 4 * 1024 * 1024);
    assertCapHeld(grants, start, rate, throttle.pieceBytes());
    const elapsed = clock.now() - start;
    assert.ok(elapsed >= 4000 - BURST_MS, `4 MiB went in ${elapsed} ms of virtual time at 1 MiB/s`);
    assert.ok(elapsed <= 4000 + BURST_MS, `the bucket held bytes back longer than the cap asks: ${elapsed} ms`);
  });

  it('a schedule change applies from the next piece: off before 08:00, capped from 08:00', async () => {
    const clock = new FakeClock(local(7, 59));
    const throttle = new UploadThrottle(parseUploadLimit('08:00,64k 23:00,off')!, clock);
    await throttle.take(10 * 1024 * 1024, new AbortController().signal);
    assert.equal(clock.sleeps, 0, 'uncapped bytes waited');
    clock.time = local(8, 0);
    assert.equal(throttle.pieceBytes(), Math.floor((64 * 1024 * BURST_MS) / 1000));
    const before = clock.now();
    for (let i = 0; i < 16; i += 1) await throttle.take(8 * 1024, new AbortController().signal);
    assert.ok(clock.now() - before >= 2000 - BURST_MS, `128 KiB at 64 KiB/s took ${clock.now() - before} ms`);
  });

  it('a body destroyed while it waits stops waiting (no timer keeps the process alive)', async () => {
    let aborted = false;
    const clock: ThrottleClock = {
      now: () => local(12, 0),
      sleep: (_ms, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => ((aborted = true), reject(signal.reason)))),
    };
    const throttle = new UploadThrottle(parseUploadLimit('1k')!, clock);
    const transform = throttle.transform();
    transform.on('error', () => {});
    transform.write(randomBytes(10_000));
    await new Promise((resolve) => setImmediate(resolve));
    transform.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(aborted, 'the wait was not abandoned');
  });
});

describe('the cap through the real sink (GCS test server)', () => {
  let server: GcsTestServer;
  before(async () => {
    server = await startGcsTestServer();
  });
  after(() => server.close());

  const clip = (bytes: Buffer, announce: boolean) => () => Promise.resolve({ size: announce ? bytes.length : undefined, stream: Readable.from([bytes]) });

  it('single-request and resumable uploads at once all draw from one bucket, under the cap, objects whole (fake clock)', async () => {
    const bucket = await freshBucket(server.endpoint, 'throttle');
    const rate = 2 * 1024 * 1024;
    const clock = new FakeClock(local(12, 0));
    // A sink whose bucket is recorded: the sink builds its bucket from the options, so record through its prototype.
    const realTake = UploadThrottle.prototype.take;
    const grants: Array<{ at: number; total: number }> = [];
    let total = 0;
    UploadThrottle.prototype.take = async function (this: UploadThrottle, bytes: number, signal: AbortSignal) {
      await realTake.call(this, bytes, signal);
      total += bytes;
      grants.push({ at: clock.now(), total });
    };
    try {
      const sink = createGcsClipSink(testSinkOptions(server.endpoint, bucket, { uploadLimit: parseUploadLimit('2M'), throttleClock: clock, resumableThresholdBytes: 100_000 }));
      const clips = [
        { name: 'cam/small-1.mp4', bytes: randomBytes(60_000), announce: true }, // one multipart request
        { name: 'cam/small-2.mp4', bytes: randomBytes(90_000), announce: true },
        { name: 'cam/large-known.mp4', bytes: randomBytes(3_000_000), announce: true }, // resumable, streamed + final
        { name: 'cam/large-unknown.mp4', bytes: randomBytes(1_500_000), announce: false }, // resumable, size unknown
      ];
      const start = clock.now();
      const results = await Promise.all(clips.map((c) => sink.putIfAbsent({ name: c.name, contentType: 'video/mp4', metadata: {}, size: undefined }, clip(c.bytes, c.announce))));
      sink.close();
      assert.deepEqual(results.map((r) => r.outcome), ['created', 'created', 'created', 'created']);
      for (const c of clips) assert.ok((await server.readObject(bucket, c.name))?.bytes.equals(c.bytes), `${c.name} is not whole`);
      const clipBytes = clips.reduce((sum, c) => sum + c.bytes.length, 0);
      // Every clip byte went through the bucket (plus the multipart framing, under 1 KiB per small clip).
      assert.ok(total >= clipBytes && total <= clipBytes + 2048, `${total} bytes through the bucket for ${clipBytes} clip bytes`);
      assertCapHeld(grants, start, rate, 64 * 1024);
      assert.ok(clock.now() - start >= ((clipBytes - (rate * BURST_MS) / 1000) * 1000) / rate, 'the uploads were not held to the cap');
    } finally {
      UploadThrottle.prototype.take = realTake;
    }
  });

  it('a small clip through the cap with `ready` held creates no object until it resolves, and none when it rejects', async () => {
    const bucket = await freshBucket(server.endpoint, 'throttle-ready');
    const sink = createGcsClipSink(testSinkOptions(server.endpoint, bucket, { uploadLimit: parseUploadLimit('100M'), resumableThresholdBytes: 100_000 }));
    const gate = () => {
      let settle!: { resolve: () => void; reject: (error: Error) => void };
      const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      return { ready, settle };
    };
    const put = (name: string, bytes: Buffer, ready: Promise<void>) => sink.putIfAbsent({ name, contentType: 'video/mp4', metadata: {}, size: undefined }, clip(bytes, true), undefined, undefined, ready);
    const held = gate();
    const bytes = randomBytes(60_000);
    const landing = put('cam/held.mp4', bytes, held.ready);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await server.readObject(bucket, 'cam/held.mp4'), undefined, 'no object before ready');
    held.settle.resolve();
    assert.equal((await landing).outcome, 'created');
    assert.ok((await server.readObject(bucket, 'cam/held.mp4'))?.bytes.equals(bytes));
    const refused = gate();
    const failing = put('cam/refused.mp4', randomBytes(60_000), refused.ready);
    await new Promise((resolve) => setTimeout(resolve, 100));
    refused.settle.reject(new Error('no lease (injected)'));
    await assert.rejects(failing, /no lease \(injected\)/);
    assert.equal(await server.readObject(bucket, 'cam/refused.mp4'), undefined);
    sink.close();
  });

  it('on the real clock, 1 MiB through a 1 MiB/s cap takes at least about a second (a lower bound only)', async () => {
    const bucket = await freshBucket(server.endpoint, 'throttle-real');
    const sink = createGcsClipSink(testSinkOptions(server.endpoint, bucket, { uploadLimit: parseUploadLimit('1M'), resumableThresholdBytes: 100_000 }));
    const clips = [randomBytes(50_000), randomBytes(512 * 1024 - 50_000), randomBytes(512 * 1024)];
    const started = performance.now();
    await Promise.all(clips.map((bytes, i) => sink.putIfAbsent({ name: `cam/real-${i}.mp4`, contentType: 'video/mp4', metadata: {}, size: undefined }, clip(bytes, true))));
    const elapsed = performance.now() - started;
    sink.close();
    // 1 MiB at 1 MiB/s: at least 1000 ms less one burst; a busy machine only makes it slower, so this cannot flake.
    assert.ok(elapsed >= 1000 - BURST_MS - 10, `1 MiB went through a 1 MiB/s cap in ${elapsed.toFixed(0)} ms`);
  });
});

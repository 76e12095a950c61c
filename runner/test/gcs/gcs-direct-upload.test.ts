// The sink's own HTTP uploads against the GCS test server over real HTTP: large clips streamed to a resumable
// session with the CRC32C on the final request (direct-put.ts), small clips in one multipart POST over a shared
// keep-alive agent (multipart-post.ts). What they must keep: exact bytes and metadata, create-only (only GCS's
// precondition 412 is "exists", nothing overwritten), bytes changed on the way refused by the server and sent
// again, no object and no open request from a broken source, retries with a fresh session, a wrong object
// reported (never "created", never "exists"), and a process that exits when its work is done.
// (A server of its own: injected faults are server-wide.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ClipStream, ObjectDescription } from '../../src/core/ports.js';
import { findInCauseChain, isStoredObjectMismatchError, type StoredObjectMismatchError } from '../../src/core/errors.js';
import { FastCrc32c } from '../../src/gcs/fast-crc32c.js';
import { createGcsClipSink, type GcsClipSink, type GcsSinkOptions } from '../../src/gcs/index.js';
import { clipOf } from '../conformance/clip-sink-suite.js';
import { DEFAULT_BEHAVIOUR } from '../gcs-server/behaviour.js';
import { startGcsTestServer, type FaultPlan, type GcsTestServer } from '../gcs-server/server.js';
import { freshBucket as sharedFreshBucket, testSinkOptions } from './sink-fixture.js';

let server: GcsTestServer;
const sinks: GcsClipSink[] = [];
before(async () => {
  server = await startGcsTestServer();
});
afterEach(() => {
  server.clearFaults();
  Object.assign(server.behaviour, DEFAULT_BEHAVIOUR);
  for (const sink of sinks.splice(0)) sink.close();
});
after(() => server.close());

const freshBucket = () => sharedFreshBucket(server.endpoint, 'direct');

function sinkFor(bucket: string, overrides: Partial<GcsSinkOptions> = {}): GcsClipSink {
  const sink = createGcsClipSink(testSinkOptions(server.endpoint, bucket, overrides));
  sinks.push(sink);
  return sink;
}

const clip = (name: string, size?: number): ObjectDescription => ({
  name, contentType: 'video/mp4', metadata: { clipId: name, cameraId: 'cam-7' }, size,
});

const crcOf = (bytes: Buffer) => {
  const crc = new FastCrc32c();
  crc.update(bytes);
  return crc.toString();
};

/** The object resource as the JSON API reports it (objects.get). */
async function resourceOf(bucket: string, name: string): Promise<{ crc32c: string; size: string; contentType: string; metadata: Record<string, string> }> {
  const response = await fetch(`${server.endpoint}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`);
  assert.equal(response.status, 200);
  return (await response.json()) as { crc32c: string; size: string; contentType: string; metadata: Record<string, string> };
}

async function assertStored(bucket: string, name: string, bytes: Buffer): Promise<void> {
  const stored = await server.readObject(bucket, name);
  assert.ok(stored, `${name} missing`);
  assert.ok(stored.bytes.equals(bytes), `${name}: stored bytes differ`);
  const resource = await resourceOf(bucket, name);
  assert.equal(resource.crc32c, crcOf(bytes));
  assert.equal(resource.size, String(bytes.length));
  assert.equal(resource.contentType, 'video/mp4');
  assert.deepEqual(resource.metadata, { clipId: name, cameraId: 'cam-7' });
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < timeoutMs; ) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return condition();
}

/** A source that sends `bytes` up to `breakAt`, then fails like a Scrypted connection that went away. */
function breaking(bytes: Buffer, breakAt: number, announced: boolean): () => Promise<ClipStream> {
  return async () => ({
    size: announced ? bytes.length : undefined,
    stream: Readable.from((async function* () {
      for (let offset = 0; offset < breakAt; offset += 65536) yield bytes.subarray(offset, Math.min(breakAt, offset + 65536));
      await new Promise((resolve) => setTimeout(resolve, 30));
      throw new Error('Scrypted went away');
    })()),
  });
}

describe('large clips: a resumable session, the hash on its final request', () => {
  for (const [label, unknownSize, requests] of [['known size (Content-Length)', false, 3], ['unknown size (8 MiB pieces)', true, 2]] as const) {
    it(`a ${label} clip lands byte-identical with its CRC32C, content type and metadata; the final request carries the hash`, async () => {
      const bucket = await freshBucket();
      const bytes = randomBytes(6_000_000 + 123);
      const before = server.requests.upload ?? 0;
      const result = await sinkFor(bucket).putIfAbsent(clip('cam/large.mp4'), clipOf(bytes, { unknownSize }));
      assert.deepEqual(result, { outcome: 'created', bytes: bytes.length, attempts: 1 });
      // Known size: the open, one streaming PUT of all but the last (<= 256 KiB) bytes, the final PUT with them.
      assert.equal((server.requests.upload ?? 0) - before, requests);
      assert.equal(server.lastFinalHash(), `crc32c=${crcOf(bytes)}`);
      await assertStored(bucket, 'cam/large.mp4', bytes);
    });
  }

  it('with a chunk size, a clip goes as requests of that size, then the final one with the hash (known and unknown size)', async () => {
    for (const unknownSize of [false, true]) {
      const bucket = await freshBucket();
      const bytes = randomBytes(3 * 262_144 + 1000);
      const before = server.requests.upload ?? 0;
      const result = await sinkFor(bucket, { chunkSizeBytes: 262_144 }).putIfAbsent(clip('cam/chunked.mp4'), clipOf(bytes, { unknownSize }));
      assert.deepEqual(result, { outcome: 'created', bytes: bytes.length, attempts: 1 });
      assert.equal((server.requests.upload ?? 0) - before, 5, 'the open, three chunks of 256 KiB, the final request');
      assert.equal(server.lastFinalHash(), `crc32c=${crcOf(bytes)}`);
      await assertStored(bucket, 'cam/chunked.mp4', bytes);
    }
  });

  it('an empty clip over the threshold lands as an empty object (known and unknown size)', async () => {
    const bucket = await freshBucket();
    const sink = sinkFor(bucket, { resumableThresholdBytes: 0 });
    assert.equal((await sink.putIfAbsent(clip('cam/empty-known.mp4'), clipOf(Buffer.alloc(0)))).outcome, 'created');
    assert.equal((await sink.putIfAbsent(clip('cam/empty-unknown.mp4'), clipOf(Buffer.alloc(0), { unknownSize: true }))).outcome, 'created');
    await assertStored(bucket, 'cam/empty-known.mp4', Buffer.alloc(0));
    await assertStored(bucket, 'cam/empty-unknown.mp4', Buffer.alloc(0));
  });

  for (const [label, behaviour] of [
    ['412 after the bytes, as the testbench', { preconditionAtOpen: false, errorBodies: 'gcs' }],
    ['412 at the session open', { preconditionAtOpen: true, errorBodies: 'gcs' }],
    ['the testbench\'s message-only 412', { preconditionAtOpen: false, errorBodies: 'testbench' }],
  ] as const) {
    it(`an existing object is "exists" and keeps its bytes (${label})`, async () => {
      Object.assign(server.behaviour, behaviour);
      const bucket = await freshBucket();
      const first = randomBytes(500_000);
      const sink = sinkFor(bucket);
      await sink.putIfAbsent(clip('cam/same.mp4'), clipOf(first));
      const second = await sink.putIfAbsent(clip('cam/same.mp4'), clipOf(randomBytes(700_000)));
      assert.deepEqual(second, { outcome: 'exists', bytes: 0, attempts: 1 });
      await assertStored(bucket, 'cam/same.mp4', first);
    });
  }

  it('an object that appears after the session started: the PUT\'s 412 is "exists", the other object is kept', async () => {
    const bucket = await freshBucket();
    const mine = randomBytes(900_000);
    const open = async (): Promise<ClipStream> => ({
      size: mine.length,
      stream: Readable.from((async function* () {
        // The session exists by now (the body is read only after it was created): another writer wins.
        const winner = await fetch(`${server.endpoint}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=cam%2Frace.mp4`, { method: 'POST', body: 'winner' });
        assert.equal(winner.status, 200);
        for (let offset = 0; offset < mine.length; offset += 65536) yield mine.subarray(offset, offset + 65536);
      })()),
    });
    const result = await sinkFor(bucket).putIfAbsent(clip('cam/race.mp4'), open);
    assert.equal(result.outcome, 'exists');
    assert.equal((await server.readObject(bucket, 'cam/race.mp4'))?.bytes.toString(), 'winner');
  });

  for (const announced of [true, false]) {
    const label = announced ? 'known size' : 'unknown size';
    it(`a source that breaks mid-clip (${label}) leaves no object and no request open`, async () => {
      const bucket = await freshBucket();
      const bytes = randomBytes(3_000_000);
      await assert.rejects(sinkFor(bucket, { maxAttempts: 1 }).putIfAbsent(clip('cam/broken.mp4'), breaking(bytes, 1_500_000, announced)), /Scrypted went away/);
      assert.ok(await waitFor(() => server.requestsInFlight() === 0), 'an upload request was left open');
      assert.equal(await server.readObject(bucket, 'cam/broken.mp4'), undefined);
    });

    it(`a source that breaks mid-clip (${label}) is retried with a new session and lands whole`, async () => {
      const bucket = await freshBucket();
      const bytes = randomBytes(3_000_000);
      let opens = 0;
      let closedBeforeRetry = false;
      const open = async () => {
        opens += 1;
        if (opens === 1) return breaking(bytes, 2_000_000, announced)();
        closedBeforeRetry = await waitFor(() => server.requestsInFlight() === 0);
        assert.equal(await server.readObject(bucket, 'cam/retried.mp4'), undefined, 'the broken attempt created an object');
        return clipOf(bytes, { unknownSize: !announced })();
      };
      const result = await sinkFor(bucket).putIfAbsent(clip('cam/retried.mp4'), open);
      assert.deepEqual(result, { outcome: 'created', bytes: bytes.length, attempts: 2 });
      assert.ok(closedBeforeRetry, 'the broken attempt\'s request was still open at the retry');
      await assertStored(bucket, 'cam/retried.mp4', bytes);
    });
  }

  for (const [label, fault] of <[string, FaultPlan][]>[
    ['503 on the PUT', { status: 503, count: 1, match: 'upload-data' }],
    ['429 on the PUT', { status: 429, count: 1, match: 'upload-data' }],
    ['a connection reset on the PUT', { reset: true, count: 1, match: 'upload-data' }],
    ['503 on the session initiation', { status: 503, count: 1, match: 'upload' }],
  ]) {
    it(`${label} is retried with a fresh source and lands`, async () => {
      const bucket = await freshBucket();
      const bytes = randomBytes(2_500_000);
      let opens = 0;
      server.injectFaults(fault);
      const result = await sinkFor(bucket).putIfAbsent(clip('cam/fault.mp4', bytes.length), () => ((opens += 1), clipOf(bytes)()));
      assert.deepEqual(result, { outcome: 'created', bytes: bytes.length, attempts: 2 });
      assert.equal(opens, 2);
      await assertStored(bucket, 'cam/fault.mp4', bytes);
    });
  }

  for (const [label, options] of [
    ['known size', { unknownSize: false, chunkSizeBytes: 0 }],
    ['unknown size', { unknownSize: true, chunkSizeBytes: 0 }],
    ['chunks', { unknownSize: false, chunkSizeBytes: 262_144 }],
  ] as const) {
    for (const [where, offset] of [['streamed part', 200_000], ['held-back tail', 999_000]] as const) {
      it(`a byte corrupted in transit (${label}, ${where}) is refused by the server, no object exists, the retry lands the clip`, async () => {
        const bucket = await freshBucket();
        const bytes = randomBytes(1_000_000);
        let opens = 0;
        // The fault counts bytes per request. Unknown size: one (final) request of the whole clip. Known size: the
        // first request starts at byte 0; the tail is the final request (bytes 786,432 on), its first byte flipped.
        server.injectFaults(where === 'streamed part' || options.unknownSize ? { flipByteAt: offset, count: 1, match: 'upload-data' } : { flipByteAt: 0, count: 1, match: 'upload-final' });
        const sink = sinkFor(bucket, { chunkSizeBytes: options.chunkSizeBytes });
        const result = await sink.putIfAbsent(clip('cam/corrupt.mp4'), () => ((opens += 1), clipOf(bytes, { unknownSize: options.unknownSize })()));
        assert.deepEqual([result.outcome, result.attempts, opens], ['created', 2, 2]);
        await assertStored(bucket, 'cam/corrupt.mp4', bytes);
        // Run 2 meets the object: "exists" is right, the object holds the clip's bytes.
        assert.equal((await sink.putIfAbsent(clip('cam/corrupt.mp4'), clipOf(bytes)) ).outcome, 'exists');
      });
    }
  }

  it('a server that does not check the final hash and stores a wrong object: StoredObjectMismatchError with the name, never "exists"', async () => {
    const bucket = await freshBucket();
    const bytes = randomBytes(1_000_000);
    let opens = 0;
    server.injectFaults({ flipByteAt: 1000, count: 1, match: 'upload-data' });
    server.injectFaults({ ignoreHash: true, count: 1, match: 'upload-final' });
    await assert.rejects(
      sinkFor(bucket).putIfAbsent(clip('cam/wrong.mp4'), () => ((opens += 1), clipOf(bytes)())),
      (error: Error) => {
        assert.ok(isStoredObjectMismatchError(error));
        assert.equal((findInCauseChain(error, 'StoredObjectMismatchError') as StoredObjectMismatchError).objectName, 'cam/wrong.mp4');
        assert.match(error.message, /cam\/wrong\.mp4 failed after 1 attempt\(s\).*does not match the clip/s);
        return true;
      },
    );
    assert.equal(opens, 1, 'a mismatch is never retried');
  });

  for (const [label, fault] of <[string, FaultPlan][]>[
    ['cut to 20 bytes', { cutAnswerAt: 20, count: 1, match: 'upload-final' }],
    ['garbled', { garbleAnswer: true, count: 1, match: 'upload-final' }],
  ]) {
    it(`the final answer ${label} after the object was created ends as backed up (the server checked the hash)`, async () => {
      const bucket = await freshBucket();
      const bytes = randomBytes(700_000);
      server.injectFaults(fault);
      const result = await sinkFor(bucket).putIfAbsent(clip('cam/answer-lost.mp4'), clipOf(bytes));
      assert.ok(result.outcome === 'created' || result.outcome === 'exists', `outcome ${result.outcome}`);
      await assertStored(bucket, 'cam/answer-lost.mp4', bytes);
    });
  }

  it('a Scrypted 412 while opening or reading the clip is the source\'s error, never "exists"', async () => {
    const bucket = await freshBucket();
    const scrypted412 = () => Object.assign(new Error('Scrypted: HTTP 412'), { code: 412, status: 412 });
    await assert.rejects(sinkFor(bucket).putIfAbsent(clip('cam/src-412.mp4'), async () => { throw scrypted412(); }), /source failed.*412/);
    const failing = async (): Promise<ClipStream> => ({ size: 2_000_000, stream: Readable.from((async function* () { yield randomBytes(300_000); throw scrypted412(); })()) });
    await assert.rejects(sinkFor(bucket, { maxAttempts: 1 }).putIfAbsent(clip('cam/src-412.mp4'), failing), /source failed.*412/);
    assert.equal(await server.readObject(bucket, 'cam/src-412.mp4'), undefined);
  });

  it('a 412 that is not GCS\'s precondition answer (no conditionNotMet) is an error, not "exists"', async () => {
    const bucket = await freshBucket();
    server.injectFaults({ status: 412, count: 1, match: 'upload-data' });
    await assert.rejects(sinkFor(bucket).putIfAbsent(clip('cam/proxy-412.mp4'), clipOf(randomBytes(500_000))), /HTTP 412/);
  });

  it('a missing bucket is a 404 and is not retried', async () => {
    let opens = 0;
    await assert.rejects(
      sinkFor('no-such-bucket').putIfAbsent(clip('x.mp4'), () => ((opens += 1), clipOf(randomBytes(200_000), { unknownSize: true })())),
      /after 1 attempt/,
    );
    assert.equal(opens, 1);
  });

  it('an abort mid-PUT leaves no object and no request open', async () => {
    const bucket = await freshBucket();
    const controller = new AbortController();
    const bytes = randomBytes(2_000_000);
    const open = async (): Promise<ClipStream> => ({
      size: bytes.length,
      stream: Readable.from((async function* () {
        yield bytes.subarray(0, 1_000_000);
        controller.abort();
        await new Promise((resolve) => setTimeout(resolve, 30));
        yield bytes.subarray(1_000_000);
      })()),
    });
    await assert.rejects(sinkFor(bucket).putIfAbsent(clip('cam/aborted.mp4'), open, controller.signal));
    assert.ok(await waitFor(() => server.requestsInFlight() === 0), 'an upload request was left open');
    assert.equal(await server.readObject(bucket, 'cam/aborted.mp4'), undefined);
  });
});

describe('small clips: one multipart POST', () => {
  it('a small clip lands byte-identical with its CRC32C, content type and metadata', async () => {
    const bucket = await freshBucket();
    const bytes = randomBytes(77_777);
    const before = server.requests.upload ?? 0;
    const result = await sinkFor(bucket).putIfAbsent(clip('cam/small.mp4'), clipOf(bytes));
    assert.deepEqual(result, { outcome: 'created', bytes: bytes.length, attempts: 1 });
    assert.equal((server.requests.upload ?? 0) - before, 1, 'one request');
    await assertStored(bucket, 'cam/small.mp4', bytes);
  });

  it('small uploads of one sink share a connection', async () => {
    const bucket = await freshBucket();
    const sink = sinkFor(bucket);
    const before = server.connectionsAccepted();
    for (let index = 0; index < 5; index += 1) {
      assert.equal((await sink.putIfAbsent(clip(`cam/keepalive-${index}.mp4`), clipOf(randomBytes(30_000)))).outcome, 'created');
    }
    assert.equal(server.connectionsAccepted() - before, 1);
  });

  it('a connection the server closed while idle (the testbench: after about 2 s) is not reused: the next upload lands at once', async () => {
    const bucket = await freshBucket();
    server.behaviour.idleCloseMs = 50;
    const sink = sinkFor(bucket);
    const before = server.connectionsAccepted();
    const clips = ['cam/idle-1.mp4', 'cam/idle-2.mp4', 'cam/idle-3.mp4'].map((name) => [name, randomBytes(30_000)] as const);
    for (const [name, bytes] of clips) {
      assert.deepEqual(await sink.putIfAbsent(clip(name), clipOf(bytes)), { outcome: 'created', bytes: bytes.length, attempts: 1 });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(server.connectionsAccepted() - before, 3, 'the server closed each idle connection; each upload opened a new one');
    for (const [name, bytes] of clips) await assertStored(bucket, name, bytes);
  });

  it('an existing object is "exists" and keeps its bytes', async () => {
    const bucket = await freshBucket();
    const first = randomBytes(40_000);
    const sink = sinkFor(bucket);
    await sink.putIfAbsent(clip('cam/small-same.mp4'), clipOf(first));
    assert.deepEqual(await sink.putIfAbsent(clip('cam/small-same.mp4'), clipOf(randomBytes(40_000))), { outcome: 'exists', bytes: 0, attempts: 1 });
    await assertStored(bucket, 'cam/small-same.mp4', first);
  });

  for (const hashMismatch of ['documented-400', 'testbench-412'] as const) {
    it(`a byte corrupted in transit is refused by the server (CRC32C in the metadata, ${hashMismatch}): no object, the retry lands it`, async () => {
      const bucket = await freshBucket();
      const bytes = randomBytes(50_000);
      server.behaviour.hashMismatch = hashMismatch;
      server.injectFaults({ flipByteAt: 20_000, count: 1, match: 'upload-data' });
      const result = await sinkFor(bucket, { maxAttempts: 2 }).putIfAbsent(clip('cam/small-corrupt.mp4'), clipOf(bytes));
      assert.deepEqual([result.outcome, result.attempts], ['created', 2]);
      await assertStored(bucket, 'cam/small-corrupt.mp4', bytes);
    });
  }

  // The small path reads the clip in one loop that counts, bounds and hashes (gcs-clip-sink.ts readBounded): a
  // source that sends other than it announced, or breaks, is the source's error and no request goes out.
  for (const [label, open, says] of [
    ['ends short of its announced size', async (): Promise<ClipStream> => ({ ...(await clipOf(randomBytes(70_000))()), size: 90_000 }), /ended after 70000 of 90000 bytes/],
    ['sends more than its announced size', async (): Promise<ClipStream> => ({ ...(await clipOf(randomBytes(70_000))()), size: 50_000 }), /more than the announced 50000 bytes/],
    ['breaks mid-clip', breaking(randomBytes(90_000), 65_536, true), /Scrypted went away/],
  ] as const) {
    it(`a small source that ${label} fails as the source's error: no upload request, no object`, async () => {
      const bucket = await freshBucket();
      const before = server.requests.upload ?? 0;
      const error = await sinkFor(bucket, { maxAttempts: 1 }).putIfAbsent(clip('cam/small-bad-source.mp4'), open).then(
        () => assert.fail('the upload succeeded'),
        (failure: unknown) => failure,
      );
      assert.ok(findInCauseChain(error, 'ClipSourceError'), `not a ClipSourceError: ${String(error)}`);
      assert.match(String((error as Error).message), says);
      assert.equal((server.requests.upload ?? 0) - before, 0, 'no upload request');
      assert.equal(await server.readObject(bucket, 'cam/small-bad-source.mp4'), undefined);
    });
  }

  for (const status of [503, 429] as const) {
    it(`a ${status} is retried and lands`, async () => {
      const bucket = await freshBucket();
      const bytes = randomBytes(60_000);
      server.injectFaults({ status, count: 2, match: 'upload-data' });
      const result = await sinkFor(bucket).putIfAbsent(clip('cam/small-retry.mp4'), clipOf(bytes));
      assert.deepEqual(result, { outcome: 'created', bytes: bytes.length, attempts: 3 });
      await assertStored(bucket, 'cam/small-retry.mp4', bytes);
    });
  }
});

it('a process that uploaded small and large clips exits on its own, without closing the sink', async () => {
  const bucket = await freshBucket();
  const script = fileURLToPath(new URL('./upload-then-exit.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, server.endpoint, bucket], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let uploadedAt = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
    if (!uploadedAt && stdout.includes('uploaded')) uploadedAt = Date.now();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const exit = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  assert.equal(exit, 0, stderr);
  assert.match(stdout, /uploaded created created/);
  // The test server closes idle keep-alive connections after 5 s: an exit this soon means no socket held it.
  assert.ok(Date.now() - uploadedAt < 2500, `exited ${Date.now() - uploadedAt} ms after its uploads`);
});

// The GCS adapter against the GCS JSON-API test server over real HTTP: the ClipSink conformance suite, retries,
// and the server-side checks the runner relies on (preconditions on every upload type, CRC32C).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createGcsClipSink, type GcsSinkOptions } from '../../src/gcs/index.js';
import { createLogger } from '../../src/log.js';
import { clipOf, clipSinkConformance } from '../conformance/clip-sink-suite.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';
import { freshBucket as sharedFreshBucket, testSinkOptions } from './sink-fixture.js';

const lines: string[] = [];
const logger = createLogger({ level: 'warn', destination: new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }) });
let server: GcsTestServer;

before(async () => {
  server = await startGcsTestServer();
});
after(async () => {
  await server.close();
});

const freshBucket = () => sharedFreshBucket(server.endpoint, 'bucket');
const sinkOptions = (bucket: string, overrides: Partial<GcsSinkOptions> = {}) =>
  testSinkOptions(server.endpoint, bucket, { chunkSizeBytes: 256 * 1024, maxAttempts: 4, logger, ...overrides });

clipSinkConformance(
  'GCS (JSON-API test server)',
  async () => {
    const bucket = await freshBucket();
    return { sink: createGcsClipSink(sinkOptions(bucket)), readBack: (name) => server.readObject(bucket, name), teardown: async () => {} };
  },
  { small: 10_000, large: 700_000 },
);

describe('GCS sink retries', () => {
  beforeEach(() => {
    lines.length = 0;
  });

  for (const [label, fault] of [
    ['503', { status: 503 as const, count: 2 }],
    ['429', { status: 429 as const, count: 2 }],
    ['a connection reset', { reset: true, count: 2 }],
  ] as const) {
    it(`retries on ${label} with a fresh source stream, within maxAttempts`, async () => {
      const bucket = await freshBucket();
      const bytes = randomBytes(500_000);
      let opens = 0;
      const open = clipOf(bytes);
      server.injectFaults({ ...fault, match: 'upload' });
      const result = await createGcsClipSink(sinkOptions(bucket)).putIfAbsent(
        { name: 'cam/retry.mp4', contentType: 'video/mp4', metadata: {}, size: undefined },
        () => ((opens += 1), open()),
      );
      assert.equal(result.outcome, 'created');
      assert.equal(result.attempts, 3);
      assert.equal(opens, 3, 'each attempt fetched the clip again');
      assert.ok((await server.readObject(bucket, 'cam/retry.mp4'))?.bytes.equals(bytes));
      assert.equal(lines.filter((line) => line.includes('"upload.retry"')).length, 2);
    });
  }

  it('gives up after maxAttempts with a clear error, leaving no object', async () => {
    const bucket = await freshBucket();
    server.injectFaults({ status: 503, count: 10, match: 'upload' });
    await assert.rejects(
      createGcsClipSink(sinkOptions(bucket, { maxAttempts: 3 })).putIfAbsent({ name: 'cam/never.mp4', contentType: 'video/mp4', metadata: {}, size: undefined }, clipOf(randomBytes(1000))),
      /upload of cam\/never.mp4 failed after 3 attempt\(s\)/,
    );
    server.clearFaults();
    assert.equal(await server.readObject(bucket, 'cam/never.mp4'), undefined);
  });

  it('does not retry a 404 (missing bucket)', async () => {
    let opens = 0;
    await assert.rejects(
      createGcsClipSink(sinkOptions('no-such-bucket')).putIfAbsent({ name: 'x.mp4', contentType: 'video/mp4', metadata: {}, size: undefined }, () => ((opens += 1), clipOf(randomBytes(10))())),
      /after 1 attempt/,
    );
    assert.equal(opens, 1);
  });

  it('probeWrite creates a check object', async () => {
    const bucket = await freshBucket();
    await createGcsClipSink(sinkOptions(bucket)).probeWrite();
    assert.match((await server.listObjects(bucket))[0] ?? '', /^_nvr-backup\/check\/.+\.txt$/);
  });
});

describe('GCS test server semantics the runner relies on', () => {
  const upload = (bucket: string, query: string, init: RequestInit) => fetch(`${server.endpoint}/upload/storage/v1/b/${bucket}/o?${query}`, init);

  it('answers 412 to ifGenerationMatch=0 for media, multipart and (after the bytes, as the testbench) resumable uploads of an existing object', async () => {
    const bucket = await freshBucket();
    assert.equal((await upload(bucket, 'uploadType=media&name=a&ifGenerationMatch=0', { method: 'POST', body: 'first' })).status, 200);
    assert.equal((await upload(bucket, 'uploadType=media&name=a&ifGenerationMatch=0', { method: 'POST', body: 'second' })).status, 412);
    const boundary = 'xyz';
    const multipart = `--${boundary}\r\nContent-Type: application/json\r\n\r\n{"name":"a"}\r\n--${boundary}\r\nContent-Type: video/mp4\r\n\r\nsecond\r\n--${boundary}--`;
    assert.equal((await upload(bucket, 'uploadType=multipart&ifGenerationMatch=0', { method: 'POST', headers: { 'content-type': `multipart/related; boundary=${boundary}` }, body: multipart })).status, 412);
    const session = await upload(bucket, 'uploadType=resumable&name=a&ifGenerationMatch=0', { method: 'POST', body: '{}' });
    assert.equal(session.status, 200, 'the testbench opens the session (googleapis/storage-testbench: gcs/upload.py init_resumable_rest)');
    const finish = await fetch(session.headers.get('location') ?? '', { method: 'PUT', headers: { 'content-range': 'bytes 0-5/6' }, body: 'second' });
    assert.equal(finish.status, 412);
    assert.equal(((await finish.json()) as { error: { errors: { reason: string }[] } }).error.errors[0]?.reason, 'conditionNotMet');
    server.behaviour.preconditionAtOpen = true;
    assert.equal((await upload(bucket, 'uploadType=resumable&name=a&ifGenerationMatch=0', { method: 'POST', body: '{}' })).status, 412, 'the other mode');
    server.behaviour.preconditionAtOpen = false;
    assert.equal((await server.readObject(bucket, 'a'))?.bytes.toString(), 'first');
  });

  it('checks the precondition again when a resumable upload finishes (the object appeared meanwhile)', async () => {
    const bucket = await freshBucket();
    const start = await upload(bucket, 'uploadType=resumable&name=b&ifGenerationMatch=0', { method: 'POST', body: '{}' });
    const location = start.headers.get('location') ?? '';
    await upload(bucket, 'uploadType=media&name=b', { method: 'POST', body: 'winner' });
    const finish = await fetch(location, { method: 'PUT', headers: { 'content-range': 'bytes 0-4/5' }, body: 'loser' });
    assert.equal(finish.status, 412);
    assert.equal((await server.readObject(bucket, 'b'))?.bytes.toString(), 'winner');
  });

  it('rejects an upload whose CRC32C does not match, and creates nothing', async () => {
    const bucket = await freshBucket();
    const response = await upload(bucket, 'uploadType=media&name=c', { method: 'POST', headers: { 'x-goog-hash': 'crc32c=AAAAAA==' }, body: '123456789' });
    assert.equal(response.status, 400);
    assert.equal(await server.readObject(bucket, 'c'), undefined);
    // The standard CRC32C check value of "123456789" is 0xE3069283.
    const good = await upload(bucket, 'uploadType=media&name=c', { method: 'POST', headers: { 'x-goog-hash': `crc32c=${Buffer.from('e3069283', 'hex').toString('base64')}` }, body: '123456789' });
    assert.equal(good.status, 200);
  });

  it('checks X-Goog-Hash on the final request of a resumable upload (400, or 412 as the testbench), creating nothing', async () => {
    for (const [hashMismatch, status] of [['documented-400', 400], ['testbench-412', 412]] as const) {
      const bucket = await freshBucket();
      server.behaviour.hashMismatch = hashMismatch;
      const session = await upload(bucket, 'uploadType=resumable&name=h&ifGenerationMatch=0', { method: 'POST', body: '{}' });
      const location = session.headers.get('location') ?? '';
      const part = await fetch(location, { method: 'PUT', headers: { 'content-range': 'bytes 0-262143/*' }, body: Buffer.alloc(262_144, 1) });
      assert.equal(part.status, 308);
      const final = await fetch(location, { method: 'PUT', headers: { 'content-range': 'bytes 262144-262152/262153', 'x-goog-hash': 'crc32c=AAAAAA==' }, body: '123456789' });
      assert.equal(final.status, status);
      assert.match(await final.text(), /CRC32C|crc32c/);
      assert.equal(await server.readObject(bucket, 'h'), undefined);
    }
    server.behaviour.hashMismatch = 'documented-400';
  });

  it('an empty object: "size":"0", or no size at all as the testbench; the sink takes both', async () => {
    for (const emptySize of ['zero', 'omitted'] as const) {
      server.behaviour.emptySize = emptySize;
      const bucket = await freshBucket();
      for (const [name, threshold] of [['small.mp4', 100_000], ['large.mp4', 0]] as const) {
        for (const unknownSize of [false, true]) {
          const result = await createGcsClipSink(sinkOptions(bucket, { resumableThresholdBytes: threshold })).putIfAbsent(
            { name: `${unknownSize}-${name}`, contentType: 'video/mp4', metadata: {}, size: undefined }, clipOf(Buffer.alloc(0), { unknownSize }),
          );
          assert.deepEqual([result.outcome, result.bytes], ['created', 0]);
        }
      }
      const resource = (await (await fetch(`${server.endpoint}/storage/v1/b/${bucket}/o/false-large.mp4`)).json()) as { size?: string };
      assert.equal(resource.size, emptySize === 'zero' ? '0' : undefined);
    }
    server.behaviour.emptySize = 'zero';
  });

  it('an early 503 on a PUT: answered and the connection closed (testbench), or the body read first; both are retried', async () => {
    for (const earlyAnswer of ['close', 'drain'] as const) {
      server.behaviour.earlyAnswer = earlyAnswer;
      const bucket = await freshBucket();
      const bytes = randomBytes(3_000_000);
      server.injectFaults({ status: 503, count: 1, match: 'upload-data' });
      const result = await createGcsClipSink(sinkOptions(bucket, { resumableThresholdBytes: 0 })).putIfAbsent({ name: 'early.mp4', contentType: 'video/mp4', metadata: {}, size: undefined }, clipOf(bytes));
      assert.deepEqual([result.outcome, result.attempts], ['created', 2]);
      assert.ok((await server.readObject(bucket, 'early.mp4'))?.bytes.equals(bytes));
    }
    server.behaviour.earlyAnswer = 'close';
  });
});

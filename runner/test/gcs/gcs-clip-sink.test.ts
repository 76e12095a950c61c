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

  it('chunked uploads: a byte corrupted in transit is deleted by the library and the clip is sent again', async () => {
    const bucket = await freshBucket();
    const bytes = randomBytes(700_000);
    let opens = 0;
    server.injectFaults({ flipByteAt: 100_000, count: 1, match: 'upload-data' });
    const result = await createGcsClipSink(sinkOptions(bucket)).putIfAbsent(
      { name: 'cam/flipped.mp4', contentType: 'video/mp4', metadata: {}, size: undefined },
      () => ((opens += 1), clipOf(bytes)()),
    );
    assert.deepEqual([result.outcome, result.attempts, opens], ['created', 2, 2]);
    assert.ok((await server.readObject(bucket, 'cam/flipped.mp4'))?.bytes.equals(bytes), 'the object holds the clip');
  });

  it('chunked uploads: a corrupted object the key cannot delete is reported, never retried into "exists"', async () => {
    const bucket = await freshBucket();
    const bytes = randomBytes(700_000);
    let opens = 0;
    server.injectFaults({ flipByteAt: 100_000, count: 1, match: 'upload-data' });
    server.injectFaults({ status: 403, count: 1, match: 'delete' });
    await assert.rejects(
      createGcsClipSink(sinkOptions(bucket)).putIfAbsent(
        { name: 'cam/flipped-kept.mp4', contentType: 'video/mp4', metadata: {}, size: undefined },
        () => ((opens += 1), clipOf(bytes)()),
      ),
      /cam\/flipped-kept\.mp4 failed after 1 attempt\(s\).*CRC32C does not match.*not counted as backed up/s,
    );
    assert.equal(opens, 1);
    const stored = await server.readObject(bucket, 'cam/flipped-kept.mp4');
    assert.equal(stored?.bytes[100_000], (bytes[100_000] as number) ^ 0xff, 'the scenario is real: the bad object stayed');
  });

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

  it('answers 412 to ifGenerationMatch=0 for media, multipart and resumable uploads of an existing object', async () => {
    const bucket = await freshBucket();
    assert.equal((await upload(bucket, 'uploadType=media&name=a&ifGenerationMatch=0', { method: 'POST', body: 'first' })).status, 200);
    assert.equal((await upload(bucket, 'uploadType=media&name=a&ifGenerationMatch=0', { method: 'POST', body: 'second' })).status, 412);
    const boundary = 'xyz';
    const multipart = `--${boundary}\r\nContent-Type: application/json\r\n\r\n{"name":"a"}\r\n--${boundary}\r\nContent-Type: video/mp4\r\n\r\nsecond\r\n--${boundary}--`;
    assert.equal((await upload(bucket, 'uploadType=multipart&ifGenerationMatch=0', { method: 'POST', headers: { 'content-type': `multipart/related; boundary=${boundary}` }, body: multipart })).status, 412);
    assert.equal((await upload(bucket, 'uploadType=resumable&name=a&ifGenerationMatch=0', { method: 'POST', body: '{}' })).status, 412);
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
});

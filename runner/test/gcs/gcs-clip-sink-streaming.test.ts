// The GCS adapter in its default mode (GCS_CHUNK_SIZE_MB=0): no chunks, each clip streams in one request of its
// resumable session. The ClipSink conformance suite, plus a retry after a reset mid-stream. (A server of its
// own: injected faults are server-wide.)
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, it } from 'node:test';
import { createGcsClipSink } from '../../src/gcs/index.js';
import { clipOf, clipSinkConformance } from '../conformance/clip-sink-suite.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';
import { freshBucket as sharedFreshBucket, testSinkOptions } from './sink-fixture.js';

let server: GcsTestServer;
before(async () => {
  server = await startGcsTestServer();
});
after(() => server.close());

const freshBucket = () => sharedFreshBucket(server.endpoint, 'stream');
const options = (bucket: string) => testSinkOptions(server.endpoint, bucket);

clipSinkConformance(
  'GCS (JSON-API test server), one streaming request per clip',
  async () => {
    const bucket = await freshBucket();
    return { sink: createGcsClipSink(options(bucket)), readBack: (name) => server.readObject(bucket, name), teardown: async () => {} };
  },
  { small: 10_000, large: 3_000_000 },
);

it('streaming: a reset connection is retried from the clip\'s first byte, and the object is whole', async () => {
  const bucket = await freshBucket();
  const bytes = randomBytes(2_000_000);
  let opens = 0;
  const open = clipOf(bytes);
  server.injectFaults({ reset: true, count: 1, match: 'upload' });
  const result = await createGcsClipSink(options(bucket)).putIfAbsent(
    { name: 'cam/stream.mp4', contentType: 'video/mp4', metadata: {}, size: undefined },
    () => ((opens += 1), open()),
  );
  assert.equal(result.outcome, 'created');
  assert.equal(opens, 2);
  assert.ok((await server.readObject(bucket, 'cam/stream.mp4'))?.bytes.equals(bytes));
});

it('streaming: a source that breaks mid-clip leaves no object and no request open (the runner can exit)', async () => {
  const bucket = await freshBucket();
  const sink = createGcsClipSink({ ...options(bucket), maxAttempts: 1 });
  const broken = () => Promise.resolve({
    size: undefined,
    stream: Readable.from((async function* () {
      yield randomBytes(1_000_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new Error('Scrypted went away');
    })()),
  });
  await assert.rejects(
    sink.putIfAbsent({ name: 'cam/broken.mp4', contentType: 'video/mp4', metadata: {}, size: undefined }, broken),
    /Scrypted went away/,
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(await server.readObject(bucket, 'cam/broken.mp4'), undefined);
  assert.equal(server.requestsInFlight(), 0, 'an upload request was left open');
});

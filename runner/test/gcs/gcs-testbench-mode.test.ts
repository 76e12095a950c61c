// The ClipSink conformance suite once more, against the GCS test server acting as Google's storage-testbench
// where it differs from the documentation (behaviour.ts): 412 for a hash mismatch, message-only error bodies,
// no `size` for an empty object. The sink must hold on both peers, on both upload paths.
import { after, before } from 'node:test';
import { createGcsClipSink } from '../../src/gcs/index.js';
import { clipSinkConformance } from '../conformance/clip-sink-suite.js';
import { TESTBENCH_BEHAVIOUR } from '../gcs-server/behaviour.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';
import { freshBucket, testSinkOptions } from './sink-fixture.js';

let server: GcsTestServer;
before(async () => {
  server = await startGcsTestServer({ behaviour: TESTBENCH_BEHAVIOUR });
});
after(() => server.close());

clipSinkConformance(
  'GCS (test server as the storage-testbench)',
  async () => {
    const bucket = await freshBucket(server.endpoint, 'testbench');
    const sink = createGcsClipSink(testSinkOptions(server.endpoint, bucket));
    return { sink, readBack: (name) => server.readObject(bucket, name), teardown: async () => sink.close() };
  },
  { small: 10_000, large: 700_000 },
);

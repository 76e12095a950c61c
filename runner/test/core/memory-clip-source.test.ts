import { createHash, randomBytes } from 'node:crypto';
import { clipSourceConformance } from '../conformance/clip-source-suite.js';
import { MemoryClipSource } from '../support/memory-clip-source.js';

clipSourceConformance('in-memory', async () => {
  const camera = { id: 'c1', name: 'Cam' };
  const entries = [1, 2, 3].map((i) => ({ clip: { id: `k${i}`, cameraId: 'c1', startTime: 1_000_000 * i, duration: 5000 }, bytes: randomBytes(1000 * i) }));
  const streamOnly = { clip: { id: 'k4', cameraId: 'c1', startTime: 4_000_000, duration: 5000 }, bytes: Buffer.alloc(0) };
  const source = new MemoryClipSource([{ camera, clips: [...entries, streamOnly] }]);
  source.markUnsupported('k4');
  return {
    source,
    expected: {
      cameras: [camera],
      unsupportedByCamera: { c1: [streamOnly.clip] },
      clipsByCamera: { c1: entries.map(({ clip, bytes }) => ({ clip, sha256: createHash('sha256').update(bytes).digest('hex') })) },
    },
    teardown: async () => {},
  };
});

import { clipSinkConformance } from '../conformance/clip-sink-suite.js';
import { MemoryClipSink } from '../support/memory-clip-sink.js';

clipSinkConformance(
  'in-memory',
  async () => {
    const sink = new MemoryClipSink();
    return { sink, readBack: async (name) => sink.objects.get(name), teardown: async () => {} };
  },
  { small: 1000, large: 300_000 },
);

import { createLogger } from '../../src/log.js';
import { connectScryptedClipSource } from '../../src/scrypted/index.js';
import { clipSourceConformance } from '../conformance/clip-source-suite.js';
import { startScryptedTestServer } from '../scrypted-server/server.js';
import type { TestCamera } from '../scrypted-server/server.js';

clipSourceConformance('Scrypted (protocol-faithful test server)', async () => {
  const cameras: TestCamera[] = [
    { id: '1', name: 'Front', clips: [
      { id: 'a', startTime: 1_700_000_000_000, duration: 4000, generate: { sizeBytes: 50_000, seed: 10 } },
      { id: 'b', startTime: 1_700_000_100_000, duration: 4000, bytePath: 'local-uri', generate: { sizeBytes: 80_000, seed: 11 } },
      { id: 'e', startTime: 1_700_000_150_000, duration: 4000, bytePath: 'buffer', generate: { sizeBytes: 60_000, seed: 13 } },
    ] },
    { id: '2', name: 'Side', clips: [
      { id: 'c', startTime: 1_700_000_200_000, duration: 2000, generate: { sizeBytes: 10_000, seed: 12 } },
      { id: 'f', startTime: 1_700_000_300_000, duration: 2000, bytePath: 'ffmpeg-only' },
    ] },
  ];
  const server = await startScryptedTestServer({ cameras });
  const source = await connectScryptedClipSource({
    baseUrl: server.baseUrl, username: server.username, password: server.password, allowSelfSigned: false, caFile: undefined,
    include: [], exclude: [], timeoutMs: 5000, logger: createLogger({ level: 'silent' }),
  });
  const clipsByCamera: Record<string, Array<{ clip: { id: string; cameraId: string; startTime: number; duration: number }; sha256: string }>> = {};
  const unsupportedByCamera: Record<string, Array<{ id: string; cameraId: string; startTime: number; duration: number }>> = {};
  for (const camera of cameras) {
    unsupportedByCamera[camera.id] = camera.clips.filter((clip) => clip.bytePath === 'ffmpeg-only')
      .map((clip) => ({ id: clip.id, cameraId: camera.id, startTime: clip.startTime, duration: clip.duration }));
    clipsByCamera[camera.id] = await Promise.all(camera.clips.filter((clip) => clip.bytePath !== 'ffmpeg-only').map(async (clip) => ({
      clip: { id: clip.id, cameraId: camera.id, startTime: clip.startTime, duration: clip.duration },
      sha256: await server.clipSha256(clip.id),
    })));
  }
  return {
    source,
    expected: { cameras: cameras.map(({ id, name }) => ({ id, name })), clipsByCamera, unsupportedByCamera },
    teardown: async () => {
      await source.close();
      await server.close();
    },
  };
});

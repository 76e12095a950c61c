// Each way a real Scrypted gives a clip's bytes, against the test server's modes (docs/scrypted-protocol.md §8,
// §11): the local-URI answer as a Buffer or as a string, the file host and the buffer host forgetting their URLs
// on a restart, plugin endpoints answering 404 or 500 while plugins start, and ffmpeg inputs never converted.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import type { Camera, Clip, ClipSource } from '../../src/core/ports.js';
import { createLogger } from '../../src/log.js';
import { connectScryptedClipSource } from '../../src/scrypted/index.js';
import { startScryptedTestServer, type ScryptedTestServer, type TestServerOptions } from '../scrypted-server/server.js';

const now = Date.now();
const camera: Camera = { id: '31', name: 'Garage' };
const clips = [
  { id: 'href-1', startTime: now - 600_000, duration: 5000, generate: { sizeBytes: 200_000, seed: 1 } },
  { id: 'file-1', startTime: now - 500_000, duration: 5000, bytePath: 'local-uri' as const, generate: { sizeBytes: 250_000, seed: 2 } },
  { id: 'buffer-1', startTime: now - 400_000, duration: 5000, bytePath: 'buffer' as const, generate: { sizeBytes: 300_000, seed: 3 } },
  { id: 'ffmpeg-1', startTime: now - 300_000, duration: 5000, bytePath: 'ffmpeg-only' as const },
];

const servers: ScryptedTestServer[] = [];
const sources: ClipSource[] = [];
after(async () => {
  await Promise.all(sources.map((source) => source.close()));
  await Promise.all(servers.map((server) => server.close()));
});

async function setup(options: Partial<TestServerOptions> = {}) {
  const server = await startScryptedTestServer({ cameras: [{ ...camera, clips }], ...options });
  servers.push(server);
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }) });
  const source = await connectScryptedClipSource({
    baseUrl: server.baseUrl, username: server.username, password: server.password, allowSelfSigned: false, caFile: undefined,
    include: [], exclude: [], timeoutMs: 3000, fetchRetryMs: 20_000, logger,
  });
  sources.push(source);
  const listed = await source.listClips(camera, { startTime: 0, endTime: now });
  const byId = (id: string) => listed.find((clip) => clip.id === id) as Clip;
  return { server, source, byId, lines };
}

async function sha(source: ClipSource, clip: Clip): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of (await source.openClip(camera, clip)).stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('clip byte paths against the test server\'s modes', () => {
  for (const localUriAnswer of ['buffer', 'string'] as const) {
    it(`local URI answered as a ${localUriAnswer}: file- and buffer-backed clips stream byte-exact; the ffmpeg input is never converted`, async () => {
      const { server, source, byId } = await setup({ localUriAnswer });
      for (const id of ['href-1', 'file-1', 'buffer-1']) assert.equal(await sha(source, byId(id)), await server.clipSha256(id), id);
      await assert.rejects(source.openClip(camera, byId('ffmpeg-1')), (error: Error) => error.name === 'UnsupportedClipError');
      assert.equal(server.conversions.get('ffmpeg-1'), undefined, 'converting it would have made the buffer host hold its JSON as the "clip"');
      assert.deepEqual(await source.probeClip(camera, byId('buffer-1')), { supported: true });
    });
  }

  it('reuses a clip\'s URL for its next open (no second copy on the NVR), and converts again when a restart made the host forget it', async () => {
    const { server, source, byId, lines } = await setup();
    const expected = await server.clipSha256('buffer-1');
    assert.equal(await sha(source, byId('buffer-1')), expected);
    assert.equal(await sha(source, byId('buffer-1')), expected);
    assert.equal(server.conversions.get('buffer-1'), 1);
    await server.restart();
    for (const id of ['buffer-1', 'file-1']) assert.equal(await sha(source, byId(id)), await server.clipSha256(id), id);
    assert.equal(server.conversions.get('buffer-1'), 2);
    const reasons = lines.filter((line) => line.includes('scrypted.retry')).map((line) => String(JSON.parse(line).reason));
    assert.ok(reasons.some((reason) => /HTTP 404/.test(reason)), `the buffer host's 404 for a forgotten URL: ${reasons.join(' | ')}`);
  });

  for (const warmupStatus of [404, 500] as const) {
    it(`rides out a restart whose plugin endpoints answer ${warmupStatus} while they start`, async () => {
      const { server, source, byId, lines } = await setup();
      await server.restart({ downMs: 300, warmupMs: 700, warmupStatus });
      for (const id of ['href-1', 'file-1', 'buffer-1']) assert.equal(await sha(source, byId(id)), await server.clipSha256(id), id);
      const reasons = lines.filter((line) => line.includes('scrypted.retry')).map((line) => String(JSON.parse(line).reason));
      assert.ok(reasons.some((reason) => reason.includes(String(warmupStatus))), reasons.join(' | '));
    });
  }

  it('listing a camera\'s clips rides out a restart too (refused connections, a forgotten token, a new socket)', async () => {
    const { server, source, lines } = await setup();
    const restarting = server.restart({ downMs: 500 });
    const listed = await source.listClips(camera, { startTime: 0, endTime: now });
    await restarting;
    assert.deepEqual(listed.map((clip) => clip.id), clips.map((clip) => clip.id));
    // Either the listing met the restart, or it answered before the socket was cut; the next one meets the new process.
    assert.deepEqual((await source.listClips(camera, { startTime: 0, endTime: now })).length, clips.length);
    assert.ok(lines.some((line) => line.includes('scrypted.reconnect')), 'the listing reconnected');
  });

  it('a restart in the middle of a buffer-backed clip: the next open converts again (the old URL died) and gets every byte', async () => {
    const { server, source, byId } = await setup();
    server.injectFaults({ restartDuring: { clipId: 'buffer-1', afterBytes: 100_000, downMs: 300 } });
    await assert.rejects(sha(source, byId('buffer-1')), /Scrypted closed the connection in the middle of the clip|connection closed/);
    await server.restarted();
    assert.equal(await sha(source, byId('buffer-1')), await server.clipSha256('buffer-1'));
    assert.equal(server.conversions.get('buffer-1'), 2);
  });
});

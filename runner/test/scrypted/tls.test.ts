// TLS: verified by default; Scrypted's self-signed certificate only with the opt-in or a pinned CA file.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createLogger } from '../../src/log.js';
import { connectScryptedClipSource, type ScryptedSourceOptions } from '../../src/scrypted/index.js';
import { startScryptedTestServer, type ScryptedTestServer } from '../scrypted-server/server.js';
import { testCameras } from './fixtures.js';

let server: ScryptedTestServer;
before(async () => {
  server = await startScryptedTestServer({ cameras: testCameras(), tls: true });
});
after(async () => {
  await server.close();
});

const options = (overrides: Partial<ScryptedSourceOptions>): ScryptedSourceOptions => ({
  baseUrl: server.baseUrl, username: server.username, password: server.password, allowSelfSigned: false, caFile: undefined,
  include: [], exclude: [], timeoutMs: 3000, logger: createLogger({ level: 'silent' }), ...overrides,
});

it('refuses a self-signed certificate without the opt-in, saying which setting fixes it', async () => {
  await assert.rejects(connectScryptedClipSource(options({})), /not trusted.*SCRYPTED_CA_FILE.*ALLOW_SELF_SIGNED=true/);
});

it('accepts it with ALLOW_SELF_SIGNED, logs in with Basic auth (long-lived token) and streams over HTTPS', async () => {
  const source = await connectScryptedClipSource(options({ allowSelfSigned: true }));
  const [camera] = (await source.listCameras()).filter((c) => c.id === '11');
  const clips = await source.listClips(camera!, { startTime: 0, endTime: Date.now() });
  let bytes = 0;
  for await (const chunk of (await source.openClip(camera!, clips[0]!)).stream) bytes += (chunk as Buffer).length;
  assert.equal(bytes, 150_000);
  await source.close();
});

it('accepts it when the certificate is pinned with SCRYPTED_CA_FILE', async () => {
  const source = await connectScryptedClipSource(options({ caFile: server.certFile }));
  assert.equal((await source.listCameras()).length, 3);
  await source.close();
});

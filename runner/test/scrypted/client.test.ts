// The Scrypted client against the protocol-faithful test server, over real sockets.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/log.js';
import { connectScryptedClipSource, type ScryptedSourceOptions } from '../../src/scrypted/index.js';
import { ScryptedConnection } from '../../src/scrypted/connection.js';
import { login } from '../../src/scrypted/login.js';
import { httpAgent } from '../../src/scrypted/tls.js';
import { startScryptedTestServer, type ScryptedTestServer } from '../scrypted-server/server.js';
import { NOW, testCameras } from './fixtures.js';

const logLines: string[] = [];
const logger = createLogger({ level: 'trace', destination: new Writable({ write: (chunk, _e, done) => (logLines.push(String(chunk)), done()) }) });

let server: ScryptedTestServer;
before(async () => {
  server = await startScryptedTestServer({ cameras: testCameras(), otherDevices: [{ id: '90', name: 'Porch Light', interfaces: ['OnOff'] }] });
});
after(async () => {
  await server.close();
});

const optionsFor = (overrides: Partial<ScryptedSourceOptions> = {}): ScryptedSourceOptions => ({
  baseUrl: server.baseUrl, username: server.username, password: server.password, allowSelfSigned: false,
  caFile: undefined, include: [], exclude: [], timeoutMs: 3000, logger, ...overrides,
});

async function sha256(stream: AsyncIterable<unknown>): Promise<{ hash: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { hash: hash.digest('hex'), bytes };
}

describe('login', () => {
  it('fails clearly on a wrong password (HTTP 200 with error), never echoing it', async () => {
    await assert.rejects(connectScryptedClipSource(optionsFor({ password: 'wrong-Pa55word' })), (error: Error) => {
      assert.match(error.message, /Scrypted login failed for user "admin": Incorrect password\./);
      assert.ok(!error.message.includes('wrong-Pa55word'));
      return true;
    });
  });

  it('fails clearly for an unknown user', async () => {
    await assert.rejects(connectScryptedClipSource(optionsFor({ username: 'nobody' })), /User does not exist/);
  });

  it('accepts the long-lived token in the password field, and it survives a server restart', async () => {
    const source = await connectScryptedClipSource(optionsFor({ password: server.longLivedToken() }));
    assert.equal((await source.listCameras()).length, 3);
    await server.restart();
    assert.equal((await source.listCameras()).length, 3, 'reconnected with the same token after the restart');
    await source.close();
  });

  it('with a password: after a restart, callers at once share one reconnect and login, and close leaves no connection', async () => {
    const source = await connectScryptedClipSource(optionsFor());
    const camera = { id: '11', name: 'Front Door' };
    const clips = (await source.listClips(camera, { startTime: 0, endTime: NOW })).filter((clip) => clip.id !== 'fd-3'); // fd-3: ffmpeg only
    assert.equal(clips.length, 2);
    await server.restart();
    const received = server.received.length;
    // The 1-day token died with the server: byte fetches and RPC calls must log in again, once.
    const opened = await Promise.all(clips.map((clip) => source.openClip(camera, clip)));
    for (const { stream } of opened) assert.ok((await sha256(stream)).bytes > 0);
    assert.equal(server.peers.size, 1, 'one connection after the concurrent reconnects');
    assert.ok(server.received.length > received);
    await source.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(server.peers.size, 0, 'a connection was left open');
  });

  it('a short-lived token dies with the server process', async () => {
    const token = server.shortLivedToken();
    const agent = httpAgent(server.baseUrl, { allowSelfSigned: false, caFile: undefined });
    const before = await ScryptedConnection.open({ baseUrl: server.baseUrl, token, timeoutMs: 3000, agent, allowSelfSigned: false, caFile: undefined });
    before.close();
    await server.restart();
    await assert.rejects(ScryptedConnection.open({ baseUrl: server.baseUrl, token, timeoutMs: 3000, agent, allowSelfSigned: false, caFile: undefined }));
    agent.destroy();
  });

  it('refuses the engine.io endpoint without credentials (401)', async () => {
    const response = await fetch(`${server.baseUrl}/endpoint/@scrypted/core/engine.io/api/?EIO=4&transport=polling`);
    assert.equal(response.status, 401);
  });
});

describe('devices and clips', () => {
  it('lists every device with VideoClips, and only those', async () => {
    const source = await connectScryptedClipSource(optionsFor());
    assert.deepEqual((await source.listCameras()).map((c) => c.name).sort(), ['Backyard', 'Front Door', 'Garage']);
    await source.close();
  });

  it('filters cameras by name or id; exclude wins over include', async () => {
    const source = await connectScryptedClipSource(optionsFor({ include: ['Front Door', '12'], exclude: ['12'] }));
    assert.deepEqual((await source.listCameras()).map((c) => c.id), ['11']);
    await source.close();
  });

  it('lists a camera\'s clips for a window', async () => {
    const source = await connectScryptedClipSource(optionsFor());
    const camera = { id: '11', name: 'Front Door' };
    assert.deepEqual((await source.listClips(camera, { startTime: 0, endTime: NOW })).map((c) => c.id), ['fd-1', 'fd-2', 'fd-3']);
    const narrow = await source.listClips(camera, { startTime: NOW - 45 * 60_000, endTime: NOW - 20 * 60_000 });
    assert.deepEqual(narrow.map((c) => c.id), ['fd-2']);
    assert.deepEqual(narrow[0], { id: 'fd-2', cameraId: '11', startTime: NOW - 40 * 60_000, duration: 30_000, event: 'motion', description: undefined, detectionClasses: ['person'] });
    await source.close();
  });

  for (const [clipId, cameraId, path] of [['fd-1', '11', 'href'], ['fd-2', '11', 'local-uri'], ['g-1', '12', 'href']] as const) {
    it(`streams ${clipId} by ${path} with the source's exact bytes`, async () => {
      const source = await connectScryptedClipSource(optionsFor());
      const camera = { id: cameraId, name: '' };
      const clip = (await source.listClips(camera, { startTime: 0, endTime: NOW })).find((c) => c.id === clipId);
      assert.ok(clip);
      const opened = await source.openClip(camera, clip);
      const { hash, bytes } = await sha256(opened.stream);
      assert.equal(bytes, opened.size);
      assert.equal(hash, await server.clipSha256(clipId));
      await source.close();
    });
  }

  it('reports an ffmpeg-only clip as unsupported, and other clips still stream', async () => {
    const source = await connectScryptedClipSource(optionsFor());
    const camera = { id: '11', name: 'Front Door' };
    const clips = await source.listClips(camera, { startTime: 0, endTime: NOW });
    await assert.rejects(source.openClip(camera, clips[2]!), (error: Error) => error.name === 'UnsupportedClipError' && /ffmpeg/.test(error.message));
    assert.ok((await sha256((await source.openClip(camera, clips[0]!)).stream)).bytes > 0);
    await source.close();
  });

  it('times out a clip stream that stalls instead of hanging', async () => {
    const source = await connectScryptedClipSource(optionsFor({ timeoutMs: 500 }));
    const camera = { id: '11', name: 'Front Door' };
    const clips = await source.listClips(camera, { startTime: 0, endTime: NOW });
    server.stallStreams(true);
    try {
      const opened = await source.openClip(camera, clips[0]!);
      await assert.rejects(sha256(opened.stream), /within 500 ms|closed|aborted/);
    } finally {
      server.stallStreams(false);
      await source.close();
    }
  });
});

describe('the RPC peer on the wire', () => {
  async function connection() {
    const agent = httpAgent(server.baseUrl, { allowSelfSigned: false, caFile: undefined });
    const { token } = await login(server.baseUrl, server.username, server.password, agent, 3000);
    return ScryptedConnection.open({ baseUrl: server.baseUrl, token, timeoutMs: 3000, agent, allowSelfSigned: false, caFile: undefined });
  }

  it('registers the token login returns as a secret: no later log line carries it, whatever the key', async () => {
    const agent = httpAgent(server.baseUrl, { allowSelfSigned: false, caFile: undefined });
    const { token } = await login(server.baseUrl, server.username, server.password, agent, 3000);
    const written: string[] = [];
    const log = createLogger({ level: 'trace', destination: new Writable({ write: (chunk, _e, done) => (written.push(String(chunk)), done()) }) });
    log.error({ detail: token, url: `/endpoint?token=${token}` }, `request with ${token} failed`);
    assert.ok(token.length >= 8);
    assert.ok(!written.join('').includes(token), written.join(''));
    assert.match(written.join(''), /request with \[REDACTED\] failed/);
  });

  it('turns a remote error into an Error with the server\'s message', async () => {
    const conn = await connection();
    const device = await conn.api.getDeviceById('11');
    await assert.rejects(device.removeVideoClips!(), /removeVideoClips is not supported by the fixture/);
    conn.close();
  });

  it('receives a Buffer as a sideband binary frame', async () => {
    const conn = await connection();
    const device = await conn.api.getDeviceById('11');
    const mediaObject = await device.getVideoClip!('fd-1');
    const manager = await conn.api.getMediaManager();
    const buffer = await manager.convertMediaObjectToBuffer(mediaObject, 'video/mp4');
    assert.ok(Buffer.isBuffer(buffer));
    assert.equal(buffer.subarray(4, 8).toString('latin1'), 'ftyp');
    conn.close();
  });

  it('rejects pending calls at once when the socket drops mid-call', async () => {
    const conn = await connection();
    const device = await conn.api.getDeviceById('11');
    const pending = device.getVideoClips!({ startTime: 0, endTime: NOW });
    server.dropSockets();
    const started = Date.now();
    await pending.then(
      () => undefined, // the answer may have raced the drop; then the next call must fail
      (error: Error) => assert.match(error.message, /closed/),
    );
    await assert.rejects(device.getVideoClips!({}), /closed/);
    assert.ok(Date.now() - started < 2500, 'rejected before the call timeout');
    conn.close();
  });

  it('sends finalize for proxies that were garbage-collected', async (t) => {
    if (typeof global.gc !== 'function') {
      t.skip('needs --expose-gc (tools/run-tests.mjs passes it)');
      return;
    }
    const conn = await connection();
    const device = await conn.api.getDeviceById('11');
    const before = server.received.filter((m) => m.type === 'finalize').length;
    for (let i = 0; i < 5; i++) await device.getVideoClip!('fd-1'); // five MediaObject proxies, dropped at once
    for (let i = 0; i < 20 && conn.peer.finalizeSent < 5; i++) {
      global.gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const finalizes = server.received.filter((m) => m.type === 'finalize').slice(before);
    assert.ok(finalizes.length >= 1, `expected finalize messages, got ${finalizes.length}`);
    assert.ok(finalizes.every((m) => typeof m.__local_proxy_id === 'string' && typeof m.__local_proxy_finalizer_id === 'string'));
    conn.close();
  });

  it('sends apply messages in the captured wire form', async () => {
    const conn = await connection();
    const device = await conn.api.getDeviceById('12');
    await device.getVideoClips!({ startTime: 0, endTime: 1827017307197 });
    const apply = server.received.filter((m) => m.type === 'apply' && m.method === 'getVideoClips').pop();
    assert.ok(apply);
    assert.deepEqual(Object.keys(apply).sort(), ['args', 'id', 'method', 'proxyId', 'type']);
    assert.deepEqual(apply.args, [{ startTime: 0, endTime: 1827017307197 }]);
    assert.match(String(apply.id), /^[\w-]{8}$/);
    conn.close();
  });
});

it('never logs the password or the token', () => {
  const all = logLines.join('\n');
  assert.ok(logLines.length > 0);
  assert.ok(!all.includes(server.password));
  assert.ok(!all.includes(server.longLivedToken()));
});

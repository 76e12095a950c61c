// A protocol-faithful Scrypted test server (docs/scrypted-protocol.md): /login, auth, the engine.io endpoint of
// @scrypted/core with the server side of the RPC peer and the handshake, VideoClips devices whose clips are MP4
// bytes served by href (with auth), by the core's public file host (Range) or buffer host (whole body), or only
// as an ffmpeg input; restarts with downtime and a warm-up. Each behaviour names its source. Test code only.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Server as EngineServer, type Socket as EngineSocket } from 'engine.io';
import { RpcPeer } from '../../src/scrypted/rpc-peer.js';
import { frameReceiver, sendFramed } from '../../src/scrypted/rpc-framing.js';
import { Auth } from './auth.js';
import { HostileBehaviour } from './hostile.js';
import { generatedClip, mp4Header, sha256Of } from './mp4.js';
import {
  BUFFER_HOST_PREFIX, FILE_HOST_PREFIX, HREF_PREFIX, MediaManagerImpl, PluginAPIProxy, publicHash,
  type LocalUriAnswer, type ServerWorld, type TestCamera, type TestClip,
} from './plugin-api.js';

export type { TestCamera, TestClip };

export interface TestServerOptions {
  cameras: TestCamera[];
  tls?: boolean;
  username?: string;
  password?: string;
  /** Start with no user: the first POST /login creates the admin (protocol §2). */
  fresh?: boolean;
  /** Extra devices without VideoClips, to prove the client filters by interface. */
  otherDevices?: Array<{ id: string; name: string; interfaces: string[] }>;
  /** How convertMediaObject(mo, 'text/x-local-uri') answers: a Buffer, as server 0.144.2 does (default), or a string. */
  localUriAnswer?: LocalUriAnswer;
}

/**
 * A restart: the port is closed for `downMs` (connection refused), then for `warmupMs` the plugin endpoints
 * answer `warmupStatus` while the plugins start: 500 "plugin is crashed or not started" for engine.io
 * (koush/scrypted:server/src/runtime.ts, handleEngineIOEndpoint), and 404 or 500 for other plugin endpoints
 * (koush/scrypted:server/src/plugin/plugin-http.ts answers 404 when it finds no plugin; a plugin device whose
 * process is not up yet fails with 500). The sources leave open which one a clip URL gets, hence the choice.
 */
export interface RestartOptions {
  downMs?: number;
  warmupMs?: number;
  warmupStatus?: 404 | 500;
}

export interface ScryptedFaultPlan {
  /** Probability that a clip's byte stream is cut (socket destroyed) part-way through. */
  cutStreams?: number;
  /** Delay before answering each HTTP request and handling each RPC message (ms). */
  slowMs?: number;
  random?: () => number;
  /** Once, after `afterBytes` bytes of this clip were sent: restart the server (its in-flight streams are cut). */
  restartDuring?: { clipId: string; afterBytes: number } & RestartOptions;
}

export interface ScryptedTestServer {
  baseUrl: string;
  port: number;
  username: string;
  password: string;
  /** PEM of the self-signed certificate in TLS mode. */
  certPem: string | undefined;
  certFile: string | undefined;
  /** Live RPC peers of connected clients (to observe finalize). */
  peers: Set<RpcPeer>;
  /** Raw RPC messages received from clients, in order (type only matters to most tests). */
  received: Array<Record<string, unknown>>;
  close(): Promise<void>;
  restart(options?: RestartOptions): Promise<void>;
  /** Resolves when a restart asked for by `injectFaults({ restartDuring })` has finished. */
  restarted(): Promise<void>;
  /** How many times each clip was converted to a local URI (each buffer-host conversion is a copy held 10 min). */
  conversions: Map<string, number>;
  /** When on, the websocket upgrade is cut off (the server went away between login and the socket). */
  refuseWebsocket(on: boolean): void;
  addClip(cameraId: string, clip: TestClip): void;
  /** Changes a listed clip in place (e.g. its duration growing while it records, as HomeKit's local copies do). */
  updateClip(cameraId: string, clipId: string, changes: Partial<Omit<TestClip, 'id'>>): void;
  /** Pushes a device event to every connected client, as the real server relays a plugin's event (DeviceEventKind). */
  emitDeviceEvent(cameraId: string, kind: DeviceEventKind): void;
  dropSockets(): void;
  stallStreams(on: boolean): void;
  /** Hostile and broken answers (hostile.ts): clips, login, RPC frames, prototype-pollution attempts. */
  hostile: HostileBehaviour;
  /** Faults for the fault harness: cut clip byte streams part-way, answer every request and RPC message late. */
  injectFaults(plan: ScryptedFaultPlan): void;
  clipSha256(clipId: string): Promise<string>;
  clipBytes(clipId: string): Readable;
  shortLivedToken(): string;
  longLivedToken(): string;
}

/**
 * Device events a camera's plugin raises around a clip, as the server relays them to a client: `notify(id,
 * eventDetails, data)` with eventDetails {eventId, eventInterface, eventTime, property} (koush/scrypted:
 * server/src/plugin/plugin-remote.ts, the api.listen handler; EventDetails in sdk/types/src/types.input.ts).
 * `motion-start`/`motion-end`: MotionSensor's `motionDetected` property; for a property event the data is the
 * device's state entry `{ value, stateTime, lastEventTime }`. `clips-changed`: a clip provider's
 * `onDeviceEvent(ScryptedInterface.VideoClips, undefined)`, raised by the HomeKit plugin when a recording it saved
 * finished (koush/scrypted:plugins/homekit/src/types/camera/camera-recording.ts) and when clips are removed
 * (plugins/homekit/src/video-clips-provider.ts): no property, data undefined.
 */
export type DeviceEventKind = 'motion-start' | 'motion-end' | 'clips-changed';

function deviceEvent(kind: DeviceEventKind, now: number): { details: Record<string, unknown>; data: unknown } {
  const details = { eventId: String(now) + Math.random().toString(36).slice(2, 6), eventTime: now };
  if (kind === 'clips-changed') return { details: { ...details, eventInterface: 'VideoClips' }, data: undefined };
  return { details: { ...details, eventInterface: 'MotionSensor', property: 'motionDetected' }, data: { value: kind === 'motion-start', stateTime: now, lastEventTime: now } };
}

function selfSignedCertificate(): { key: Buffer; cert: Buffer; certFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'scrypted-test-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}

function systemState(cameras: Map<string, TestCamera>, others: TestServerOptions['otherDevices']) {
  const state: Record<string, Record<string, { value: unknown }>> = {};
  for (const camera of cameras.values()) {
    state[camera.id] = {
      id: { value: camera.id }, name: { value: camera.name }, type: { value: 'Camera' },
      interfaces: { value: camera.interfaces ?? ['VideoCamera', 'VideoClips', 'Settings'] }, pluginId: { value: '@test/videoclips-fixture' },
    };
  }
  for (const device of others ?? []) {
    state[device.id] = { id: { value: device.id }, name: { value: device.name }, interfaces: { value: device.interfaces } };
  }
  return state;
}

export async function startScryptedTestServer(options: TestServerOptions): Promise<ScryptedTestServer> {
  const username = options.username ?? 'admin';
  const password = options.password ?? 'test-password-1';
  const auth = new Auth();
  if (!options.fresh) auth.addUser(username, password);
  const cameras = new Map(options.cameras.map((camera) => [camera.id, { ...camera, clips: [...camera.clips] }]));
  // The core plugin's hosts keep what they host in memory: a restart forgets it (plugins/core/src/converters.ts).
  const published = new Map<string, { clip: TestClip; host: 'file' | 'buffer'; body?: Buffer | undefined; expiresAt: number }>();
  const conversions = new Map<string, number>();
  const findClip = (id: string) => [...cameras.values()].flatMap((camera) => camera.clips).find((clip) => clip.id === id);
  const world: ServerWorld = {
    cameras,
    publish(clip, host, body) {
      conversions.set(clip.id, (conversions.get(clip.id) ?? 0) + 1);
      // The file host names a file by a hash of its path (the same URL each time); the buffer host makes a new
      // uuid per conversion and drops it after 10 minutes (BufferHost.convert).
      const name = host === 'file' ? `${publicHash(clip.id)}.mp4` : `${randomUUID()}.${body ? 'json' : 'mp4'}`;
      published.set(name, { clip, host, body, expiresAt: host === 'file' ? Infinity : Date.now() + 10 * 60_000 });
      return `${host === 'file' ? FILE_HOST_PREFIX : BUFFER_HOST_PREFIX}${name}`;
    },
    headerBytes: (clip) => mp4Header(clip.duration),
    localUriAnswer: () => options.localUriAnswer ?? 'buffer',
  };
  const sizeOf = (clip: TestClip) => (clip.file ? statSync(clip.file).size : clip.generate?.sizeBytes ?? 4096);
  const bytesOf = (clip: TestClip, start?: number, end?: number): Readable =>
    clip.file
      ? createReadStream(clip.file, { start, end })
      : generatedClip(sizeOf(clip), clip.generate?.seed ?? 1, clip.duration, start, end);
  const tls = options.tls ? selfSignedCertificate() : undefined;
  const engine = new EngineServer({ pingInterval: 25_000, pingTimeout: 120_000, maxHttpBufferSize: 20_000_000, perMessageDeflate: true });
  const peers = new Set<RpcPeer>();
  const received: Array<Record<string, unknown>> = [];
  const sockets = new Set<NetSocket>();
  let stalled = false;
  let websocketRefused = false;
  let warmingUntil = 0;
  let warmupStatus: 404 | 500 = 500;
  let restarting: Promise<void> = Promise.resolve();
  let faults: ScryptedFaultPlan = {};
  const hostile = new HostileBehaviour();
  const late = () => (faults.slowMs ? new Promise((resolve) => setTimeout(resolve, faults.slowMs)) : undefined);

  const engineSockets = new Set<EngineSocket>();
  /** Each connected client's remote (the object its getRemote returned): where device events go. */
  const remotes = new Map<EngineSocket, Record<string, (...a: unknown[]) => unknown>>();
  engine.on('connection', (socket: EngineSocket) => {
    engineSockets.add(socket);
    const peer = new RpcPeer((message, buffers) => sendFramed(socket, message, buffers), 0);
    peers.add(peer);
    socket.on('message', frameReceiver((message, buffers) => {
      received.push(message);
      // A constant delay keeps the messages in order.
      void Promise.resolve(late()).then(() => peer.handleMessage(message, buffers));
    }));
    socket.on('close', () => {
      engineSockets.delete(socket);
      remotes.delete(socket);
      peers.delete(peer);
      peer.kill(new Error('socket closed'));
    });
    // The handshake, server side (protocol §7): ask for getRemote, call it with the PluginAPI, push the state.
    void (async () => {
      const getRemote = (await peer.getParam('getRemote')) as (api: unknown, pluginId: unknown, host: unknown) => Promise<Record<string, (...a: unknown[]) => unknown>>;
      const remote = await getRemote(new PluginAPIProxy(world, new MediaManagerImpl(world)), undefined, { serverVersion: '0.144.2' });
      await remote.setSystemState?.(systemState(cameras, options.otherDevices));
      remotes.set(socket, remote);
      await hostile.afterHandshake(socket, remote);
    })().catch(() => socket.close());
  });

  function sendJson(response: ServerResponse, status: number, body: unknown) {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }

  function loginResult(user: string, includeToken: boolean) {
    const token = auth.shortLivedToken(user);
    return {
      authorization: `Bearer ${token}`, queryToken: { scryptedToken: token }, username: user,
      ...(includeToken ? { token: auth.users.get(user)?.token } : {}), expiration: 86_400_000, externalAddresses: [], addresses: [],
    };
  }

  async function handleLogin(request: IncomingMessage, response: ServerResponse) {
    if (hostile.answerLogin(request, response)) return;
    if (request.method === 'POST') {
      let body = '';
      for await (const chunk of request) body += String(chunk);
      const form = (request.headers['content-type'] ?? '').includes('json') ? (JSON.parse(body || '{}') as Record<string, string>) : Object.fromEntries(new URLSearchParams(body));
      const name = form.username ?? '';
      if (auth.users.size === 0) {
        auth.addUser(name, form.password ?? '');
        return sendJson(response, 200, loginResult(name, true));
      }
      const verdict = auth.check(name, form.password ?? '');
      if (verdict === 'no-user') return sendJson(response, 200, { error: 'User does not exist.', hasLogin: true });
      if (verdict === 'bad-password') return sendJson(response, 200, { error: 'Incorrect password.', hasLogin: true });
      return sendJson(response, 200, loginResult(name, false));
    }
    const header = request.headers.authorization ?? '';
    if (header.startsWith('Basic ') && tls) {
      const [name = '', pass = ''] = Buffer.from(header.slice(6), 'base64').toString().split(/:(.*)/s);
      // Wrong Basic credentials (unknown user or wrong password): a bare 401 with an empty body. The server
      // replaces http-auth's ask() so no WWW-Authenticate header makes browsers prompt
      // (koush/scrypted:server/src/scrypted-server-main.ts, `basicAuth.ask`); seen on 0.144.2 as well.
      if (auth.check(name, pass) !== 'ok') {
        response.statusCode = 401;
        response.end();
        return;
      }
      return sendJson(response, 200, loginResult(name, true));
    }
    const user = auth.userOfRequest(request);
    if (!user) return sendJson(response, 200, { error: 'Not logged in.', hasLogin: auth.users.size > 0 });
    return sendJson(response, 200, loginResult(user, false));
  }

  /** Pipes the clip's bytes; with a `restartDuring` fault for this clip, restarts the server part-way. */
  function sendBytes(response: ServerResponse, clip: TestClip, start?: number, end?: number) {
    const plan = faults.restartDuring;
    const bytes = bytesOf(clip, start, end);
    if (plan?.clipId !== clip.id) return void bytes.pipe(response);
    let sent = 0;
    bytes.on('data', (chunk: Buffer) => {
      if (!response.write(chunk)) bytes.pause();
      sent += chunk.length;
      if (sent >= plan.afterBytes && faults.restartDuring === plan) {
        faults = { ...faults, restartDuring: undefined };
        bytes.destroy();
        restarting = restart(plan);
      }
    });
    response.on('drain', () => bytes.resume());
    bytes.on('end', () => response.end());
  }

  /** A clip's bytes: with Range support (express sendFile, as the href and the file host use). */
  function serveClip(request: IncomingMessage, response: ServerResponse, clip: TestClip) {
    const size = sizeOf(clip);
    if (hostile.answerClip(request, response, clip.id, () => bytesOf(clip))) return;
    const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
    if (stalled) {
      response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': size });
      response.flushHeaders();
      return; // never sends a byte: the client's timeout must fire
    }
    if (range) {
      const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      response.writeHead(206, { 'content-type': 'video/mp4', 'accept-ranges': 'bytes', 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1 });
      sendBytes(response, clip, start, end);
      return;
    }
    response.writeHead(200, { 'content-type': 'video/mp4', 'accept-ranges': 'bytes', 'content-length': size });
    const random = faults.random ?? Math.random;
    if (faults.cutStreams && random() < faults.cutStreams) {
      // Sends part of the clip, then drops the connection: the client sees a short body.
      let left = Math.floor(size * random());
      bytesOf(clip).on('data', function (this: Readable, chunk: Buffer) {
        if (left <= 0) return;
        response.write(chunk.subarray(0, left));
        left -= chunk.length;
        if (left <= 0) {
          this.destroy();
          response.socket?.destroy();
        }
      });
      return;
    }
    sendBytes(response, clip);
  }

  /**
   * The core plugin's public hosts (koush/scrypted:plugins/core/src/converters.ts). The file host streams with
   * express sendFile (Range support); a path it does not know makes its onRequest throw, and the server answers
   * 500 "Internal Plugin Error" (koush/scrypted:server/src/runtime.ts, handleRequestEndpoint). The buffer host
   * sends the whole buffer with res.send (no Content-Type given, so application/octet-stream; no Range) and
   * answers 404 "Not Found" for a path it does not hold (never held, expired after 10 minutes, or a restart).
   */
  function servePublic(request: IncomingMessage, response: ServerResponse, host: 'file' | 'buffer', name: string) {
    const entry = published.get(name);
    const live = entry && entry.host === host && entry.expiresAt > Date.now() ? entry : undefined;
    if (host === 'file') {
      if (!live) return sendText(response, 500, 'Internal Plugin Error: @scrypted/core');
      return serveClip(request, response, live.clip);
    }
    if (!live) return sendText(response, 404, 'Not Found');
    if (live.body) {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': live.body.length });
      return void response.end(live.body);
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': sizeOf(live.clip) });
    sendBytes(response, live.clip);
  }

  /** express res.send(string) answers text/html unless the caller set a type (plugin-http.ts sets text/plain). */
  function sendText(response: ServerResponse, status: number, text: string, type = 'text/html; charset=utf-8') {
    response.writeHead(status, { 'content-type': type });
    response.end(text);
  }

  async function route(request: IncomingMessage, response: ServerResponse) {
    await late();
    const url = new URL(request.url ?? '/', 'http://x');
    if (url.pathname === '/login') return handleLogin(request, response);
    if (url.pathname.startsWith('/endpoint/') && Date.now() < warmingUntil) {
      const plugin = url.pathname.split('/')[2] ?? '';
      return sendText(response, warmupStatus, warmupStatus === 404 ? `Not Found (plugin or device "${plugin}" not found)` : 'TypeError: plugin host not started', 'text/plain');
    }
    if (url.pathname.startsWith('/endpoint/@scrypted/core/engine.io/api')) {
      if (!auth.userOfRequest(request)) return sendJson(response, 401, { error: 'Not Authorized' });
      return engine.handleRequest(request as never, response as never);
    }
    if (url.pathname.startsWith(FILE_HOST_PREFIX)) return servePublic(request, response, 'file', url.pathname.slice(FILE_HOST_PREFIX.length));
    if (url.pathname.startsWith(BUFFER_HOST_PREFIX)) return servePublic(request, response, 'buffer', url.pathname.slice(BUFFER_HOST_PREFIX.length));
    if (url.pathname.startsWith(HREF_PREFIX)) {
      if (!auth.userOfRequest(request)) return sendJson(response, 401, { error: 'Not Authorized' });
      const clip = findClip(decodeURIComponent(url.pathname.slice(HREF_PREFIX.length).replace(/\.mp4$/, '')));
      return clip ? serveClip(request, response, clip) : sendJson(response, 404, { error: 'not found' });
    }
    sendJson(response, 404, { error: 'not found' });
  }

  let server: Server;
  let port = 0;
  const listen = async () => {
    const handler = (request: IncomingMessage, response: ServerResponse) => {
      route(request, response).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: String(error) });
        else response.destroy();
      });
    };
    server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createHttpServer(handler);
    server.on('connection', (socket: NetSocket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.on('upgrade', (request: IncomingMessage, socket: NetSocket, head: Buffer) => {
      if (websocketRefused) {
        // Gone between the login and the socket (seen on 0.144.2, docs/scrypted-protocol.md §3): a reset, no answer.
        socket.destroy();
        return;
      }
      if (Date.now() < warmingUntil) {
        socket.end(`HTTP/1.1 ${warmupStatus} Starting\r\ncontent-length: 0\r\n\r\n`);
        return;
      }
      if (!auth.userOfRequest(request)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      engine.handleUpgrade(request as never, socket as never, head);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const stop = async () => {
    hostile.stop();
    for (const socket of engineSockets) socket.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  /** A new process: tokens of the old one die (new salt), the core's hosts forget what they held. */
  async function restart(restartOptions: RestartOptions = {}): Promise<void> {
    await stop();
    auth.newProcess();
    published.clear();
    if (restartOptions.downMs) await new Promise((resolve) => setTimeout(resolve, restartOptions.downMs));
    warmupStatus = restartOptions.warmupStatus ?? 500;
    warmingUntil = Date.now() + (restartOptions.warmupMs ?? 0);
    await listen();
  }
  await listen();
  const baseUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    baseUrl, port, username, password, certPem: tls?.cert.toString(), certFile: tls?.certFile, peers, received, hostile,
    close: stop,
    restart,
    restarted: () => restarting,
    conversions,
    refuseWebsocket(on) {
      websocketRefused = on;
    },
    addClip(cameraId, clip) {
      cameras.get(cameraId)?.clips.push(clip);
    },
    updateClip(cameraId, clipId, changes) {
      const clip = cameras.get(cameraId)?.clips.find((candidate) => candidate.id === clipId);
      if (clip) Object.assign(clip, changes);
    },
    emitDeviceEvent(cameraId, kind) {
      const { details, data } = deviceEvent(kind, Date.now());
      for (const remote of remotes.values()) void Promise.resolve(remote.notify?.(cameraId, details, data)).catch(() => undefined);
    },
    dropSockets() {
      for (const socket of engineSockets) socket.close();
    },
    stallStreams(on) {
      stalled = on;
    },
    injectFaults(plan) {
      faults = { ...plan };
    },
    async clipSha256(clipId) {
      const clip = findClip(clipId);
      if (!clip) throw new Error(`no clip ${clipId}`);
      return sha256Of(bytesOf(clip));
    },
    clipBytes(clipId) {
      const clip = findClip(clipId);
      if (!clip) throw new Error(`no clip ${clipId}`);
      return bytesOf(clip);
    },
    shortLivedToken: () => auth.shortLivedToken(username),
    longLivedToken: () => auth.users.get(username)?.token ?? '',
  };
}

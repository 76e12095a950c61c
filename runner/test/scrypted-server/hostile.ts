// Hostile and broken behaviours of the Scrypted test server (issue 18): clip answers that are not the clip
// (error pages, empty, cut, lengths that lie, a trickle), a login that trickles or never ends, RPC frames that are
// not messages, and RPC calls that try to reach the runner's prototypes. None of these is a claim about how a
// healthy Scrypted behaves; each is what a buggy plugin, a proxy in between, or a compromised server can send.
// The accepted variants (`octet-stream`, `no-content-type`, `chunked`) are real ones: koush/scrypted's
// server/src/http-interfaces.ts serves plugin files with express's sendFile (type from the file's extension,
// application/octet-stream for an unknown one, a Content-Length) or streams them with sendStream (chunked, headers
// only as the plugin sets them).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Socket as EngineSocket } from 'engine.io';

export type ClipAnswer =
  /** 200 text/html: a 77-byte error page (a reverse proxy's, or a plugin's). */
  | 'html-page'
  /** 200 video/mp4 whose body is that HTML page. */
  | 'html-as-mp4'
  /** 200 application/json `{"error":…}`. */
  | 'json-error'
  /** 200 video/mp4 with an empty body. */
  | 'empty'
  /** The first half of the clip, no Content-Length, then the connection closes (looks like a normal end). */
  | 'truncated-no-length'
  /** Content-Length of half the clip, then the whole clip. */
  | 'declares-shorter'
  /** Content-Length larger than the clip, the whole clip, then the connection closes. */
  | 'declares-longer'
  /** The whole clip plus 100 bytes of junk, no Content-Length. */
  | 'junk-appended'
  /** HTTP 412 with a JSON body: Scrypted's status, never GCS's precondition answer (row 4). */
  | 'status-412'
  /** The headers, then one byte every `trickleMs`, for ever. */
  | 'trickle'
  /** Accepted: the clip as application/octet-stream (sendFile, unknown extension). */
  | 'octet-stream'
  /** Accepted: the clip without a Content-Type header. */
  | 'no-content-type'
  /** Accepted: the clip chunked, without a Content-Length (sendStream). */
  | 'chunked';

export type LoginAnswer =
  /** Headers, then the JSON one byte every `trickleMs`. */
  | 'trickle'
  /** A 200 JSON answer of 4 MiB, chunked (a login body that must not be read whole). */
  | 'huge';

export interface HostilePlan {
  /** Per clip id: how its bytes are answered (href and public file host alike). */
  clips?: Map<string, ClipAnswer>;
  login?: LoginAnswer;
  trickleMs?: number;
  /** Raw text frames sent on every engine.io socket right after the handshake: not RPC messages. */
  rpcFrames?: string[];
  /** After the handshake: calls that aim at prototypes (notify / updateDeviceState with `__proto__` and friends). */
  pollute?: boolean;
}

const HTML_PAGE = '<html><head><title>502</title></head><body><h1>Bad Gateway</h1></body></html>\n';

/** Answers that do not depend on the clip. */
const FIXED_ANSWERS: Partial<Record<ClipAnswer, { status: number; type: string; body: string }>> = {
  'html-page': { status: 200, type: 'text/html; charset=utf-8', body: HTML_PAGE },
  'html-as-mp4': { status: 200, type: 'video/mp4', body: HTML_PAGE },
  'json-error': { status: 200, type: 'application/json', body: JSON.stringify({ error: 'clip not found' }) },
  empty: { status: 200, type: 'video/mp4', body: '' },
  'status-412': { status: 412, type: 'application/json', body: JSON.stringify({ error: 'Precondition Failed' }) },
};

type ClientRemote = Record<string, (...args: unknown[]) => unknown>;

export class HostileBehaviour {
  private plan: HostilePlan = {};
  private readonly timers = new Set<NodeJS.Timeout>();
  /** How often the runner called the function `pollute` hands it (it must never call it). */
  baitCalls = 0;
  private readonly bait = async (): Promise<void> => {
    this.baitCalls += 1;
  };

  set(plan: HostilePlan): void {
    this.plan = plan;
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
  }

  /** True when the clip was answered here (the server must not answer it too). */
  answerClip(request: IncomingMessage, response: ServerResponse, clipId: string, bytes: () => Readable): boolean {
    const answer = this.plan.clips?.get(clipId);
    if (!answer) return false;
    const fixed = FIXED_ANSWERS[answer];
    if (fixed) {
      response.writeHead(fixed.status, { 'content-type': fixed.type, 'content-length': Buffer.byteLength(fixed.body) });
      response.end(fixed.body);
      return true;
    }
    const socket = request.socket;
    const raw = (head: string, ...bodies: Buffer[]) => {
      socket.write(`HTTP/1.1 ${head}\r\n\r\n`);
      for (const body of bodies) socket.write(body);
    };
    switch (answer) {
      case 'octet-stream':
      case 'no-content-type':
      case 'chunked':
        void collect(bytes()).then((clip) => {
          const headers: Record<string, string | number> = answer === 'octet-stream' ? { 'content-type': 'application/octet-stream' } : {};
          if (answer !== 'chunked') headers['content-length'] = clip.length;
          response.writeHead(200, headers);
          response.end(clip);
        });
        return true;
      case 'trickle': {
        raw('200 OK\r\ncontent-type: video/mp4\r\ncontent-length: 100000\r\nconnection: close');
        void collect(bytes()).then((clip) => this.trickle(socket, clip));
        return true;
      }
      default:
        void collect(bytes()).then((clip) => {
          if (answer === 'truncated-no-length') raw('200 OK\r\ncontent-type: video/mp4\r\nconnection: close', clip.subarray(0, clip.length >> 1));
          if (answer === 'declares-shorter') raw(`200 OK\r\ncontent-type: video/mp4\r\ncontent-length: ${clip.length >> 1}\r\nconnection: close`, clip);
          if (answer === 'declares-longer') raw(`200 OK\r\ncontent-type: video/mp4\r\ncontent-length: ${clip.length + 1000}\r\nconnection: close`, clip);
          if (answer === 'junk-appended') raw('200 OK\r\ncontent-type: video/mp4\r\nconnection: close', clip, Buffer.alloc(100, 0x41));
          socket.end();
        });
        return true;
    }
  }

  /** True when /login was answered here. */
  answerLogin(request: IncomingMessage, response: ServerResponse): boolean {
    if (!this.plan.login) return false;
    request.resume();
    if (this.plan.login === 'huge') {
      // Chunked, no Content-Length: the cap must hold while reading, not only on a declared length.
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"padding":"');
      const piece = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 64 && !response.destroyed; i++) response.write(piece);
      response.end('"}');
      return true;
    }
    const body = Buffer.from(JSON.stringify({ error: 'never finished' }).padStart(10_000, ' '));
    request.socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
    this.trickle(request.socket, body);
    return true;
  }

  /** After setSystemState, on every connection. */
  async afterHandshake(socket: EngineSocket, remote: ClientRemote): Promise<void> {
    for (const frame of this.plan.rpcFrames ?? []) socket.send(frame);
    if (!this.plan.pollute) return;
    // A device without VideoClips, then a `__proto__` "property" that would give it VideoClips through a
    // prototype; a function planted as Object.prototype.then; writes under keys every object inherits.
    await remote.updateDeviceState?.('hub-1', { id: { value: 'hub-1' }, name: { value: 'Hub' } });
    await remote.notify?.('hub-1', { property: '__proto__' }, { interfaces: { value: ['VideoClips'] } });
    await remote.notify?.('__proto__', { property: 'then' }, this.bait);
    await remote.notify?.('__proto__', { property: 'interfaces' }, { value: ['VideoClips'] });
    await remote.notify?.('constructor', { property: 'interfaces' }, { value: ['VideoClips'] });
    await remote.notify?.('toString', { property: 'name' }, { value: 'x' });
    await remote.updateDeviceState?.('constructor', undefined);
    await remote.updateDeviceState?.('hasOwnProperty', { name: { value: 'Own' } });
    await remote.setNativeId?.('__proto__', 'x');
    // Last, devices that are data, not attacks: ids every object inherits, without VideoClips.
    await remote.updateDeviceState?.('__proto__', { name: { value: 'Proto' }, interfaces: { value: ['Settings'] } });
    await remote.notify?.('__proto__', { property: 'name' }, { value: 'Proto 2' });
  }

  private trickle(socket: NetSocket, bytes: Buffer): void {
    let position = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || position >= bytes.length) {
        clearInterval(timer);
        this.timers.delete(timer);
        if (!socket.destroyed) socket.end();
        return;
      }
      socket.write(bytes.subarray(position, position + 1));
      position += 1;
    }, this.plan.trickleMs ?? 500);
    this.timers.add(timer);
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

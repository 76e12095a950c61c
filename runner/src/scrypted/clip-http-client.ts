// Clip bytes from Scrypted over HTTP/1.1 on sockets read with `onread`: each read lands in a large buffer of our
// own (256 KiB to 1 MiB, carved from a slab, never reused while a slice of it lives) and its slices go to the
// clip's reader as they are, where `node:http` copies every chunk its parser sees and reads 64 KiB at a time
// (docs/benchmarks.md measures the difference). Connections are kept for the next clip, a few per origin and a
// few seconds, with TLS settings from tls.ts; a kept connection that the server closed meanwhile is replaced
// once, at once (a GET is safe to send again). Login and JSON answers stay on `node:http` (http-request.ts).
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ClipExchange, StaleConnectionError, type ClipAnswer, type ExchangeConnection } from './clip-exchange.js';
import { explainTlsError, type TlsOptions } from './tls.js';

export type { ClipAnswer } from './clip-exchange.js';

/** Each read gets at least this much room, and the slab it is carved from is this large. */
const MIN_READ_BYTES = 256 * 1024;
const SLAB_BYTES = 1024 * 1024;
/** Kept connections per origin, and how long one waits unused (under Node's default 5 s keep-alive). */
const MAX_IDLE_PER_ORIGIN = 8;
const IDLE_MS = 4000;

export interface ClipGetOptions {
  headers: Record<string, string>;
  /** The head must arrive within this (ms), and the socket may not stay silent longer while we wait for it. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** A header value or path that would break the request's framing is refused before anything is sent. */
const UNSAFE_IN_REQUEST = /[\x00-\x08\x0a-\x1f\x7f]/;

class ClipConnection implements ExchangeConnection {
  readonly socket: Socket;
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private used = 0;
  private current: ClipExchange | undefined;
  private served = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  closed = false;

  constructor(url: URL, tls: TlsOptions | undefined, private readonly release: (connection: ClipConnection, reusable: boolean) => void) {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const onread = { buffer: () => this.room(), callback: (read: number, buffer: Uint8Array) => this.read(read, buffer) };
    this.socket = url.protocol === 'https:'
      ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...tls, onread } as ConnectionOptions)
      : netConnect({ host, port, onread });
    this.socket.setNoDelay(true);
    this.socket.on('error', (error) => this.gone(error));
    this.socket.on('end', () => {
      if (this.current) this.current.peerEnded();
      this.gone(undefined);
    });
    this.socket.on('close', () => this.gone(undefined));
    this.socket.on('timeout', () => {
      if (this.current && !this.current.waitingForReader) this.current.fail(this.current.late());
    });
  }

  /** The room for the next read: the rest of the slab, or a new slab when too little is left. */
  private room(): Uint8Array {
    if (SLAB_BYTES - this.used < MIN_READ_BYTES) {
      this.slab = Buffer.allocUnsafe(SLAB_BYTES);
      this.used = 0;
    }
    return this.slab.subarray(this.used);
  }

  private read(read: number, buffer: Uint8Array): boolean {
    this.used += read;
    const data = Buffer.from(buffer.buffer, buffer.byteOffset, read);
    if (this.current) return this.current.bytes(data);
    // Bytes while no request is out belong to nothing: the connection is not trusted further.
    this.destroy();
    return false;
  }

  /** Sends a GET for `url` and gives its answer once the head arrived. */
  get(url: URL, options: ClipGetOptions): Promise<ClipAnswer> {
    clearTimeout(this.idleTimer);
    this.socket.ref();
    const what = url.pathname;
    const exchange = new ClipExchange(this, what, options.timeoutMs, this.served > 0, options.signal);
    this.current = exchange;
    this.served += 1;
    this.socket.setTimeout(options.timeoutMs);
    const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
    for (const [name, value] of Object.entries(options.headers)) lines.push(`${name}: ${value}`);
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
    this.resume();
    return exchange.answer;
  }

  resume(): void {
    if (!this.closed) this.socket.resume();
  }

  destroy(error?: Error): void {
    this.closed = true;
    this.socket.destroy(error);
  }

  /** The exchange is over: kept for another, unless the answer or the socket says otherwise. */
  settled(reusable: boolean): void {
    this.current = undefined;
    this.socket.setTimeout(0);
    const keep = reusable && !this.closed;
    if (!keep) this.destroy();
    this.release(this, keep);
  }

  /** Waits unused, holding no process open, until taken or its time is up. */
  idle(): void {
    this.socket.unref();
    this.idleTimer = setTimeout(() => this.destroy(), IDLE_MS);
    this.idleTimer.unref();
  }

  private gone(error: Error | undefined): void {
    const current = this.current;
    if (current) current.socketFailed(error === undefined ? undefined : explainTlsError(error));
    if (!this.closed) this.destroy();
    clearTimeout(this.idleTimer);
  }
}

/** GETs of clip bytes, on kept connections per origin. */
export class ClipHttpClient {
  private readonly idle = new Map<string, ClipConnection[]>();
  private closed = false;

  constructor(private readonly tls: TlsOptions | undefined) {}

  async get(url: URL, options: ClipGetOptions): Promise<ClipAnswer> {
    const request = `${url.pathname}${url.search}`;
    for (const value of [request, ...Object.keys(options.headers), ...Object.values(options.headers)]) {
      if (UNSAFE_IN_REQUEST.test(value)) throw new Error(`refusing to send a request for ${url.pathname} with a control character in its path or headers`);
    }
    const origin = `${url.protocol}//${url.host}`;
    const kept = this.takeIdle(origin);
    if (kept) {
      try {
        return await kept.get(url, options);
      } catch (error) {
        if (!(error instanceof StaleConnectionError) || options.signal?.aborted) throw error;
      }
    }
    return this.open(url, origin).get(url, options);
  }

  private open(url: URL, origin: string): ClipConnection {
    return new ClipConnection(url, url.protocol === 'https:' ? this.tls : undefined, (connection, reusable) => this.settle(origin, connection, reusable));
  }

  private takeIdle(origin: string): ClipConnection | undefined {
    const list = this.idle.get(origin);
    while (list && list.length > 0) {
      const connection = list.pop() as ClipConnection;
      if (!connection.closed) return connection;
    }
    return undefined;
  }

  private settle(origin: string, connection: ClipConnection, reusable: boolean): void {
    const list = this.idle.get(origin) ?? [];
    const others = list.filter((kept) => kept !== connection && !kept.closed);
    if (reusable && !this.closed && others.length < MAX_IDLE_PER_ORIGIN) {
      others.push(connection);
      connection.idle();
    } else if (reusable) {
      connection.destroy();
    }
    if (others.length > 0) this.idle.set(origin, others);
    else this.idle.delete(origin);
  }

  /** Closes every kept connection; answers being read go on to their end. */
  close(): void {
    this.closed = true;
    for (const list of this.idle.values()) for (const connection of list) connection.destroy();
    this.idle.clear();
  }
}

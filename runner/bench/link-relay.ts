// A shaped link in user space, for `make bench` with BENCH_LINK: this kernel has no netem (tc knows only
// rate-limiting qdiscs here, so no delay or loss), so the bench joins the uploaders to their servers through a
// TCP relay on loopback that plays a home uplink:
// - rate: every connection's upstream bytes share one serializer at the link's rate (one uplink for all);
// - delay: each piece reaches the server `delayMs` after it left the link (and answers come back `delayMs` later);
// - queue: while more than `queueMs` of bytes wait for the link, the relay stops reading from the sender, whose
//   own socket buffers then fill (TCP flow control stands in for a drop-tail queue);
// - loss: a lost 1448-byte segment holds its connection's later bytes back one round trip plus 10 ms (a fast
//   retransmit; the sender's congestion window is not halved, so loss costs less here than on a real link).
// - slow start (`,slowstart`): each connection's upstream bytes are held to TCP's congestion window as it opens
//   from 10 segments and closes again after an idle spell (slow-start.ts); without it the uploaders' own TCP, on
//   loopback, has no round trip to grow its window over, so figures without it are an upper bound of what a new
//   connection's first round trips cost.
// One relay process serves several targets (GCS and Firestore), all through the same link.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { CongestionWindow, SEGMENT_BYTES } from './slow-start.js';

export interface LinkSpec {
  /** Upstream rate in bits per second. */
  rateBits: number;
  /** Round-trip time in ms (half each way). */
  rttMs: number;
  /** Longest queue before the link, in ms at its rate. */
  queueMs: number;
  /** Probability that a 1448-byte segment is lost (0-1). */
  loss: number;
  /** Each connection's upstream bytes held to TCP's slow start (slow-start.ts). */
  slowStart: boolean;
}

const UNITS: Record<string, number> = { kbit: 1e3, mbit: 1e6, gbit: 1e9 };

/** Named links of issue 19's table, plus the 10 Mbit/s and lossy ones. */
export const NAMED_LINKS: Record<string, string> = {
  'home-10': '10mbit,40ms',
  'home-50': '50mbit,40ms',
  'home-200': '200mbit,40ms',
  'lossy-50': '50mbit,40ms,0.5%',
};

/** Parses `50mbit,40ms[,0.5%][,queue=100ms][,slowstart]` (the ms is the round trip); a name of NAMED_LINKS may
 * stand for its spec, alone or first (`home-200,slowstart`). */
export function parseLink(text: string): LinkSpec {
  const [first = '', ...rest] = text.split(',').map((p) => p.trim());
  const spec = [Object.hasOwn(NAMED_LINKS, first) ? (NAMED_LINKS[first] as string) : first, ...rest].join(',');
  const spec0: LinkSpec = { rateBits: 0, rttMs: 0, queueMs: 100, loss: 0, slowStart: false };
  for (const part of spec.split(',').map((p) => p.trim())) {
    let match: RegExpExecArray | null;
    if ((match = /^(\d+(?:\.\d+)?)(kbit|mbit|gbit)$/i.exec(part))) spec0.rateBits = Number(match[1]) * (UNITS[(match[2] as string).toLowerCase()] as number);
    else if ((match = /^(\d+(?:\.\d+)?)ms$/.exec(part))) spec0.rttMs = Number(match[1]);
    else if ((match = /^(\d+(?:\.\d+)?)%$/.exec(part))) spec0.loss = Number(match[1]) / 100;
    else if ((match = /^queue=(\d+)ms$/.exec(part))) spec0.queueMs = Number(match[1]);
    else if (part === 'slowstart') spec0.slowStart = true;
    else throw new Error(`BENCH_LINK: ${JSON.stringify(part)} is not a rate (50mbit), a round trip (40ms), a loss (0.5%), queue=100ms or slowstart; names: ${Object.keys(NAMED_LINKS).join(', ')}`);
  }
  if (!(spec0.rateBits > 0)) throw new Error(`BENCH_LINK ${JSON.stringify(text)} has no rate (e.g. 50mbit)`);
  return spec0;
}

export function describeLink(link: LinkSpec): string {
  return `${link.rateBits / 1e6} Mbit/s, ${link.rttMs} ms RTT, ${link.queueMs} ms queue${link.loss ? `, ${(link.loss * 100).toFixed(1)}% loss` : ''}${link.slowStart ? ', slow start' : ''}`;
}

/** A stretch of time (ms since the epoch) in which the link's serializer sent without a pause. */
export interface BusySpan {
  from: number;
  to: number;
}

/** One direction of the link: a shared serializer (rate undefined: none) and a propagation delay. */
class Direction {
  /** When the serializer is free again (ms, performance.now()). */
  private freeAt = 0;
  /** When the serializer's current busy span began (performance.now()); undefined: it is idle. */
  private busyFrom: number | undefined;
  private spanTimer: NodeJS.Timeout | undefined;
  bytes = 0;

  constructor(private readonly bytesPerMs: number | undefined, readonly delayMs: number, readonly queueMs: number, readonly loss: number, readonly rttMs: number, private readonly onSpan?: (span: BusySpan) => void) {}

  /** Puts `n` bytes on the link now; returns when they reach the other end. */
  send(n: number, now: number): number {
    this.bytes += n;
    if (this.bytesPerMs === undefined) return now + this.delayMs;
    if (now > this.freeAt) this.closeSpan(now);
    this.freeAt = Math.max(this.freeAt, now) + n / this.bytesPerMs;
    this.watchSpan();
    return this.freeAt + this.delayMs;
  }

  /** Reports the busy span that ended at freeAt (if one is open) and, when `now` is given, opens the next. */
  private closeSpan(now?: number): void {
    if (this.busyFrom !== undefined && this.onSpan) this.onSpan({ from: performance.timeOrigin + this.busyFrom, to: performance.timeOrigin + this.freeAt });
    this.busyFrom = now;
  }

  /** Closes the open span once the serializer has gone idle, so a span is reported without waiting for the next byte. */
  private watchSpan(): void {
    if (!this.onSpan || this.spanTimer) return;
    const check = () => {
      const now = performance.now();
      if (now <= this.freeAt) {
        this.spanTimer = setTimeout(check, this.freeAt - now + 1).unref();
        return;
      }
      this.spanTimer = undefined;
      this.closeSpan();
    };
    this.spanTimer = setTimeout(check, Math.max(0, this.freeAt - performance.now()) + 1).unref();
  }

  /** How long the queue before the serializer is, in ms. */
  backlogMs(now: number): number {
    return Math.max(0, this.freeAt - now);
  }
}

/** Items handed on in the order they were queued, each once its time (performance.now(), ms) has come; one timer
 * at a time. */
class DueQueue<T> {
  private readonly items: Array<{ at: number; item: T }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onDue: (items: T[], now: number) => void) {}

  push(at: number, item: T): void {
    this.items.push({ at, item });
    this.timer ??= setTimeout(() => this.fire(), Math.max(0, at - performance.now()));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  private fire(): void {
    this.timer = undefined;
    const now = performance.now();
    const due: T[] = [];
    while (this.items.length > 0 && (this.items[0] as { at: number }).at <= now + 0.5) due.push((this.items.shift() as { item: T }).item);
    if (this.items.length > 0) this.timer = setTimeout(() => this.fire(), Math.max(1, (this.items[0] as { at: number }).at - now));
    this.onDue(due, now);
  }
}

/** Carries one connection's bytes one way: in order (one queue, one timer per connection), each piece
 * delivered when the link says, then the end; with `window`, no more bytes in flight than TCP's slow start allows
 * (slow-start.ts). Returns when the last piece sent so far arrives. */
function carry(from: Socket, to: Socket, direction: Direction, rewrite?: Rewrite, window?: CongestionWindow): () => number {
  let lastArrival = 0;
  let resumeTimer: NodeJS.Timeout | undefined;
  /** Bytes read from the sender that the window does not let on the link yet (at most one read's worth). */
  const held: Buffer[] = [];
  let ended = false;
  const arrivals = new DueQueue<Buffer | 'end'>((chunks) => {
    for (const chunk of chunks) {
      if (to.destroyed) continue;
      if (chunk === 'end') to.end();
      else to.write(chunk);
    }
  });
  /** Acknowledgements on their way back to the sender, in bytes: each opens the window and may let held bytes go. */
  const acks = new DueQueue<number>((bytes, now) => {
    const acknowledged = bytes.reduce((sum, n) => sum + n, 0);
    if (acknowledged > 0) window?.acknowledged(acknowledged, now);
    send();
  });
  /** The sender is read while nothing is held back and the link's queue is not full. */
  const readOrHold = () => {
    if (held.length > 0 || resumeTimer) from.pause();
    else from.resume();
  };
  const put = (chunk: Buffer, now: number) => {
    let arrival = direction.send(chunk.length, now);
    if (direction.loss > 0) {
      const segments = Math.ceil(chunk.length / SEGMENT_BYTES);
      if (Math.random() < 1 - (1 - direction.loss) ** segments) arrival += direction.rttMs + 10;
    }
    arrival = Math.max(arrival, lastArrival); // TCP delivers in order: a late piece holds back the later ones
    lastArrival = arrival;
    arrivals.push(arrival, chunk);
    if (window) {
      window.sent(chunk.length);
      acks.push(arrival + direction.delayMs, chunk.length);
    }
    const backlog = direction.backlogMs(now);
    if (backlog > direction.queueMs && !resumeTimer) {
      resumeTimer = setTimeout(() => {
        resumeTimer = undefined;
        readOrHold();
      }, backlog - direction.queueMs);
    }
  };
  /** Puts what the window allows of the held bytes on the link; the end follows the last of them. */
  const send = () => {
    const now = performance.now();
    while (held.length > 0) {
      const room = window ? window.room(now) : Number.POSITIVE_INFINITY;
      if (room <= 0) break;
      const head = held[0] as Buffer;
      if (head.length <= room) {
        held.shift();
        put(head, now);
      } else {
        held[0] = head.subarray(room);
        put(head.subarray(0, room), now);
      }
    }
    if (ended && held.length === 0) {
      ended = false;
      arrivals.push(Math.max(lastArrival, now), 'end');
    }
    readOrHold();
  };
  from.on('data', (original: Buffer) => {
    held.push(rewrite ? rewritten(original, rewrite) : original);
    send();
  });
  from.on('end', () => {
    ended = true;
    send();
  });
  from.on('close', () => {
    if (resumeTimer) clearTimeout(resumeTimer);
    acks.stop();
  });
  return () => lastArrival;
}

/** Destroys `socket` once the bytes still on their way to it have arrived (a close travels the link too). */
function destroyAfter(socket: Socket, arrivedAt: () => number): void {
  setTimeout(() => socket.destroy(), Math.max(0, arrivedAt() - performance.now()) + 1).unref();
}

/** Same-length text replaced in answers (e.g. the server's own address in a resumable session's Location). */
export interface Rewrite {
  from: Buffer;
  to: Buffer;
}

function rewritten(chunk: Buffer, { from, to }: Rewrite): Buffer {
  let at = chunk.indexOf(from);
  if (at < 0) return chunk;
  const copy = Buffer.from(chunk);
  while (at >= 0) {
    to.copy(copy, at);
    at = copy.indexOf(from, at + from.length);
  }
  return copy;
}

export interface RelayTarget {
  host: string;
  port: number;
  /** Rewrites the target's own host:port to the relay's in answers, so a Location the server sends leads back
   * through the link (the GCS test server names itself in a session URI; real GCS names the same host). */
  rewriteOwnAddress?: boolean;
}

export interface RunningRelay {
  /** The loopback port that leads to each target, in the targets' order. */
  ports: number[];
  /** Upstream bytes carried so far. */
  upBytes(): number;
  close(): Promise<void>;
}

/** Starts one listener per target on 127.0.0.1, all through one shaped link; `onUpstreamSpan` hears of each
 * stretch in which the uplink sent without a pause, once it has ended. */
export async function startRelay(link: LinkSpec, targets: RelayTarget[], onUpstreamSpan?: (span: BusySpan) => void): Promise<RunningRelay> {
  const oneWay = link.rttMs / 2;
  const up = new Direction(link.rateBits / 8 / 1000, oneWay, link.queueMs, link.loss, link.rttMs, onUpstreamSpan);
  const down = new Direction(undefined, oneWay, link.queueMs, 0, link.rttMs); // answers are small: delay only
  const sockets = new Set<Socket>();
  const servers: Server[] = [];
  for (const target of targets) {
    let rewrite: Rewrite | undefined;
    // Half-open both ways: a client that ends its side after a request (as HTTP clients without keep-alive do)
    // still gets the answer; without this the relay's side would end too and drop it.
    const server = createServer({ allowHalfOpen: true }, (client) => {
      const upstream = createConnection({ host: target.host, port: target.port, allowHalfOpen: true });
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.setNoDelay(true);
        socket.on('close', () => sockets.delete(socket));
      }
      const upArrived = carry(client, upstream, up, undefined, link.slowStart ? new CongestionWindow(link.rttMs) : undefined);
      const downArrived = carry(upstream, client, down, rewrite);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => destroyAfter(upstream, upArrived));
      upstream.on('close', () => destroyAfter(client, downArrived));
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
    servers.push(server);
    if (target.rewriteOwnAddress) {
      const from = Buffer.from(`${target.host}:${target.port}`);
      const to = Buffer.from(`127.0.0.1:${(server.address() as { port: number }).port}`);
      if (from.length !== to.length) throw new Error(`cannot rewrite ${String(from)} to ${String(to)} in place (lengths differ)`);
      rewrite = { from, to };
    }
  }
  return {
    ports: servers.map((server) => (server.address() as { port: number }).port),
    upBytes: () => up.bytes,
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

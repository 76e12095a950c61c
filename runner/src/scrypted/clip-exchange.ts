// One GET for a clip's bytes on one connection (clip-http-client.ts), from the request's first byte to the
// answer's last: the head read within the deadline and bounded (answer-head.ts), then the body framed by its
// Content-Length, its chunks (chunked-body.ts) or the connection's close, handed on as the slices that were read
// and paced by the reader's backpressure. Every way it can go wrong ends it with an error; bytes beyond the body
// keep its connection from serving another request.
import type { Writable } from 'node:stream';
import { AnswerProtocolError, MAX_HEAD_BYTES, parseAnswerHead, type AnswerHead } from './answer-head.js';
import { ChunkedBodyDecoder } from './chunked-body.js';
import { noAnswerWithin } from './http-request.js';

const HEAD_END = Buffer.from('\r\n\r\n');
/** The most body bytes gathered into one piece before it is handed on. */
const GATHER_BYTES = 256 * 1024;
/** Reads this large or larger are handed on as they are. */
const GATHER_BELOW = 64 * 1024;

/** An answer whose head arrived: its body is read only when asked for. */
export interface ClipAnswer {
  status: number;
  /** Lower-case names. */
  headers: ReadonlyMap<string, string>;
  /** The Content-Length, when the body is framed by one. */
  length: number | undefined;
  /**
   * Writes the body into `into` as it arrives, at `into`'s pace, and ends it after the last byte. A connection
   * that breaks first calls `broken` (and `into` is not ended). Destroying `into` closes the connection.
   */
  bodyInto(into: Writable, broken: (error: Error) => void): void;
  /** Drops the answer unread: its connection is closed. */
  discard(): void;
}

/** What the exchange needs from its connection. */
export interface ExchangeConnection {
  resume(): void;
  /** The exchange is over: the connection may serve another (`reusable`) or must close. */
  settled(reusable: boolean): void;
}

/** A connection taken from the pool that closed before any byte of the answer: the request may go on a new one. */
export class StaleConnectionError extends Error {
  override name = 'StaleConnectionError';
}

/** The error of a connection that closed in the middle of a body: Node's own name and code for it. */
function cutOff(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

export class ClipExchange {
  private phase: 'head' | 'body' | 'done' = 'head';
  private headBytes: Buffer | undefined;
  private head: AnswerHead | undefined;
  private left = 0;
  private chunked: ChunkedBodyDecoder | undefined;
  private target: Writable | undefined;
  private broken: ((error: Error) => void) | undefined;
  /** Body bytes that arrived before a reader was attached, and how the body ended then. */
  private waiting: Buffer[] = [];
  /** Body bytes read and not yet handed on (deliver), and whether they go on at the end of this turn. */
  private gathered: Buffer | undefined;
  private handOnSoon = false;
  private endedEarly: { error?: Error } | undefined;
  /** Whether the reader asked us to wait (its buffer is full). */
  private held = false;
  private headTimer: NodeJS.Timeout | undefined;
  private resolveHead!: (answer: ClipAnswer) => void;
  private rejectHead!: (error: Error) => void;
  readonly answer: Promise<ClipAnswer>;

  constructor(
    private readonly connection: ExchangeConnection,
    private readonly what: string,
    private readonly timeoutMs: number,
    /** Whether the connection served an answer before (a close before any byte then means it went stale). */
    private readonly reused: boolean,
    /** Aborts the exchange, head or body, until its end. */
    private readonly signal: AbortSignal | undefined,
  ) {
    this.answer = new Promise((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    // Header bytes that trickle in keep the socket busy: the whole head has a deadline of its own.
    this.headTimer = setTimeout(() => this.fail(this.late()), timeoutMs);
    if (signal?.aborted) this.abort();
    else signal?.addEventListener('abort', this.abort, { once: true });
  }

  private readonly abort = (): void => {
    const reason: unknown = this.signal?.reason;
    this.fail(reason instanceof Error ? reason : Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }));
  };

  /** The error for a socket silent longer than the timeout, or a head later than it. */
  late(): Error {
    return noAnswerWithin(this.what, this.timeoutMs);
  }

  /** Whether silence on the socket is ours (the reader is behind), not the peer's. */
  get waitingForReader(): boolean {
    return this.held || (this.phase === 'body' && this.target === undefined);
  }

  /** Bytes from the socket, while the exchange is its connection's current one; false pauses the socket. */
  bytes(data: Buffer): boolean {
    try {
      return this.phase === 'head' ? this.headPart(data) : this.bodyPart(data);
    } catch (error) {
      this.fail(error as Error);
      return false;
    }
  }

  private headPart(data: Buffer): boolean {
    const before = this.headBytes?.length ?? 0;
    const bytes = this.headBytes === undefined ? data : Buffer.concat([this.headBytes, data]);
    const end = bytes.indexOf(HEAD_END, Math.max(0, before - 3));
    if (end < 0 || end > MAX_HEAD_BYTES) {
      if (bytes.length > MAX_HEAD_BYTES) throw new AnswerProtocolError(`the answer's head is larger than ${MAX_HEAD_BYTES} bytes`);
      this.headBytes = bytes;
      return true;
    }
    this.headBytes = undefined;
    const head = parseAnswerHead(bytes.toString('latin1', 0, end));
    clearTimeout(this.headTimer);
    this.head = head;
    this.phase = 'body';
    if (head.framing.kind === 'length') this.left = head.framing.length;
    if (head.framing.kind === 'chunked') this.chunked = new ChunkedBodyDecoder();
    this.resolveHead({
      status: head.status,
      headers: head.headers,
      length: head.framing.kind === 'length' ? head.framing.length : undefined,
      bodyInto: (into, broken) => this.attach(into, broken),
      discard: () => this.discard(),
    });
    const rest = bytes.subarray(end + HEAD_END.length);
    // An empty body is whole already: bodyPart ends it, with or without bytes after the head.
    return rest.length > 0 || (this.left === 0 && head.framing.kind === 'length') ? this.bodyPart(rest) : true;
  }

  private bodyPart(data: Buffer): boolean {
    const framing = (this.head as AnswerHead).framing.kind;
    if (framing === 'close') {
      this.deliver(data);
    } else if (framing === 'length') {
      const take = Math.min(this.left, data.length);
      this.deliver(take === data.length ? data : data.subarray(0, take));
      this.left -= take;
      if (this.left === 0) this.finish(take < data.length);
    } else {
      const end = (this.chunked as ChunkedBodyDecoder).feed(data, (slice) => this.deliver(slice));
      if (end >= 0) this.finish(end < data.length);
    }
    return !this.waitingForReader;
  }

  /**
   * Gathers small reads of the body into pieces of up to GATHER_BYTES before handing them on. Reads land one after another
   * in the connection's slab, so consecutive slices are joined by widening the view, with no copy: over TLS each
   * read is one record of at most 16 KiB, and each piece handed on costs every later stage a call.
   */
  private deliver(slice: Buffer): void {
    if (slice.length === 0) return;
    const last = this.gathered;
    if (last !== undefined && last.buffer === slice.buffer && last.byteOffset + last.length === slice.byteOffset) {
      this.gathered = Buffer.from(last.buffer, last.byteOffset, last.length + slice.length);
    } else {
      this.handOn();
      this.gathered = slice;
    }
    // A large read (plain HTTP reads are 256 KiB and more) goes on at once: only small ones are worth gathering.
    if (this.gathered.length >= GATHER_BYTES || (this.gathered === slice && slice.length >= GATHER_BELOW)) this.handOn();
    else if (!this.handOnSoon) {
      // Whatever was gathered when the reads of this turn are done goes on at once: never held for more bytes.
      this.handOnSoon = true;
      setImmediate(() => {
        this.handOnSoon = false;
        this.handOn();
      });
    }
  }

  private handOn(): void {
    const piece = this.gathered;
    if (piece === undefined) return;
    this.gathered = undefined;
    if (this.target === undefined) this.waiting.push(piece);
    else if (!this.target.write(piece)) this.held = true;
  }

  /** The body is whole: the reader gets its end; the connection serves another request unless told otherwise. */
  private finish(bytesBeyond: boolean): void {
    this.handOn();
    this.phase = 'done';
    this.signal?.removeEventListener('abort', this.abort);
    if (this.target) this.target.end();
    else this.endedEarly = {};
    this.connection.settled(!bytesBeyond && (this.head as AnswerHead).reusable);
  }

  private attach(into: Writable, broken: (error: Error) => void): void {
    if (this.target !== undefined) throw new Error('an answer\'s body is read once');
    this.target = into;
    this.broken = broken;
    into.on('drain', () => {
      this.held = false;
      if (this.phase === 'body') this.connection.resume();
    });
    into.once('close', () => {
      if (this.phase !== 'done') this.fail(new Error(`the reader of ${this.what} stopped`), false);
    });
    for (const piece of this.waiting) if (!into.write(piece)) this.held = true;
    this.waiting = [];
    if (this.endedEarly?.error) broken(this.endedEarly.error);
    else if (this.endedEarly) into.end();
    else if (!this.held) this.connection.resume();
  }

  private discard(): void {
    if (this.phase !== 'done') this.fail(new Error(`the answer to ${this.what} was not read`), false);
    this.waiting = [];
  }

  /** The peer closed its side: a close-framed body ends, any other answer was cut off. */
  peerEnded(): void {
    if (this.phase === 'body' && (this.head as AnswerHead).framing.kind === 'close') {
      this.finish(false);
      return;
    }
    this.fail(this.phase === 'head' ? this.staleOr(this.closedBeforeAnswer()) : cutOff());
  }

  /** The socket failed or closed. */
  socketFailed(error: Error | undefined): void {
    if (this.phase === 'head' && error === undefined) this.fail(this.staleOr(this.closedBeforeAnswer()));
    else if (this.phase === 'head' && /ECONNRESET|EPIPE/.test(String((error as { code?: unknown }).code))) this.fail(this.staleOr(error as Error));
    else this.fail(error ?? cutOff());
  }

  private closedBeforeAnswer(): Error {
    return Object.assign(new Error(`Scrypted closed the connection before answering ${this.what}`), { code: 'ECONNRESET' });
  }

  /** A kept connection that ended before any byte of the answer went stale while it waited: the GET may go again. */
  private staleOr(error: Error): Error {
    return this.reused && this.headBytes === undefined ? new StaleConnectionError(`the kept connection closed before ${this.what} was answered (${error.message})`) : error;
  }

  /** Ends the exchange with `error`: the head's promise rejects, or the body's reader is told. */
  fail(error: Error, tell = true): void {
    if (this.phase === 'done') return;
    const phase = this.phase;
    this.phase = 'done';
    this.gathered = undefined;
    clearTimeout(this.headTimer);
    this.signal?.removeEventListener('abort', this.abort);
    this.connection.settled(false); // not reusable: closed
    if (phase === 'head') this.rejectHead(error);
    else if (!tell) return;
    else if (this.broken) this.broken(error);
    else this.endedEarly = { error };
  }
}

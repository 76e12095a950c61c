// TCP's slow start, as the shaped link's relay plays it for one connection's upstream bytes (BENCH_LINK
// `...,slowstart`). The uploaders reach the relay over loopback, where their own TCP has no round trip to grow its
// window over, so the relay holds their bytes back instead:
// - a new connection may have 10 segments in flight (the initial window of RFC 6928, Linux's default);
// - every acknowledged byte opens the window by one byte (slow start, RFC 5681 section 3.1), so it doubles each
//   round trip; an acknowledgement comes back one way's delay after its bytes reached the server;
// - a connection idle for a retransmission timeout (Linux: at least 200 ms beyond the round trip) halves its window
//   for each such timeout, down to the initial window (RFC 2861's restart; Linux's tcp_slow_start_after_idle=1,
//   its default), as the daemon's kept connections to GCS are between batches.
// Nothing else shrinks it: the relay's loss keeps its own model, and past slow start its queue rule takes over.
export const SEGMENT_BYTES = 1448;
export const INITIAL_WINDOW_BYTES = 10 * SEGMENT_BYTES;
const MIN_RTO_MS = 200;

export class CongestionWindow {
  private window = INITIAL_WINDOW_BYTES;
  private inFlight = 0;
  /** When the last byte in flight was acknowledged; undefined while bytes are in flight. */
  private idleSince: number | undefined;
  private readonly rtoMs: number;

  constructor(rttMs: number) {
    this.rtoMs = rttMs + MIN_RTO_MS;
  }

  /** Bytes that may go on the link at `now` (ms). */
  room(now: number): number {
    if (this.idleSince !== undefined) {
      const timeouts = Math.floor((now - this.idleSince) / this.rtoMs);
      if (timeouts > 0) this.window = Math.max(INITIAL_WINDOW_BYTES, Math.floor(this.window / 2 ** Math.min(timeouts, 30)));
      this.idleSince = undefined;
    }
    return Math.max(0, this.window - this.inFlight);
  }

  sent(bytes: number): void {
    this.inFlight += bytes;
    this.idleSince = undefined;
  }

  acknowledged(bytes: number, now: number): void {
    this.inFlight -= bytes;
    this.window += bytes;
    if (this.inFlight === 0) this.idleSince = now;
  }

  /** The window now, in bytes (for tests). */
  get bytes(): number {
    return this.window;
  }
}

// The shared cap on upload bytes (UPLOAD_LIMIT): one token bucket per sink, so every upload in flight draws from
// the same budget, and a Transform that each request body passes through on its way to the socket.
//
// The bucket is a "virtual finish time" scheduler (GCRA): each request for n bytes reserves the next n/rate
// seconds of the link right away, in the order the requests come, and waits until its reservation starts less
// than BURST_MS ahead of now. So uploads share the cap first come, first served, nothing is held beyond the
// piece being waited for, and the long-run rate never exceeds the cap by more than one burst. The cap is read
// from the schedule at every request, so a change at 23:00 applies from the next piece on.
import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { limitAt, type UploadLimitSchedule } from './upload-limit-schedule.js';

/** How far ahead of the cap the bucket lets bytes go (its depth, in time at the current rate). */
export const BURST_MS = 50;
/** Largest piece a body is cut into, so that a wait is short and uploads interleave finely. */
const MAX_PIECE = 64 * 1024;
/** Smallest piece (for very low caps, pieces of about BURST_MS worth). */
const MIN_PIECE = 1024;

export interface ThrottleClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemThrottleClock: ThrottleClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

export class UploadThrottle {
  /** When the bytes reserved so far will have gone at the cap (ms since epoch); never in the past once used. */
  private finishAt = 0;
  /** Bytes that went through the bucket (all pieces, capped or not). */
  bytes = 0;

  constructor(
    private readonly schedule: UploadLimitSchedule,
    private readonly clock: ThrottleClock = systemThrottleClock,
  ) {}

  /** The cap now, bytes per second; undefined: none. */
  rateNow(): number | undefined {
    return limitAt(this.schedule, this.clock.now());
  }

  /** The piece size bodies are cut into at the current rate. */
  pieceBytes(): number {
    const rate = this.rateNow();
    if (rate === undefined) return MAX_PIECE;
    return Math.max(MIN_PIECE, Math.min(MAX_PIECE, Math.floor((rate * BURST_MS) / 1000)));
  }

  /** Resolves when `bytes` may be sent; rejects if `signal` aborts first. */
  async take(bytes: number, signal: AbortSignal): Promise<void> {
    this.bytes += bytes;
    const now = this.clock.now();
    const rate = limitAt(this.schedule, now);
    if (rate === undefined) {
      this.finishAt = now;
      return;
    }
    this.finishAt = Math.max(this.finishAt, now) + (bytes * 1000) / rate;
    const waitMs = this.finishAt - now - BURST_MS;
    if (waitMs > 0) await this.clock.sleep(waitMs, signal);
  }

  /** A pass-through for one request body: each piece waits for the bucket before it goes on. */
  transform(): Transform {
    const stop = new AbortController();
    const throttle = this;
    return new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        void (async () => {
          for (let offset = 0; offset < chunk.length; ) {
            const piece = chunk.subarray(offset, offset + throttle.pieceBytes());
            await throttle.take(piece.length, stop.signal);
            offset += piece.length;
            this.push(piece);
          }
        })().then(() => callback(), (error: unknown) => callback(error as Error));
      },
      destroy(error, callback) {
        stop.abort(); // a request that ended (answered early, failed) stops waiting for the bucket
        callback(error);
      },
    });
  }
}

// Moves one camera's watermark as its clips land, with at most one state transaction in flight: clips that land
// while a transaction runs are recorded together by the next one, so many small clips need few transactions.
// The watermark passes a clip only once every earlier clip of the window has landed (advanceOverLanded), and a
// landed clip is always recorded (its id) before or with the watermark that passes it. Between two transactions
// it waits `minIntervalMs` (unless the camera is done): Firestore sustains about one write per second to a
// document, every write is billed, and clips that landed in the meantime only ride along with the next one.
import { clipEnd } from '../core/clip-time.js';
import type { Clip } from '../core/ports.js';
import { advanceOverLanded, type ClipOutcome } from '../core/watermark.js';

/** Writes one advance: the proposed watermark and the ids (with end times) of clips that landed since the last. */
export type CommitAdvance = (next: number, landed: ReadonlyMap<string, number>) => Promise<void>;

export class WatermarkAdvancer {
  private readonly outcomes = new Map<string, ClipOutcome>();
  private pendingLanded = new Map<string, number>();
  private inFlight: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;
  private settling = false;
  private endPause: (() => void) | undefined;

  /**
   * @param watermark the camera's watermark when the run started
   * @param sequence every clip the watermark may pass this run (to upload, and already in the bucket), in order
   * @param alreadyInBucket the clips the state already records as landed
   */
  constructor(
    private watermark: number,
    private readonly sequence: readonly Clip[],
    alreadyInBucket: readonly Clip[],
    private readonly commit: CommitAdvance,
    private readonly minIntervalMs = 0,
  ) {
    for (const clip of alreadyInBucket) this.outcomes.set(clip.id, 'landed');
  }

  /** The watermark the state holds now (as far as this run knows). */
  get current(): number {
    return this.watermark;
  }

  /** True once a commit failed: the caller must stop starting uploads for this camera. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Records a clip's outcome; a landed clip is written with the next advance. */
  record(clip: Clip, outcome: ClipOutcome): void {
    this.outcomes.set(clip.id, outcome);
    if (outcome !== 'landed') return;
    this.pendingLanded.set(clip.id, clipEnd(clip));
    this.startFlush();
  }

  /** Waits until everything recorded is written; throws the commit error if one failed. */
  async settle(): Promise<void> {
    this.settling = true;
    this.endPause?.();
    if (!this.failure && this.proposed() > this.watermark) this.startFlush();
    while (this.inFlight) await this.inFlight;
    if (this.failure) throw this.failure.error;
  }

  private proposed(): number {
    return advanceOverLanded(this.watermark, this.sequence, this.outcomes);
  }

  private startFlush(): void {
    if (this.inFlight) return;
    const flushing = this.flush();
    this.inFlight = flushing;
    void flushing.finally(() => {
      if (this.inFlight === flushing) this.inFlight = undefined;
    });
  }

  /** Commits until nothing is pending; never throws (a failure is kept for `settle`). */
  private async flush(): Promise<void> {
    while (!this.failure) {
      const landed = this.pendingLanded;
      const next = this.proposed();
      if (landed.size === 0 && next <= this.watermark) return;
      this.pendingLanded = new Map();
      try {
        await this.commit(next, landed);
      } catch (error) {
        this.failure = { error };
        return;
      }
      this.watermark = Math.max(this.watermark, next);
      if (!this.settling && this.minIntervalMs > 0) await this.pause(this.minIntervalMs);
    }
  }

  /** Waits `ms`, or less if `settle` is called meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.endPause?.(), ms);
      this.endPause = () => {
        clearTimeout(timer);
        this.endPause = undefined;
        resolve();
      };
    });
  }
}

// Moves one camera's watermark as its clips land, with at most one state transaction in flight: clips that land
// while a transaction runs are recorded together by the next one, so many small clips need few transactions.
// The watermark passes a clip only once every earlier clip of the window has landed (advanceOverLanded), and a
// landed clip is always recorded (its id) before or with the watermark that passes it. Between two transactions
// it waits `minIntervalMs` (the run's default: 5 s): each costs CPU and is billed, Firestore sustains about one
// write per second to a document, and clips that landed in the meantime only ride along with the next one. Once
// every clip has an outcome, nothing more is written here: `finish` hands what is left to the run, which writes it
// with its record.
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
  /** Set by `finish`: no transaction starts after it (what is left goes with the run's record). */
  private closed = false;
  /** Clips of the sequence with no outcome yet: once none is left, what is pending waits for `finish`. */
  private readonly waiting: Set<string>;
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
    this.waiting = new Set(sequence.filter((clip) => !this.outcomes.has(clip.id)).map((clip) => clip.id));
  }

  /** The watermark the state holds now (as far as this run knows). */
  get current(): number {
    return this.watermark;
  }

  /** True once a commit failed: the caller must stop starting uploads for this camera. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Records a clip's outcome; a landed clip is written with the next advance, or, once every clip has an outcome,
   * handed back by `finish` (the run's record writes it).
   */
  record(clip: Clip, outcome: ClipOutcome): void {
    this.outcomes.set(clip.id, outcome);
    this.waiting.delete(clip.id);
    if (outcome !== 'landed') return;
    this.pendingLanded.set(clip.id, clipEnd(clip));
    if (this.waiting.size > 0) this.startFlush();
  }

  /**
   * Ends the advancer once every clip is recorded: waits for the transaction in flight (ending any pause between
   * transactions) and hands back what is left to write, the proposed watermark and the clips landed since the last
   * write, instead of writing it: the run stores it with its record, one transaction less. Undefined when nothing is
   * left; throws the commit error if one failed.
   */
  async finish(): Promise<{ next: number; landed: ReadonlyMap<string, number> } | undefined> {
    this.closed = true;
    this.endPause?.();
    while (this.inFlight) await this.inFlight;
    if (this.failure) throw this.failure.error;
    const next = Math.max(this.watermark, this.proposed());
    const landed = this.pendingLanded;
    if (landed.size === 0 && next <= this.watermark) return undefined;
    this.pendingLanded = new Map();
    return { next, landed };
  }

  /** The run's record stored what `finish` handed back. */
  stored(next: number): void {
    this.watermark = Math.max(this.watermark, next);
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

  /** Commits until nothing is pending; never throws (a failure is kept for `finish`). */
  private async flush(): Promise<void> {
    while (!this.failure && !this.closed && this.waiting.size > 0) {
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
      if (!this.closed && this.minIntervalMs > 0) await this.pause(this.minIntervalMs);
    }
  }

  /** Waits `ms`, or less if `finish` is called meanwhile. */
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

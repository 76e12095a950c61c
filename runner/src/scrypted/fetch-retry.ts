// The retry budget for fetching one clip's bytes from Scrypted, separate from the upload's (GCS_MAX_ATTEMPTS):
// a Scrypted restart takes several seconds (6-8 s measured, up to ~30 s on a slow box), during which the server
// refuses connections, then answers its plugin endpoints with 404/500 until the plugins are up, and forgets
// every token of its last process (docs/scrypted-protocol.md §2, §12). Each clip gets `budgetMs` from its first
// failure, kept across the sink's attempts, so one restart costs a clip one sink attempt, not all of them.
// Listing a camera's clips uses the same budget, per camera.
import { isUnsupportedClipError } from '../core/errors.js';
import { scryptedStatusOf } from './clip-bytes.js';

export interface FetchRetryOptions {
  /** How long a clip's bytes are retried after its first failure (ms). 0: never retried here. */
  budgetMs: number;
  /** First wait between tries (ms); doubles up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  clock?: () => number;
  random?: () => number;
  /** Waits `ms` (or until the signal aborts); tests pass one that moves their clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What to do after a failed try. */
export type RetryVerdict = 'relogin' | 'retry' | 'stop';

/** An error whose answer came from Scrypted itself over RPC (the connection still alive): not a passing outage. */
export function markAnsweredByScrypted(error: unknown): unknown {
  if (error instanceof Error) Object.defineProperty(error, 'answeredByScrypted', { value: true, enumerable: false });
  return error;
}

/** The HTTP status of Scrypted's answer (clip-bytes.ts `ScryptedHttpError`), when the error is one. */
export function httpStatus(error: unknown): number | undefined {
  const status = scryptedStatusOf(error);
  return status !== undefined && status >= 100 && status < 600 ? status : undefined;
}

/**
 * 401: the token died with a restart (log in again). 404/500/502/503/504, 408, 429 and errors without a status
 * (connection refused or reset, the RPC connection closed, a timeout) pass with a restart. An unsupported clip,
 * an abort, another 4xx, an answer that is not a clip, and an error Scrypted answered over a live connection do not.
 */
export function retryVerdict(error: unknown, signal?: AbortSignal): RetryVerdict {
  if (signal?.aborted || isUnsupportedClipError(error)) return 'stop';
  if ((error as { answeredByScrypted?: unknown } | undefined)?.answeredByScrypted === true) return 'stop';
  // An answer that is not a clip (an error page, a wrong content type) came from a live server: no restart to wait out.
  if (error instanceof Error && error.name === 'ClipAnswerError') return 'stop';
  const status = httpStatus(error);
  if (status === undefined) return 'retry';
  if (status === 401) return 'relogin';
  return status === 404 || status === 408 || status === 429 || status >= 500 ? 'retry' : 'stop';
}

/** At most this many clips' deadlines are remembered (the oldest is forgotten first). */
const MAX_TRACKED_CLIPS = 1024;

export class ClipFetchRetry {
  private readonly deadlines = new Map<string, number>();
  /** Since when nothing from Scrypted answered at all (connection refused, reset, closed); undefined once it does. */
  private unreachableSince: number | undefined;
  private readonly clock: () => number;
  private readonly random: () => number;

  constructor(private readonly options: FetchRetryOptions) {
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** The clip's deadline, set at its first failure and kept for the sink's later attempts. */
  private deadlineOf(key: string): number {
    const known = this.deadlines.get(key);
    if (known !== undefined) return known;
    const deadline = this.clock() + this.options.budgetMs;
    if (this.deadlines.size >= MAX_TRACKED_CLIPS) this.deadlines.delete(this.deadlines.keys().next().value as string);
    this.deadlines.set(key, deadline);
    return deadline;
  }

  /**
   * Runs `attempt` until it succeeds, a failure is not worth another try, or the clip's budget is spent.
   * `relogin` runs before the next try after a 401; `onRetry` is told each wait and its reason.
   */
  async run<T>(
    key: string,
    attempt: () => Promise<T>,
    hooks: { relogin(): Promise<void>; onRetry(error: unknown, tries: number, delayMs: number): void; signal?: AbortSignal | undefined },
  ): Promise<T> {
    for (let tries = 1; ; tries += 1) {
      try {
        const result = await attempt();
        this.deadlines.delete(key);
        this.unreachableSince = undefined;
        return result;
      } catch (error) {
        const verdict = retryVerdict(error, hooks.signal);
        if (verdict === 'stop') throw error;
        // A Scrypted that stays away longer than a restart costs the run one budget, not one per clip.
        if (httpStatus(error) !== undefined) this.unreachableSince = undefined;
        else this.unreachableSince ??= this.clock();
        const outageEnd = this.unreachableSince === undefined ? Infinity : this.unreachableSince + this.options.budgetMs;
        const left = Math.min(this.deadlineOf(key), outageEnd) - this.clock();
        if (left <= 0) throw error;
        const delayMs = verdict === 'relogin' && tries === 1 ? 0 : Math.min(left, this.delay(tries));
        hooks.onRetry(error, tries, delayMs);
        if (delayMs > 0) await (this.options.sleep ?? sleep)(delayMs, hooks.signal);
        if (verdict === 'relogin') await hooks.relogin().catch(() => undefined); // a failed login is the next try's reason
      }
    }
  }

  /** Exponential with half jitter: between half and all of base * 2^(tries-1), capped. */
  private delay(tries: number): number {
    const full = Math.min(this.options.maxDelayMs ?? 4000, (this.options.baseDelayMs ?? 250) * 2 ** (tries - 1));
    return Math.round(full / 2 + (this.random() * full) / 2);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

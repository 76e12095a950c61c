// The StateStore port on Firestore: one document per site; every change is a read-modify-write whose write
// Firestore refuses if the document changed since the read (versioned-document.ts), so two runners racing never
// lose an update and the watermark never moves backwards.
import { FieldValue, Firestore, type DocumentReference } from '@google-cloud/firestore';
import type { CameraAdvance, ClipIssue, LeaseOutcome, NewCamera, RunCounters, SiteState, StateStore } from '../core/ports.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyClipIssue } from '../core/clip-issues.js';
import { FUTURE_TOLERANCE_MS, isoOrRaw } from '../core/state-limits.js';
import { keepRepairs, repairFutureWatermarks, untrustworthyLease } from '../core/state-repair.js';
import { markListed, mergeCameraAdvance, newCameraAdvance, siteWatermark } from '../core/watermark.js';
import { decodeSiteState, encodeSiteState, fitToBudget } from './document-codec.js';
import { readVersion, serverNowFrom, STALE_VERSION, writeIfUnchanged, type DocumentVersion } from './versioned-document.js';

export interface FirestoreStoreOptions {
  projectId: string;
  databaseId: string;
  documentPath: string;
  keyFilename: string | undefined;
  initialWatermark: number;
  /** How long to keep retrying a transaction that aborts on contention (default 2 min). */
  contentionBudgetMs?: number;
  /** How long to keep retrying a call cut off because Firestore is unreachable (default UNREACHABLE_BUDGET_MS). */
  unreachableBudgetMs?: number;
  /** Where a camera whose stored watermark is in the future starts again: now - backfill (default 24 h). */
  backfillMs?: number;
  /** GCS_BUCKET_NAME: stamped into a document that names no bucket yet (a document keeps its first bucket). */
  bucket?: string | undefined;
  /** Told (a sentence for a person) when a transaction waits to be tried again: contention or Firestore unreachable. */
  onRetry?: (notice: { event: 'state.contention' | 'state.unreachable' | 'state.waiting'; message: string; attempt: number }) => void;
}

/** What a transaction's change sees: the state (repaired), whether the document exists, and Firestore's clock. */
interface Seen {
  state: SiteState;
  exists: boolean;
  /** Firestore's time of the read (ms). */
  serverNow: number;
}

/** gRPC status ABORTED: the transaction lost a conflict or a lock timed out. */
const ABORTED = 10;
/** gRPC statuses DEADLINE_EXCEEDED and UNAVAILABLE: Firestore could not be reached. */
const UNREACHABLE = new Set([4, 14]);
/** A transaction that fails as unreachable is tried again until this long after its first attempt began. */
const UNREACHABLE_BUDGET_MS = 30_000;
/** After Firestore was unreachable, later calls fail at once for this long instead of each waiting ~45 s. */
const UNREACHABLE_SHORTCUT_MS = 60_000;

/** A transaction attempt still running after this long is reported (state.waiting). */
const SLOW_NOTICE_MS = 10_000;

const UNREACHABLE_ADVICE = 'Firestore is unreachable: check GCS_PROJECT_ID, FIRESTORE_DATABASE and this host\'s network (and FIRESTORE_EMULATOR_HOST, if set)';

function retryNotice(unreachable: boolean, what: string, where: string, reason: string, attempt: number, until: number) {
  const left = Math.max(0, Math.round((until - Date.now()) / 1000));
  return unreachable
    ? { event: 'state.unreachable' as const, attempt, message: `${UNREACHABLE_ADVICE} (${what} on ${where}: ${reason}); retrying for up to ${left} s more` }
    : {
        event: 'state.contention' as const,
        attempt,
        message: `the state document ${where} is busy (${what}: ${reason}; another runner writing at the same moment, or a lock a stopped client left); retrying for up to ${left} s more, no clip is lost meanwhile`,
      };
}

/** A write refused because the runner's clock is ahead of Firestore's. */
export class ClockAheadError extends Error {
  override readonly name = 'ClockAheadError';
}

/**
 * The state with one camera's advance merged (never backwards) and the site watermark recomputed. A watermark ahead
 * of Firestore's clock can only come from a runner whose clock is ahead: never stored (ClockAheadError).
 */
function withAdvance(state: SiteState, advance: CameraAdvance, serverNow: number): SiteState {
  if (advance.lastTimestamp > serverNow + FUTURE_TOLERANCE_MS) {
    throw new ClockAheadError(
      `refusing to store watermark ${isoOrRaw(advance.lastTimestamp)} for camera ${advance.name}: it is ahead of Firestore's clock ` +
        `(${isoOrRaw(serverNow)}); this machine's clock is probably ahead: set it right (NTP) and run again`,
    );
  }
  const cameras = new Map(state.cameras);
  cameras.set(advance.cameraId, mergeCameraAdvance(state.cameras.get(advance.cameraId), advance));
  return { ...state, cameras, lastTimestamp: siteWatermark(state.lastTimestamp, cameras, serverNow) };
}

export class FirestoreStateStore implements StateStore {
  private readonly db: Firestore;
  private readonly ref: DocumentReference;

  private readonly contentionBudgetMs: number;
  private unreachable: { until: number; reason: string } | undefined;
  /** The document as this store last read or wrote it: the base of its next write (undefined: read first). */
  private version: DocumentVersion | undefined;

  /** State operations attempted (a read, or a change written against a version) and writes, for the summary and the benchmark. */
  readonly requests = { transactions: 0, writes: 0 };

  constructor(private readonly options: FirestoreStoreOptions) {
    this.contentionBudgetMs = options.contentionBudgetMs ?? 120_000;
    this.db = new Firestore({
      projectId: options.projectId,
      databaseId: options.databaseId,
      ...(options.keyFilename ? { keyFilename: options.keyFilename } : {}),
    });
    this.ref = this.db.doc(options.documentPath);
  }

  /**
   * Runs `change` on the current state and writes the result when it returns one, with optimistic concurrency
   * (versioned-document.ts): the write is refused if the document changed since the version `change` saw, and
   * is then judged again on a fresh read, so two runners racing never lose an update and the watermark never moves
   * backwards. The version is the one this store last read or wrote, so a runner alone makes one round trip a write;
   * an answer that writes nothing, or refuses, is only given from a fresh read (`fresh` always reads).
   * Conflicts (and ABORTED, a lock another client's transaction holds) are retried until `contentionBudgetMs` has
   * passed (found by the fault harness, runner/faults/run.ts).
   * An unreachable Firestore is different: a call cut off by a dropped connection fails at once and is tried again
   * here for up to UNREACHABLE_BUDGET_MS. Once Firestore is given up on, the calls that follow in the next minute
   * (other cameras' advances, the run record, the lease release) fail at once, so a run with Firestore down ends
   * in under a minute instead of hanging (both found by the fault harness).
   */
  private async transact<T>(what: string, change: (seen: Seen) => { write?: SiteState; result: T }, fresh = false): Promise<T> {
    const deadline = Date.now() + this.contentionBudgetMs;
    const unreachableDeadline = Date.now() + (this.options.unreachableBudgetMs ?? UNREACHABLE_BUDGET_MS);
    const where = `${this.options.databaseId}/${this.options.documentPath}`;
    let trustLast = !fresh;
    for (let attempt = 1; ; attempt += 1) {
      if (this.unreachable && Date.now() < this.unreachable.until) {
        throw new Error(`Firestore ${what} on ${where} not tried: Firestore was unreachable moments ago (${this.unreachable.reason})`);
      }
      // A connection that is never refused nor accepted takes the client ~45 s to give up: say so meanwhile.
      const slow = setTimeout(() => {
        this.options.onRetry?.({
          event: 'state.waiting',
          attempt,
          message: `Firestore has not answered for ${SLOW_NOTICE_MS / 1000} s (${what} on ${where}); still trying. If it stays so: ${UNREACHABLE_ADVICE}`,
        });
      }, SLOW_NOTICE_MS);
      const last = trustLast ? this.version : undefined;
      try {
        this.requests.transactions += 1;
        const base = last ?? (this.version = await readVersion(this.ref));
        let outcome: { write?: SiteState; result: T };
        try {
          outcome = change(this.seen(base.data, base.exists, last ? serverNowFrom(last) : base.serverAt));
        } catch (error) {
          if (!last) throw error;
          trustLast = false; // refused on the version this store last wrote: judged again on a fresh read
          continue;
        }
        if (!outcome.write) {
          if (!last) return outcome.result;
          trustLast = false; // an answer that writes nothing comes from a fresh read
          continue;
        }
        this.requests.writes += 1;
        // Only the runner's own fields are replaced: anything else in the document (a note, another tool's field)
        // stays as it is.
        const bound = { ...outcome.write, bucket: outcome.write.bucket ?? this.options.bucket };
        this.version = await writeIfUnchanged(this.db, this.ref, base, encodeSiteState(fitToBudget(bound)));
        return outcome.result;
      } catch (error) {
        clearTimeout(slow);
        this.version = undefined;
        trustLast = false;
        const code = (error as { code?: unknown }).code;
        const unreachable = typeof code === 'number' && UNREACHABLE.has(code);
        const contended = code === ABORTED || (typeof code === 'number' && STALE_VERSION.has(code));
        const now = Date.now();
        const reason = error instanceof Error ? error.message : String(error);
        // A write refused because another runner wrote since this store's last version: read again at once.
        if (contended && last && now < deadline) continue;
        if ((contended && now < deadline) || (unreachable && now < unreachableDeadline)) {
          // One line at the first wait and then every few attempts, so a person sees why the run is quiet.
          if (attempt === 1 || attempt % 5 === 0) this.options.onRetry?.(retryNotice(unreachable, what, where, reason, attempt, unreachable ? unreachableDeadline : deadline));
          await sleep(Math.min(5000, 250 * 2 ** Math.min(attempt, 5)));
          continue;
        }
        if (error instanceof ClockAheadError) throw error;
        if (unreachable) this.unreachable = { until: Date.now() + UNREACHABLE_SHORTCUT_MS, reason };
        throw new Error(`Firestore ${what} on ${where} failed: ${reason}${unreachable ? `: ${UNREACHABLE_ADVICE}` : ''}`);
      } finally {
        clearTimeout(slow);
      }
    }
  }

  /** Decodes a snapshot and repairs what must never be trusted (malformed or future values), judged by Firestore's clock. */
  private seen(data: Record<string, unknown> | undefined, exists: boolean, serverNow: number): Seen {
    const decoded = decodeSiteState(data, { initialWatermark: this.options.initialWatermark, now: serverNow });
    const withDecodeRepairs = { ...decoded.state, repairs: keepRepairs(decoded.state.repairs, decoded.repairs) };
    const repaired = repairFutureWatermarks(withDecodeRepairs, { now: serverNow, backfillMs: this.options.backfillMs ?? 24 * 3_600_000 });
    const found = [...decoded.repairs, ...repaired.repairs];
    return { state: { ...repaired.state, readAt: serverNow, found: found.length > 0 ? found : undefined }, exists, serverNow };
  }

  read(): Promise<SiteState> {
    return this.transact('read', ({ state, exists }) => ({ write: exists ? undefined : state, result: state }), true);
  }

  acquireLease(owner: string, ttlMs: number, now: number, newCameras: readonly NewCamera[] = []): Promise<LeaseOutcome> {
    return this.transact('lease', ({ state, serverNow }): { write?: SiteState; result: LeaseOutcome } => {
      const held = state.lease;
      const distrust = held && held.owner !== owner ? untrustworthyLease(held, Math.max(now, serverNow), ttlMs) : undefined;
      if (held && held.owner !== owner && held.expiresAt > now && !distrust) return { result: { acquired: false, heldBy: held } };
      const lease = { owner, expiresAt: now + ttlMs };
      const repairs = distrust ? keepRepairs(state.repairs, [{ at: serverNow, what: `${distrust}; taken over by ${owner}` }]) : state.repairs;
      const unknown = newCameras.filter((camera) => !state.cameras.has(camera.cameraId));
      const registered = unknown.reduce((site, camera) => withAdvance(site, newCameraAdvance(camera), serverNow), state);
      const next = { ...registered, lease, repairs };
      return { write: next, result: { acquired: true, lease, state: next } };
    });
  }

  renewLease(owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.transact('lease renewal', ({ state }) =>
      state.lease?.owner === owner ? { write: { ...state, lease: { owner, expiresAt: now + ttlMs } }, result: true } : { result: false },
    );
  }

  advanceCamera(advance: CameraAdvance): Promise<SiteState> {
    return this.transact('watermark advance', ({ state, serverNow }) => {
      const next = withAdvance(state, advance, serverNow);
      return { write: next, result: next };
    });
  }

  recordClipIssue(cameraId: string, cameraName: string, issue: ClipIssue): Promise<void> {
    return this.transact('clip issue record', ({ state }) => {
      const cameras = new Map(state.cameras);
      cameras.set(cameraId, applyClipIssue(state.cameras.get(cameraId), cameraName, issue));
      return { write: { ...state, cameras }, result: undefined };
    });
  }

  recordRun(counters: RunCounters, listedCameraIds: readonly string[] = [], releaseLeaseOf?: string, advances: readonly CameraAdvance[] = []): Promise<SiteState> {
    const what = `run record${advances.length > 0 ? ' with the last watermark advances' : ''}${releaseLeaseOf === undefined ? '' : ' and lease release'}`;
    return this.transact(what, ({ state: read, serverNow }) => {
      const state = advances.reduce((site, advance) => withAdvance(site, advance, serverNow), read);
      const cameras = markListed(state.cameras, listedCameraIds, Math.min(counters.finishedAt, serverNow));
      const lastTimestamp = siteWatermark(state.lastTimestamp, cameras, serverNow);
      const lease = releaseLeaseOf !== undefined && state.lease?.owner === releaseLeaseOf ? undefined : state.lease;
      const next = { ...state, cameras, lastTimestamp, lastRun: { ...counters }, lease };
      return { write: next, result: next };
    });
  }

  /** For `check`: reads the document and writes only `checkedAt`, in one transaction. */
  async probeReadWrite(): Promise<void> {
    await this.db.runTransaction(async (tx) => {
      await tx.get(this.ref);
      tx.set(this.ref, { checkedAt: FieldValue.serverTimestamp() }, { merge: true });
    });
  }

  async close(): Promise<void> {
    await this.db.terminate();
  }
}

// One Firestore document read and written with optimistic concurrency: a write names the version (the update time)
// it was computed from, and Firestore refuses it if the document changed since (FAILED_PRECONDITION) or, for a
// document that did not exist, if it exists now (ALREADY_EXISTS). A write is one round trip where a transaction is
// two (its first read begins it, then the commit), and the version a write returns is the base of the next one.
// Preconditions: https://cloud.google.com/firestore/docs/reference/rpc/google.firestore.v1#precondition
import { FieldValue, Timestamp, type DocumentReference, type Firestore, type WriteBatch } from '@google-cloud/firestore';
import { performance } from 'node:perf_hooks';

export interface DocumentVersion {
  data: Record<string, unknown> | undefined;
  exists: boolean;
  /** Firestore's version of the document (its update time); undefined when it does not exist. */
  updateTime: Timestamp | undefined;
  /** Firestore's clock when this version was read or written (ms). */
  serverAt: number;
  /** This process's clock that never jumps, at the same moment (ms). */
  localAt: number;
}

/** gRPC statuses of a write whose base version is no longer the document's: FAILED_PRECONDITION, ALREADY_EXISTS. */
export const STALE_VERSION = new Set([9, 6]);

export async function readVersion(ref: DocumentReference): Promise<DocumentVersion> {
  const snapshot = await ref.get();
  return { data: snapshot.data(), exists: snapshot.exists, updateTime: snapshot.updateTime, serverAt: snapshot.readTime.toMillis(), localAt: performance.now() };
}

/** Firestore's clock now, carried forward from a version by the clock that never jumps. */
export function serverNowFrom(version: DocumentVersion): number {
  return version.serverAt + Math.max(0, performance.now() - version.localAt);
}

/**
 * Replaces the top-level `fields` (and `updatedAt`, from the server's clock) if the document is still at `base`;
 * other fields stay as they are. Returns the new version.
 */
export async function writeIfUnchanged(db: Firestore, ref: DocumentReference, base: DocumentVersion, fields: Record<string, unknown>): Promise<DocumentVersion> {
  const batch = db.batch();
  const stamped = { ...fields, updatedAt: FieldValue.serverTimestamp() };
  if (base.exists && base.updateTime) batch.update(ref, stamped, { lastUpdateTime: base.updateTime });
  else batch.create(ref, stamped);
  const written = versionOf(await commitOnce(batch));
  return { data: { ...base.data, ...fields, updatedAt: written }, exists: true, updateTime: written, serverAt: written.toMillis(), localAt: performance.now() };
}

/** The answer to a commit, as the library's own commit method gives it (the API's CommitResponse). */
interface CommitAnswer {
  writeResults?: Array<{ updateTime?: { seconds?: unknown; nanos?: unknown } | null }> | null;
}

/**
 * Sends the batch once. `WriteBatch.commit()` has the client library retry an unreachable Firestore for up to
 * 10 minutes (its service config: UNAVAILABLE and ABORTED, 600 s in all), which would keep a run with Firestore down
 * alive that long; the store retries for itself, within its own budgets (firestore-state-store.ts). So the batch
 * goes through the method the library's own transactions commit with, given no code to retry. The library is pinned
 * exactly (runner/package.json); if the method is gone, this fails loudly rather than retrying for minutes.
 */
async function commitOnce(batch: WriteBatch): Promise<CommitAnswer> {
  const internal = batch as unknown as { _commit?: (options: { retryCodes: number[] }) => Promise<CommitAnswer> };
  if (typeof internal._commit !== 'function') throw new Error('@google-cloud/firestore has no WriteBatch._commit: the state store needs the version pinned in runner/package.json');
  return internal._commit.call(batch, { retryCodes: [] });
}

/** The document's new version from a commit's answer (its one write's update time). */
function versionOf(answer: CommitAnswer): Timestamp {
  const time = answer.writeResults?.[0]?.updateTime;
  const seconds = Number(time?.seconds);
  const nanos = Number(time?.nanos ?? 0);
  if (!Number.isSafeInteger(seconds) || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) {
    throw new Error(`Firestore answered a write without a usable update time (${JSON.stringify(time)})`);
  }
  return new Timestamp(seconds, nanos);
}

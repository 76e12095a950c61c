// One Firestore document read and written with optimistic concurrency: a write names the version (the update time)
// it was computed from, and Firestore refuses it if the document changed since (FAILED_PRECONDITION) or, for a
// document that did not exist, if it exists now (ALREADY_EXISTS). A write is one round trip where a transaction is
// two (its first read begins it, then the commit), and the version a write returns is the base of the next one.
// Preconditions: https://cloud.google.com/firestore/docs/reference/rpc/google.firestore.v1#precondition
import { FieldValue, type DocumentReference, type Firestore, type Timestamp } from '@google-cloud/firestore';
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
  const [result] = await batch.commit();
  if (!result) throw new Error('Firestore answered a write with no result');
  const written = result.writeTime;
  return { data: { ...base.data, ...fields, updatedAt: written }, exists: true, updateTime: written, serverAt: written.toMillis(), localAt: performance.now() };
}

// An in-memory StateStore for core and job tests. Two instances built on one `shared` object act like two
// runners on one Firestore document. Each call reads and writes the shared document atomically (one tick).
import { applyClipIssue } from '../../src/core/clip-issues.js';
import type { CameraAdvance, ClipIssue, LeaseOutcome, NewCamera, RunCounters, SiteState, StateStore } from '../../src/core/ports.js';
import { markListed, mergeCameraAdvance, newCameraAdvance, siteWatermark } from '../../src/core/watermark.js';

export interface SharedDocument {
  doc: SiteState | undefined;
}

function applyAdvance(doc: SiteState, advance: CameraAdvance): void {
  doc.cameras.set(advance.cameraId, mergeCameraAdvance(doc.cameras.get(advance.cameraId), advance));
  doc.lastTimestamp = siteWatermark(doc.lastTimestamp, doc.cameras, advance.at);
}

export class MemoryStateStore implements StateStore {
  private failures = 0;
  readonly shared: SharedDocument;

  constructor(shared: SharedDocument = { doc: undefined }, private readonly initialWatermark = 0) {
    this.shared = shared;
  }

  /** The next `count` calls reject, as a store that is unreachable would. */
  failNext(count: number): void {
    this.failures = count;
  }

  private async step<T>(change: (doc: SiteState) => T): Promise<T> {
    await Promise.resolve();
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('state store unavailable (injected)');
    }
    const doc = (this.shared.doc ??= { lastTimestamp: this.initialWatermark, cameras: new Map(), lease: undefined, lastRun: undefined, repairs: [] });
    const result = change(doc);
    return structuredClone(result);
  }

  read(): Promise<SiteState> {
    return this.step((doc) => doc);
  }

  acquireLease(owner: string, ttlMs: number, now: number, newCameras: readonly NewCamera[] = []): Promise<LeaseOutcome> {
    return this.step((doc): LeaseOutcome => {
      if (doc.lease && doc.lease.owner !== owner && doc.lease.expiresAt > now) return { acquired: false, heldBy: { ...doc.lease } };
      for (const camera of newCameras.filter((c) => !doc.cameras.has(c.cameraId))) applyAdvance(doc, newCameraAdvance(camera));
      doc.lease = { owner, expiresAt: now + ttlMs };
      return { acquired: true, lease: { ...doc.lease }, state: doc };
    });
  }

  renewLease(owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.step((doc) => {
      if (doc.lease?.owner !== owner) return false;
      doc.lease = { owner, expiresAt: now + ttlMs };
      return true;
    });
  }

  advanceCamera(advance: CameraAdvance): Promise<SiteState> {
    return this.step((doc) => {
      applyAdvance(doc, advance);
      return doc;
    });
  }

  recordClipIssue(cameraId: string, cameraName: string, issue: ClipIssue): Promise<void> {
    return this.step((doc) => {
      doc.cameras.set(cameraId, applyClipIssue(doc.cameras.get(cameraId), cameraName, issue));
    });
  }

  recordRun(counters: RunCounters, listedCameraIds: readonly string[] = [], releaseLeaseOf?: string, advances: readonly CameraAdvance[] = []): Promise<SiteState> {
    return this.step((doc) => {
      for (const advance of advances) applyAdvance(doc, advance);
      if (releaseLeaseOf !== undefined && doc.lease?.owner === releaseLeaseOf) doc.lease = undefined;
      doc.cameras = markListed(doc.cameras, listedCameraIds, counters.finishedAt);
      doc.lastTimestamp = siteWatermark(doc.lastTimestamp, doc.cameras, counters.finishedAt);
      doc.lastRun = { ...counters };
      return doc;
    });
  }
}

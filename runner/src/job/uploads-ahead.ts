// The uploads a watch run starts while its lease's write is still crossing the uplink (docs/watch.md, "Uploads
// ahead of the lease"). They are planned against the state the watch's last write returned, and send their
// bytes at once, but hold back their last bytes (no object exists before a request's body is complete) and count
// nothing until the lease is had on that same state: `open` lets them finish. `refuse` (the lease is another
// runner's, or the state changed since that write) aborts them: their requests are destroyed unfinished, so no
// object is created, nothing is counted and no state is written; the run plans those cameras again.
// Only UPLOADS_AHEAD_OF_THE_LEASE of them start before the lease's answer; the others start once it came (docs/watch.md,
// "One upload ahead"): every upload that goes ahead sends its last bytes when the lease answers, behind the link's
// whole queue, so several of them end together and the link then waits a round trip with nothing to send.
import { isDeepStrictEqual } from 'node:util';
import type { SiteState } from '../core/ports.js';
import { reportAndBackUp, type CameraBackupContext, type FinalAdvance, type PlannedCamera } from './camera-backup.js';
import { runBounded } from './pool.js';
import { RunTally } from './tally.js';

export interface UploadsAhead {
  /** The cameras whose uploads started. */
  readonly cameraIds: ReadonlySet<string>;
  /** Whether the state the lease was taken on holds these cameras exactly as they were planned on. */
  plannedOn(site: SiteState): boolean;
  /** The lease is had on that state: the uploads may create their objects and count. */
  open(): void;
  /** The lease is not had, or not on that state: the uploads create nothing and count nothing. */
  refuse(reason: string): void;
  /** Settles once every started upload ended (after `open` or `refuse`): the counts and the cameras' last advances. */
  readonly done: Promise<{ tally: RunTally; finals: FinalAdvance[] }>;
}

/** How many uploads start before the lease's answer (the first ones asked for; the rest wait for it). */
export const UPLOADS_AHEAD_OF_THE_LEASE = 1;

export function startUploadsAhead(planned: PlannedCamera[], seen: SiteState, context: CameraBackupContext, cameraConcurrency: number): UploadsAhead {
  const tally = new RunTally();
  const stop = new AbortController();
  let open!: () => void;
  let refuse!: (error: Error) => void;
  const leaseGate = new Promise<void>((resolve, reject) => {
    open = resolve;
    refuse = reject;
  });
  leaseGate.catch(() => undefined); // the uploads read it; a refusal is no error of this promise's own
  const answered = leaseGate.then(() => 'go' as const, () => 'refused' as const);
  let aheadLeft = UPLOADS_AHEAD_OF_THE_LEASE;
  const startTurn = () => (aheadLeft-- > 0 ? Promise.resolve('go' as const) : answered);
  const ahead: CameraBackupContext = { ...context, tally, leaseGate, startTurn, signal: AbortSignal.any([context.signal, stop.signal]) };
  const finals: FinalAdvance[] = [];
  const done = runBounded(planned, cameraConcurrency, (camera) => reportAndBackUp(camera, ahead, finals)).then(() => ({ tally, finals }));
  const cameraIds = new Set(planned.map((camera) => camera.listing.camera.id));
  return {
    cameraIds,
    plannedOn: (site) => [...cameraIds].every((id) => isDeepStrictEqual(seen.cameras.get(id), site.cameras.get(id))),
    open,
    refuse: (reason) => {
      const error = new Error(`uploads started ahead of the lease were stopped: ${reason}`);
      stop.abort(error); // first: the uploads' own signal, so none of them is retried or counted
      refuse(error);
    },
    done,
  };
}

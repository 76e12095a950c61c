// Checks on the stored state that no clock or hand edit may defeat, pure. A watermark far in the future (a runner
// whose clock was ahead, a tampered document) would make every later run back up nothing and say "complete", so
// it is never trusted: it is reset to where a camera seen for the first time starts (now - BACKFILL), and the
// repair is logged, kept in the document and shown by `status`. A lease that expires further ahead than the
// configured TTL is not a lease either (a killed runner with a skewed clock left it).
import type { Lease, SiteState, StateRepair } from './ports.js';
import { boundedText, FUTURE_TOLERANCE_MS, isoOrRaw, MAX_REPAIRS_KEPT } from './state-limits.js';
import { isCurrentCamera } from './watermark.js';

export interface RepairContext {
  now: number;
  backfillMs: number;
  toleranceMs?: number;
}

/** Where a camera whose watermark cannot be trusted starts again: like a camera seen for the first time. */
export function restartPoint(now: number, backfillMs: number): number {
  return Math.max(0, now - backfillMs);
}

/**
 * Resets every watermark later than now + tolerance. Returns the repaired state (with the repairs appended to
 * its kept list) and the repairs made now; the state is unchanged when there is nothing to repair.
 */
export function repairFutureWatermarks(state: SiteState, context: RepairContext): { state: SiteState; repairs: StateRepair[] } {
  const limit = context.now + (context.toleranceMs ?? FUTURE_TOLERANCE_MS);
  const start = restartPoint(context.now, context.backfillMs);
  const repairs: StateRepair[] = [];
  const cameras = new Map(state.cameras);
  for (const [id, camera] of state.cameras) {
    if (camera.lastTimestamp <= limit) continue;
    cameras.set(id, { ...camera, lastTimestamp: start });
    repairs.push({
      at: context.now,
      what: `camera ${camera.name || id}: watermark ${isoOrRaw(camera.lastTimestamp)} was in the future (a clock ahead, or an edited document); reset to now - BACKFILL (${isoOrRaw(start)})`,
    });
  }
  let lastTimestamp = state.lastTimestamp;
  if (lastTimestamp > limit) {
    const current = [...cameras.values()].filter((camera) => isCurrentCamera(camera, context.now)).map((camera) => camera.lastTimestamp);
    lastTimestamp = current.length > 0 ? Math.min(...current) : start;
    repairs.push({ at: context.now, what: `site lastTimestamp ${isoOrRaw(state.lastTimestamp)} was in the future; reset to ${isoOrRaw(lastTimestamp)}` });
  }
  if (repairs.length === 0) return { state, repairs };
  return { state: { ...state, cameras, lastTimestamp, repairs: keepRepairs(state.repairs, repairs) }, repairs };
}

export function keepRepairs(kept: readonly StateRepair[], added: readonly StateRepair[]): StateRepair[] {
  return [...kept, ...added].slice(-MAX_REPAIRS_KEPT).map((repair) => ({ at: repair.at, what: boundedText(repair.what, 400) }));
}

/** Why a stored lease is not a lease (it expires later than a lease taken now could), or undefined when it is one. */
export function untrustworthyLease(lease: Lease, now: number, ttlMs: number, toleranceMs = FUTURE_TOLERANCE_MS): string | undefined {
  if (lease.expiresAt <= now + ttlMs + toleranceMs) return undefined;
  return `the lease of ${lease.owner} expires at ${isoOrRaw(lease.expiresAt)}, later than now + LEASE_SECONDS: a runner with a skewed clock (or an edit) left it; it is not honoured`;
}

// The recovery point of a clip: how long after its end its object existed in the bucket (ms). A camera's state
// keeps the last one and the worst of the UTC day it was measured in, for `status`. Pure.

/** One batch of clips of a camera that landed (the last measured, and the worst among them). */
export interface RecoveryMeasure {
  /** Recovery point of the clip that landed last in the batch (ms). */
  lastMs: number;
  /** The largest recovery point in the batch (ms). */
  worstMs: number;
  /** When the batch's last clip landed (the runner's clock, ms). */
  at: number;
}

/** What a camera's state records: the last recovery point and the worst of `day` (UTC midnight, ms). */
export interface RecoveryRecord {
  lastMs: number;
  lastAt: number;
  day: number;
  worstOfDayMs: number;
}

const DAY_MS = 86_400_000;

export const utcDayOf = (time: number): number => Math.floor(time / DAY_MS) * DAY_MS;

/** The clip's recovery point: landed minus its end, never below 0 (a clock step cannot make it negative). */
export function recoveryPointMs(clipEndMs: number, landedAt: number): number {
  return Math.max(0, landedAt - clipEndMs);
}

/** Adds one measured clip to a batch. */
export function addToBatch(batch: RecoveryMeasure | undefined, recoveryMs: number, at: number): RecoveryMeasure {
  if (!batch) return { lastMs: recoveryMs, worstMs: recoveryMs, at };
  return at >= batch.at ? { lastMs: recoveryMs, worstMs: Math.max(batch.worstMs, recoveryMs), at } : { ...batch, worstMs: Math.max(batch.worstMs, recoveryMs) };
}

/** Merges a batch into the stored record: the newer `last` wins; the worst restarts with each UTC day. */
export function mergeRecovery(stored: RecoveryRecord | undefined, batch: RecoveryMeasure | undefined): RecoveryRecord | undefined {
  if (!batch) return stored;
  const day = utcDayOf(batch.at);
  const newer = !stored || batch.at >= stored.lastAt;
  const last = newer ? { lastMs: batch.lastMs, lastAt: batch.at } : { lastMs: stored.lastMs, lastAt: stored.lastAt };
  if (!stored || day > stored.day) return { ...last, day, worstOfDayMs: batch.worstMs };
  if (day < stored.day) return { ...stored, ...last };
  return { ...last, day, worstOfDayMs: Math.max(stored.worstOfDayMs, batch.worstMs) };
}

/** The worst of the day `now` falls in, or undefined when the record is of an earlier day. */
export function worstOfToday(record: RecoveryRecord | undefined, now: number): number | undefined {
  return record && record.day === utcDayOf(now) ? record.worstOfDayMs : undefined;
}

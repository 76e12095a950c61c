// Counters of one run, shared by the cameras' tasks, and the one-line summary printed at the end.

export interface RunCounts {
  cameras: number;
  planned: number;
  uploaded: number;
  existing: number;
  failed: number;
  unsupported: number;
  invalid: number;
  stillRecording: number;
  /** Uploads stopped by SIGTERM/SIGINT: not failed, the next run uploads them again. */
  abandoned: number;
  /** Watermark writes that could not be stored (the clips are in the bucket; the next run records them). */
  stateWritesFailed: number;
  bytes: number;
}

export class RunTally {
  readonly counts: RunCounts = {
    cameras: 0, planned: 0, uploaded: 0, existing: 0, failed: 0, unsupported: 0, invalid: 0, stillRecording: 0, abandoned: 0, stateWritesFailed: 0, bytes: 0,
  };
  /** Object names a dry run would have written. */
  readonly dryRunObjects: string[] = [];

  add(delta: Partial<RunCounts>): void {
    for (const [key, value] of Object.entries(delta) as Array<[keyof RunCounts, number]>) this.counts[key] += value;
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * A run is complete when no clip failed, none was unsupported, none was invalid (unusable, future, too long),
 * none was abandoned and every watermark write was stored.
 */
export function isComplete(counts: RunCounts): boolean {
  return counts.failed === 0 && counts.unsupported === 0 && counts.invalid === 0 && counts.abandoned === 0 && counts.stateWritesFailed === 0;
}

export function summaryLine(counts: RunCounts, durationMs: number): string {
  return (
    `backup ${isComplete(counts) ? 'complete' : 'incomplete'}: ` +
    `${counts.cameras} camera(s), ${counts.uploaded} clip(s) uploaded (${formatBytes(counts.bytes)}), ` +
    `${counts.existing} already in bucket, ${counts.failed} failed, ${counts.unsupported} unsupported, ` +
    `${counts.invalid} invalid, ${counts.stillRecording} still recording` +
    (counts.abandoned > 0 ? `, ${counts.abandoned} abandoned (stopped; the next run uploads them)` : '') +
    (counts.stateWritesFailed > 0 ? `, ${counts.stateWritesFailed} watermark write(s) failed (the clips are in the bucket; the next run records them)` : '') +
    `, in ${(durationMs / 1000).toFixed(1)} s`
  );
}

// Which prefixes to list for a time range, pure: the UTC days the range covers whole (`{camera}/{yyyy}/{MM}/{dd}/`)
// and the UTC hours of the days it covers in part (`{camera}/{yyyy}/{MM}/{dd}/{HH}-`), so a listing reads the
// range's objects and few others, never the whole bucket. Object names are UTC (core/object-name.ts).
import type { TimeRange } from './time-range.js';

/** Clips that started this long before the range are still listed, so one that runs into the range is found. */
export const OVERLAP_MS = 3_600_000;

const HOUR = 3_600_000;
const DAY = 86_400_000;
const pad = (value: number) => String(value).padStart(2, '0');

function dayPath(ms: number): string {
  const t = new Date(ms);
  return `${t.getUTCFullYear()}/${pad(t.getUTCMonth() + 1)}/${pad(t.getUTCDate())}/`;
}

/** Prefixes below one camera folder (each ends in `/` or `-`), in time order. */
export function rangePrefixes(range: TimeRange): string[] {
  const from = range.fromMs - OVERLAP_MS;
  const prefixes: string[] = [];
  for (let day = Math.floor(from / DAY) * DAY; day <= range.toMs; day += DAY) {
    if (from <= day && range.toMs >= day + DAY - 1) {
      prefixes.push(dayPath(day));
      continue;
    }
    const first = Math.max(day, Math.floor(from / HOUR) * HOUR);
    const last = Math.min(day + DAY - HOUR, Math.floor(range.toMs / HOUR) * HOUR);
    for (let hour = first; hour <= last; hour += HOUR) prefixes.push(`${dayPath(day)}${pad(new Date(hour).getUTCHours())}-`);
  }
  return prefixes;
}

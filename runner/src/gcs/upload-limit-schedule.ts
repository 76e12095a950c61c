// UPLOAD_LIMIT: a cap on the bytes per second all uploads send together, optionally changing at fixed times of
// the local day. Pure parsing and lookup (the token bucket that applies it is upload-throttle.ts).
//
// Forms, as rclone's --bwlimit timetable (rclone/rclone:fs/bwtimetable.go, docs at https://rclone.org/docs/#bwlimit-bandwidth-spec),
// except that a bare number is bytes per second here (rclone reads it as KiB/s):
//   4M                        4 MiB/s all day (suffixes k, M, G are 1024-based, as rclone's; an optional B or /s is
//                             allowed: 4MB, 4M/s)
//   1500000                   bytes per second
//   off                       no cap (as is an empty value)
//   08:00,4M 23:00,off        a daily schedule in local time: each entry holds from its time until the next one;
//                             before the first entry of the day the last one still holds (it began the day before)
// Entries are separated by spaces or semicolons.

/** One entry of the schedule: from `minute` of the day (0-1439), `bytesPerSecond` (undefined: no cap). */
export interface UploadLimitEntry {
  minute: number;
  bytesPerSecond: number | undefined;
}

/** Entries sorted by minute, at least one; a fixed cap is one entry at 00:00. */
export type UploadLimitSchedule = readonly UploadLimitEntry[];

/** The smallest cap accepted: below it a single request could take minutes per 64 KiB. */
export const MIN_UPLOAD_LIMIT = 1024;

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A rate: a number of bytes per second with an optional k/M/G suffix, or "off" (undefined). */
export function parseRate(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === 'off') return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:b|ib)?(?:\/s)?$/i.exec(trimmed);
  if (!match) throw new Error(`${JSON.stringify(text)} is not a rate (use bytes per second, e.g. 500k, 4M, 1500000, or off)`);
  const bytes = Math.floor(Number(match[1]) * (UNITS[(match[2] as string).toLowerCase()] as number));
  if (!Number.isSafeInteger(bytes)) throw new Error(`${JSON.stringify(text)} is too large a rate`);
  if (bytes < MIN_UPLOAD_LIMIT) throw new Error(`${JSON.stringify(text)} is below the smallest cap, 1k (${MIN_UPLOAD_LIMIT} bytes per second); use off for no cap`);
  return bytes;
}

function parseTime(text: string): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text);
  const hours = match ? Number(match[1]) : NaN;
  const minutes = match ? Number(match[2]) : NaN;
  if (!(hours >= 0 && hours <= 23 && minutes >= 0 && minutes <= 59)) {
    throw new Error(`${JSON.stringify(text)} is not a time of day (use HH:MM from 00:00 to 23:59)`);
  }
  return hours * 60 + minutes;
}

/** Parses UPLOAD_LIMIT; undefined when there is no cap at any time. Throws an Error saying what is wrong. */
export function parseUploadLimit(text: string): UploadLimitSchedule | undefined {
  const items = text.trim().split(/[\s;]+/).filter((item) => item !== '');
  if (items.length === 0) return undefined;
  if (items.length === 1 && !(items[0] as string).includes(',')) {
    const rate = parseRate(items[0] as string);
    return rate === undefined ? undefined : [{ minute: 0, bytesPerSecond: rate }];
  }
  if (items.length > 48) throw new Error(`has ${items.length} entries; at most 48 are accepted`);
  const entries = items.map((item) => {
    const [time, rate, ...rest] = item.split(',');
    if (time === undefined || rate === undefined || rest.length > 0) {
      throw new Error(`entry ${JSON.stringify(item)} is not TIME,RATE (e.g. 08:00,4M 23:00,off)`);
    }
    return { minute: parseTime(time), bytesPerSecond: parseRate(rate) };
  });
  entries.sort((a, b) => a.minute - b.minute);
  for (let i = 1; i < entries.length; i += 1) {
    if ((entries[i] as UploadLimitEntry).minute === (entries[i - 1] as UploadLimitEntry).minute) {
      throw new Error(`names the time ${formatMinute((entries[i] as UploadLimitEntry).minute)} twice`);
    }
  }
  if (entries.every((entry) => entry.bytesPerSecond === undefined)) return undefined;
  return entries;
}

/** The cap at `minute` of the local day (0-1439); undefined: no cap. */
export function limitAtMinute(schedule: UploadLimitSchedule, minute: number): number | undefined {
  let current = schedule[schedule.length - 1] as UploadLimitEntry; // before the first entry: yesterday's last one
  for (const entry of schedule) {
    if (entry.minute > minute) break;
    current = entry;
  }
  return current.bytesPerSecond;
}

/** The cap at the instant `epochMs`, read in the machine's local time (TZ). */
export function limitAt(schedule: UploadLimitSchedule, epochMs: number): number | undefined {
  const date = new Date(epochMs);
  return limitAtMinute(schedule, date.getHours() * 60 + date.getMinutes());
}

export function formatMinute(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/** For the log: e.g. "4194304 B/s" or "08:00 4194304 B/s, 23:00 off". */
export function describeUploadLimit(schedule: UploadLimitSchedule | undefined): string {
  if (!schedule) return 'off';
  const rate = (entry: UploadLimitEntry) => (entry.bytesPerSecond === undefined ? 'off' : `${entry.bytesPerSecond} B/s`);
  if (schedule.length === 1 && (schedule[0] as UploadLimitEntry).minute === 0) return rate(schedule[0] as UploadLimitEntry);
  return schedule.map((entry) => `${formatMinute(entry.minute)} ${rate(entry)}`).join(', ');
}

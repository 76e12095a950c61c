// The time range of find/restore: --from/--to in local time (or UTC with --utc), or --since 3h; and how times
// are shown back (local by default, with the offset, so a reader never has to convert from UTC).
import { parseDuration } from '../duration.js';

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

export interface RangeOptions {
  from?: string | undefined;
  to?: string | undefined;
  since?: string | undefined;
  utc?: boolean | undefined;
}

/** The longest range one command lists (the bucket keeps days, not months; this bounds the listing). */
export const MAX_RANGE_MS = 31 * 86_400_000;

/** A problem with the options a person typed: exit code 2, nothing contacted. */
export class SelectionError extends Error {}

const FORM = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A point in time from `2026-11-29`, `2026-11-29 14:30`, `2026-11-29T14:30:05`, in local time (UTC with `utc`), or
 * with an explicit `Z`/`+01:00`. A date alone is the start of that day; `endOfDay` makes it the end (for --to).
 */
export function parseTime(text: string, option: string, utc: boolean, endOfDay = false): number {
  const match = FORM.exec(text.trim());
  if (!match) throw new SelectionError(`${option} ${JSON.stringify(text)} is not a time: use e.g. "2026-11-29 14:30" or 2026-11-29`);
  const [, y, mo, d, h, mi, s, zone] = match;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0)] as const;
  let ms: number;
  if (zone) {
    const offset = zone.toUpperCase() === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
    ms = Date.UTC(...parts) - offset * 60_000;
  } else ms = utc ? Date.UTC(...parts) : new Date(...parts).getTime();
  // Reject 2026-02-30, 25:00, and local times that a daylight-saving change skips.
  const check = new Date(zone ? Date.UTC(...parts) : ms);
  const get = zone || utc
    ? [check.getUTCFullYear(), check.getUTCMonth(), check.getUTCDate(), check.getUTCHours(), check.getUTCMinutes(), check.getUTCSeconds()]
    : [check.getFullYear(), check.getMonth(), check.getDate(), check.getHours(), check.getMinutes(), check.getSeconds()];
  if (Number.isNaN(ms) || get.some((value, i) => value !== parts[i])) {
    throw new SelectionError(`${option} ${JSON.stringify(text)} is not a time that exists${zone || utc ? '' : ' in local time'}`);
  }
  if (endOfDay && h === undefined) {
    const next = zone || utc ? Date.UTC(parts[0], parts[1], parts[2] + 1) : new Date(parts[0], parts[1], parts[2] + 1).getTime();
    return next - 1;
  }
  return ms;
}

/** The range the options select; --to defaults to now. */
export function selectRange(options: RangeOptions, now: number): TimeRange {
  const utc = options.utc === true;
  if (options.since !== undefined && options.from !== undefined) throw new SelectionError('give either --since or --from, not both');
  let fromMs: number;
  if (options.since !== undefined) {
    let span: number;
    try {
      span = parseDuration(options.since);
    } catch (error) {
      throw new SelectionError(`--since: ${(error as Error).message}`);
    }
    fromMs = now - span;
  } else if (options.from !== undefined) fromMs = parseTime(options.from, '--from', utc);
  else throw new SelectionError('say which time: --from "2026-11-29 14:30" [--to "2026-11-29 15:30"], or --since 3h');
  const toMs = options.to === undefined ? now : parseTime(options.to, '--to', utc, true);
  if (toMs < fromMs) throw new SelectionError(`--to (${formatTime(toMs, utc)}) is before the start (${formatTime(fromMs, utc)})`);
  if (toMs - fromMs > MAX_RANGE_MS) throw new SelectionError(`the range is longer than ${MAX_RANGE_MS / 86_400_000} days: narrow --from/--to`);
  return { fromMs, toMs };
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `2026-11-29 15:02:10 +01:00` (local) or `2026-11-29 14:02:10 UTC`. */
export function formatTime(ms: number, utc: boolean): string {
  const t = new Date(ms);
  if (utc) {
    return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} UTC`;
  }
  const offset = -t.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())} ${zone}`;
}

/** `2026-11-29_15-02-10` in local time (UTC with `utc`): the time part of a restored file's name. */
export function fileTime(ms: number, utc: boolean): string {
  return formatTime(ms, utc).slice(0, 19).replace(' ', '_').replaceAll(':', '-');
}

/** `1m05s`, `42s`, or `-` when unknown. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${pad(seconds % 60)}s`;
}

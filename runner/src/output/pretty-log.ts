// The log for a person at a terminal (LOG_FORMAT=pretty, or stdout is a TTY): each JSON log line the runner
// writes becomes one readable line, or nothing (routine steps), with local times; on long runs a progress line
// with counts, bytes, rate and time left. The JSON lines stay the format for containers and cron (LOG_FORMAT=json).
// It reads only the log's own events, so the job knows nothing about how its log is shown.
import { formatBytes } from '../job/tally.js';
import { forTerminal } from '../terminal-text.js';

type Line = Record<string, unknown>;

/** Runs with at least this many clips to upload get progress lines. */
const PROGRESS_MIN_CLIPS = 20;
/** A progress line after this many finished clips, or this long since the last one, whichever comes first. */
const PROGRESS_EVERY_MS = 5000;

const text = (value: unknown): string => forTerminal(typeof value === 'string' ? value : value === undefined ? '' : String(value));
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** HH:MM:SS in this machine's time zone. */
export function localClock(ms: number): string {
  const date = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** A local date and time, e.g. 2026-11-30 14:03:22. */
export function localDateTime(ms: number): string {
  const date = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${localClock(ms)}`;
}

/** `1h 05m`, `4m 10s`, `12s`. */
export function shortDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${seconds}s`;
}

export class PrettyLog {
  private planned = 0;
  private done = 0;
  private bytes = 0;
  private firstClipAt: number | undefined;
  private lastProgressAt = 0;
  private doneAtLastProgress = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The readable lines (each ending in a newline) for one JSON log line; empty for routine steps. */
  format(json: string): string {
    let line: Line;
    try {
      line = JSON.parse(json) as Line;
    } catch {
      return `${forTerminal(json.trimEnd())}\n`;
    }
    const out = this.describe(line);
    return out.map((entry) => `${entry}\n`).join('');
  }

  private describe(line: Line): string[] {
    const at = Date.parse(text(line.time)) || this.now();
    const time = localClock(at);
    const level = text(line.level);
    const camera = line.camera === undefined ? '' : `${text(line.camera)}: `;
    const msg = text(line.msg);
    switch (line.event) {
      case 'job.start':
        this.planned = 0;
        this.done = 0;
        this.bytes = 0;
        this.firstClipAt = undefined;
        this.doneAtLastProgress = 0;
        return [`${time}  backup run starting`];
      case 'camera.planned': {
        const toBackup = num(line.toBackup);
        this.planned += toBackup;
        const still = num(line.stillRecording);
        return [`${time}  ${camera}${toBackup} clip(s) to back up${still > 0 ? `, ${still} still recording` : ''}`];
      }
      case 'clip.start':
        if (this.firstClipAt === undefined) {
          this.firstClipAt = at;
          this.lastProgressAt = at;
        }
        return [];
      case 'clip.uploaded': {
        this.bytes += num(line.bytes);
        const clipTime = line.startTime === undefined ? '' : ` (recorded ${localDateTime(num(line.startTime))})`;
        return [`${time}  ✓ ${camera}${text(line.object)}  ${formatBytes(num(line.bytes))}  ${num(line.mbPerSecond)} MB/s${clipTime}`, ...this.clipDone(at)];
      }
      case 'clip.exists':
        return [`${time}  = ${camera}${text(line.object)} already in the bucket`, ...this.clipDone(at)];
      case 'clip.failed':
      case 'clip.unsupported':
      case 'clip.mismatch':
        return [`${time}  ✗ ${msg}${line.err && !msg.includes(text(line.err)) ? `: ${text(line.err)}` : ''}`, ...this.clipDone(at)];
      case 'clip.abandoned':
        return [`${time}  - ${msg}`, ...this.clipDone(at)];
      case 'clip.would_upload':
        return [`${time}  would upload ${text(line.object)}`];
      case 'job.cameras':
        return [`${time}  ${msg}: ${(Array.isArray(line.cameras) ? line.cameras : []).map(text).join(', ')}`];
      case 'state.advanced':
      case 'state.advance_start':
      case 'run.requests':
      case 'scrypted.login':
        return [];
      case 'daemon.sleep': {
        const next = Date.parse(text(line.nextRunAt));
        return [`${time}  next run at ${Number.isFinite(next) ? localClock(next) : '?'}`];
      }
      case 'job.end':
        // The summary: `run` prints it on stderr, the daemon too when its log is pretty.
        return [];
      default:
        if (level === 'warn') return [`${time}  warning: ${camera}${msg}${line.err && !msg.includes(text(line.err)) ? ` (${text(line.err)})` : ''}`];
        if (level === 'error' || level === 'fatal') return [`${time}  error: ${camera}${msg}${line.err && !msg.includes(text(line.err)) ? ` (${text(line.err)})` : ''}`];
        return msg ? [`${time}  ${camera}${msg}`] : [];
    }
  }

  /** Counts a finished clip; a progress line when the run is long and one is due. */
  private clipDone(at: number): string[] {
    this.done += 1;
    if (this.planned < PROGRESS_MIN_CLIPS || this.done >= this.planned) return [];
    const step = Math.max(10, Math.ceil(this.planned / 10));
    if (this.done - this.doneAtLastProgress < step && at - this.lastProgressAt < PROGRESS_EVERY_MS) return [];
    this.lastProgressAt = at;
    this.doneAtLastProgress = this.done;
    return [this.progress(at)];
  }

  private progress(at: number): string {
    const elapsed = Math.max(1, at - (this.firstClipAt ?? at));
    const rate = this.bytes / 1e6 / (elapsed / 1000);
    const left = ((this.planned - this.done) * elapsed) / this.done;
    const percent = Math.floor((this.done / this.planned) * 100);
    // `planned` counts the clips of the cameras planned so far (cameras are planned as the run reaches them).
    return `          progress: ${this.done}/${this.planned} clips (${percent}%), ${formatBytes(this.bytes)}, ${rate.toFixed(1)} MB/s, about ${shortDuration(left)} left`;
  }
}

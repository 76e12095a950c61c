// How found clips are shown: a table for people (local times, sizes, event, classes, object name) and JSON for
// machines. Names and events come from the bucket's metadata: control characters never reach the terminal.
import { formatBytes } from '../job/tally.js';
import type { StoredClip } from './stored-clip.js';
import { formatDuration, formatTime } from './time-range.js';

/** Control characters (C0, DEL, C1, bidi overrides) shown as `\u{..}` so metadata cannot drive the terminal. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (char) => `\\u{${char.codePointAt(0)?.toString(16)}}`);
}

export function clipRows(clips: StoredClip[], utc: boolean): string[][] {
  return clips.map((clip) => [
    formatTime(clip.startMs, utc),
    formatDuration(clip.durationMs),
    formatBytes(clip.size),
    printable(clip.cameraName),
    printable(clip.event ?? '-'),
    printable(clip.detectionClasses.join(',') || '-'),
    printable(clip.objectName),
  ]);
}

export function formatClipTable(clips: StoredClip[], utc: boolean): string {
  const header = [utc ? 'start (UTC)' : 'start (local)', 'duration', 'size', 'camera', 'event', 'classes', 'object'];
  const rows = clipRows(clips, utc);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** One clip for machines: ISO times in UTC and the local form, sizes in bytes. */
export function clipJson(clip: StoredClip, utc: boolean) {
  return {
    objectName: clip.objectName,
    cameraId: clip.cameraId,
    cameraName: clip.cameraName,
    start: new Date(clip.startMs).toISOString(),
    startLocal: formatTime(clip.startMs, utc),
    durationMs: clip.durationMs ?? null,
    size: clip.size,
    event: clip.event ?? null,
    detectionClasses: clip.detectionClasses,
    crc32c: clip.crc32c ?? null,
    generation: clip.generation,
  };
}

// The options find, restore and browse share, and the common start of each: the reader's settings and the
// selection, checked before anything is contacted (a problem: exit code 2, with what to type instead).
import { Command, Option } from 'commander';
import { scrubSecrets } from '../log.js';
import { GcsReader } from './gcs-reader.js';
import { loadReaderConfig, type ReaderConfig } from './reader-config.js';
import { printable } from './clip-table.js';
import type { Selection } from './find-clips.js';
import { selectRange, SelectionError, type RangeOptions } from './time-range.js';

export const EXIT_BAD_INPUT = 2;

export interface SelectionFlags extends RangeOptions {
  camera: string[];
}

export function addSelectionOptions(command: Command): Command {
  return command
    .addOption(new Option('--camera <name-or-id>', 'a camera by its real name or its id (repeat for more); default: all').argParser((value: string, previous: string[] = []) => [...previous, value]).default([]))
    .option('--from <time>', 'start, local time: "2026-11-29 14:30" or 2026-11-29')
    .option('--to <time>', 'end, local time (default: now); a date alone means the end of that day')
    .option('--since <duration>', 'the last N: 30m, 3h, 2d (instead of --from)')
    .option('--utc', 'read and show times in UTC instead of local time', false);
}

export interface Reading {
  config: ReaderConfig;
  reader: GcsReader;
}

export type Stderr = { write(text: string): unknown };

/** The reader from the environment, or undefined after saying what is wrong with the settings. */
export function readerOrProblems(env: NodeJS.ProcessEnv, stderr: Stderr): Reading | undefined {
  const result = loadReaderConfig(env);
  if (!result.ok) {
    stderr.write(`configuration error (nothing was contacted):\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return undefined;
  }
  return { config: result.config, reader: new GcsReader(result.config) };
}

/** The selection from the flags, or undefined after saying what is wrong with them. */
export function selectionOrProblem(flags: SelectionFlags, now: number, stderr: Stderr): Selection | undefined {
  try {
    return { ...selectRange(flags, now), cameras: flags.camera };
  } catch (error) {
    if (!(error instanceof SelectionError)) throw error;
    stderr.write(`${error.message}\n`);
    return undefined;
  }
}

/** A failure a person reads (what to do is in the message); secrets scrubbed, control characters shown. */
export function reportFailure(error: unknown, stderr: Stderr): number {
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`error: ${printable(scrubSecrets(message))}\n`);
  return 1;
}

/** When cameras were named but none matched: which cameras the range does have. */
export function noCameraHint(selection: Selection, camerasSeen: Array<{ id: string; name: string }>): string {
  if (selection.cameras.length === 0 || camerasSeen.length === 0) return '';
  const list = camerasSeen.map((camera) => `${printable(camera.name)}${camera.id ? ` (id ${printable(camera.id)})` : ''}`).join(', ');
  return `no camera named ${selection.cameras.map((c) => JSON.stringify(printable(c))).join(' or ')} has clips in that range; cameras with clips in it: ${list}\n`;
}

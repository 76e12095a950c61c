// `restore`: downloads the selected clips into a folder, each streamed, checked against the object's CRC32C and
// named by camera and local time; files already there and correct are skipped, so a re-run finishes the rest.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatBytes } from '../job/tally.js';
import { printable } from '../restore/clip-table.js';
import { restoreClip, restoredFileNames } from '../restore/download-clip.js';
import { findClips } from '../restore/find-clips.js';
import { formatTime } from '../restore/time-range.js';
import { EXIT_BAD_INPUT, noCameraHint, readerOrProblems, reportFailure, selectionOrProblem, type SelectionFlags, type Stderr } from '../restore/selection-options.js';

export interface RestoreFlags extends SelectionFlags {
  out: string;
  dryRun: boolean;
}

/** Progress of a large clip is shown at most this often. */
const PROGRESS_EVERY_MS = 1000;

export async function restoreCommand(
  env: NodeJS.ProcessEnv,
  flags: RestoreFlags,
  stdout: Stderr = process.stdout,
  stderr: Stderr = process.stderr,
  signal?: AbortSignal,
): Promise<number> {
  const reading = readerOrProblems(env, stderr);
  const selection = selectionOrProblem(flags, Date.now(), stderr);
  if (!reading || !selection) return EXIT_BAD_INPUT;
  const utc = flags.utc === true;
  const folder = resolve(flags.out);
  let found;
  try {
    found = await findClips(reading.reader, reading.config.objectPrefix, selection);
  } catch (error) {
    return reportFailure(error, stderr);
  }
  const range = `${formatTime(selection.fromMs, utc)} to ${formatTime(selection.toMs, utc)}`;
  const total = found.clips.reduce((sum, clip) => sum + clip.size, 0);
  if (found.clips.length === 0) {
    stdout.write(`no clips in gs://${reading.config.bucket} from ${range}; nothing to restore\n`);
    stdout.write(noCameraHint(selection, found.camerasSeen));
    return 0;
  }
  const names = restoredFileNames(found.clips, utc);
  if (flags.dryRun) {
    for (const clip of found.clips) stdout.write(`would restore ${printable(clip.objectName)} -> ${printable(`${folder}/${names.get(clip)}`)} (${formatBytes(clip.size)})\n`);
    stdout.write(`dry run: ${found.clips.length} clip(s), ${formatBytes(total)}, nothing written\n`);
    return 0;
  }
  await mkdir(folder, { recursive: true });
  stdout.write(`restoring ${found.clips.length} clip(s), ${formatBytes(total)}, from gs://${reading.config.bucket} (${range}) into ${printable(folder)}\n`);
  const tally = { restored: 0, replaced: 0, present: 0, failed: 0 };
  let index = 0;
  for (const clip of found.clips) {
    index += 1;
    const fileName = names.get(clip) as string;
    const label = `[${index}/${found.clips.length}] ${printable(fileName)}`;
    let shown = Date.now();
    try {
      const outcome = await restoreClip(reading.reader, clip, {
        folder, fileName,
        ...(signal ? { signal } : {}),
        onProgress: (bytes) => {
          if (Date.now() - shown < PROGRESS_EVERY_MS) return;
          shown = Date.now();
          stderr.write(`  … ${label} ${formatBytes(bytes)} of ${formatBytes(clip.size)} (${Math.floor((bytes / Math.max(1, clip.size)) * 100)}%)\n`);
        },
      });
      tally[outcome] += 1;
      const said = outcome === 'present' ? 'already there, CRC32C matches: skipped' : outcome === 'replaced' ? 'replaced a different file, CRC32C verified' : 'CRC32C verified';
      stdout.write(`  ✓ ${label}  ${formatBytes(clip.size)}  ${said}\n`);
    } catch (error) {
      tally.failed += 1;
      reportFailure(error, stderr);
      stdout.write(`  ✗ ${label}  not restored\n`);
      if (signal?.aborted) break;
    }
  }
  stdout.write(`${tally.restored} restored, ${tally.replaced} replaced, ${tally.present} already there, ${tally.failed} failed\n`);
  if (tally.failed > 0) stdout.write('run the same command again to retry the failed clips (those already there are skipped)\n');
  return tally.failed > 0 ? 1 : 0;
}

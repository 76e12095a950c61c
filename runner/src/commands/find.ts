// `find`: the clips of a camera and time range, from the bucket's object names and metadata (read access only).
import { clipJson, formatClipTable } from '../restore/clip-table.js';
import { findClips } from '../restore/find-clips.js';
import { formatTime } from '../restore/time-range.js';
import { formatBytes } from '../job/tally.js';
import { EXIT_BAD_INPUT, noCameraHint, readerOrProblems, reportFailure, selectionOrProblem, type SelectionFlags, type Stderr } from '../restore/selection-options.js';

export interface FindFlags extends SelectionFlags {
  json: boolean;
}

export async function findCommand(env: NodeJS.ProcessEnv, flags: FindFlags, stdout: Stderr = process.stdout, stderr: Stderr = process.stderr): Promise<number> {
  const reading = readerOrProblems(env, stderr);
  const selection = selectionOrProblem(flags, Date.now(), stderr);
  if (!reading || !selection) return EXIT_BAD_INPUT;
  const utc = flags.utc === true;
  try {
    const found = await findClips(reading.reader, reading.config.objectPrefix, selection);
    if (flags.json) {
      stdout.write(`${JSON.stringify({ bucket: reading.config.bucket, from: new Date(selection.fromMs).toISOString(), to: new Date(selection.toMs).toISOString(), clips: found.clips.map((clip) => clipJson(clip, utc)) }, null, 2)}\n`);
      return 0;
    }
    const range = `${formatTime(selection.fromMs, utc)} to ${formatTime(selection.toMs, utc)}`;
    if (found.clips.length === 0) {
      stdout.write(`no clips in gs://${reading.config.bucket} from ${range}\n`);
      stdout.write(noCameraHint(selection, found.camerasSeen));
      return 0;
    }
    stdout.write(`${formatClipTable(found.clips, utc)}\n`);
    const bytes = found.clips.reduce((sum, clip) => sum + clip.size, 0);
    stdout.write(`${found.clips.length} clip(s), ${formatBytes(bytes)}, in gs://${reading.config.bucket} from ${range} (${found.requests} listing request(s))\n`);
    return 0;
  } catch (error) {
    return reportFailure(error, stderr);
  }
}

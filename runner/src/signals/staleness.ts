// `status --max-age`: what in the state document is older than the user allows. The state document is written
// by runs that had something to back up (a run with nothing new writes nothing), so the newest recorded run and
// each camera's watermark are as old as the last clip that landed: --max-age must be longer than the longest
// quiet time of the cameras (docs/monitoring.md).
import type { SiteState } from '../core/ports.js';
import { isoOrRaw } from '../core/state-limits.js';
import { formatDuration } from '../duration.js';
import { forTerminal } from '../terminal-text.js';

/** Exit code of `status --max-age` when something is older than allowed (1: an error, 2: a bad setting). */
export const EXIT_STALE = 3;

/** One line per thing older than `maxAgeMs` (empty: everything is fresh enough). */
export function staleness(site: SiteState, now: number, maxAgeMs: number): string[] {
  const limit = formatDuration(maxAgeMs);
  const ago = (ms: number) => formatDuration(Math.max(0, now - ms));
  const problems: string[] = [];
  const run = site.lastRun;
  if (!run) problems.push('no backup run is recorded in the state document');
  else if (run.failed > 0) problems.push(`the last recorded run (${isoOrRaw(run.finishedAt)}) had ${run.failed} failure(s): see its log`);
  else if (now - run.finishedAt > maxAgeMs) problems.push(`the newest successful run ended ${ago(run.finishedAt)} ago (${isoOrRaw(run.finishedAt)}), more than ${limit}`);
  if (site.cameras.size === 0) problems.push('no camera is recorded in the state document');
  for (const [id, camera] of [...site.cameras].sort(([, a], [, b]) => a.name.localeCompare(b.name))) {
    const name = `${forTerminal(camera.name)} (${forTerminal(id)})`;
    if (!(camera.lastTimestamp > 0)) problems.push(`camera ${name} has no watermark yet`);
    else if (now - camera.lastTimestamp > maxAgeMs) {
      problems.push(`camera ${name}: its watermark is ${ago(camera.lastTimestamp)} old (${isoOrRaw(camera.lastTimestamp)}), more than ${limit}`);
    }
  }
  return problems;
}

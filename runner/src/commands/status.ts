// `status`: the watermark per camera from the state document, as a table or as JSON; and what needs a person:
// objects stored with wrong bytes (and their right copies), clips that cannot be backed up, repairs made to the
// state, a lease that is not one, a clock that is off.
import { runnerClock } from '../clock.js';
import type { RunnerConfig } from '../config.js';
import type { CameraState, SiteState } from '../core/ports.js';
import { FUTURE_TOLERANCE_MS, isoOrRaw } from '../core/state-limits.js';
import { untrustworthyLease } from '../core/state-repair.js';
import { worstOfToday } from '../core/recovery-point.js';
import { forTerminal, jsonForTerminal } from '../terminal-text.js';
import { EXIT_STALE, staleness } from '../signals/staleness.js';
import { createStateStore } from '../wiring.js';

const iso = (ms: number | undefined) => isoOrRaw(ms);

function age(ms: number, now: number): string {
  if (!ms) return 'never';
  if (!Number.isFinite(ms) || Math.abs(now - ms) > 1e13) return 'not a date';
  const minutes = Math.round((now - ms) / 60_000);
  if (minutes < 0) return `${-minutes} min in the future`;
  return minutes < 120 ? `${minutes} min ago` : `${(minutes / 60).toFixed(1)} h ago`;
}

function leaseLine(site: SiteState, now: number, leaseMs: number): string {
  const lease = site.lease;
  if (!lease) return 'free';
  const distrust = untrustworthyLease(lease, now, leaseMs);
  if (distrust) return `${distrust}; the next run takes it over`;
  return lease.expiresAt > now ? `held by ${forTerminal(lease.owner)} until ${iso(lease.expiresAt)}` : 'free';
}

/** A recovery point for the table: seconds below 2 minutes, else minutes or hours; '-' when none. */
export function recoveryText(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return ms < 7_200_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 3_600_000).toFixed(1)} h`;
}

/** Lines for the clips of a camera that need a person: wrong objects and their right copies, unsupported clips. */
function issueLines(id: string, camera: CameraState): string[] {
  const lines: string[] = [];
  for (const record of camera.mismatches) {
    const right = record.rightCopy ? `right copy: ${forTerminal(record.rightCopy)}` : `no right copy yet (${record.attempts} tried); the watermark stays before this clip`;
    lines.push(`  ${forTerminal(camera.name)} (${forTerminal(id)}): clip ${forTerminal(record.clipId)}: wrong bytes in ${forTerminal(record.wrongObject)} (found ${iso(record.detectedAt)}); ${right}`);
  }
  if (camera.unsupported.count > 0) {
    const last = camera.unsupported.recent.map((entry) => `${forTerminal(entry.clipId)} (${forTerminal(entry.reason)})`).join('; ');
    lines.push(`  ${forTerminal(camera.name)} (${forTerminal(id)}): ${camera.unsupported.count} clip(s) cannot be backed up (not retried); last: ${last}`);
  }
  return lines;
}

export function formatStatus(documentPath: string, site: SiteState, now: number, leaseMs: number): string {
  const cameras = [...site.cameras].sort(([, a], [, b]) => a.name.localeCompare(b.name));
  const rows = cameras.map(([id, camera]) => [
    forTerminal(camera.name), forTerminal(id), iso(camera.lastTimestamp), age(camera.lastTimestamp, now), String(camera.recentClips.size),
    String(camera.mismatches.filter((record) => !record.rightCopy).length), String(camera.unsupported.count),
    recoveryText(camera.recovery?.lastMs), recoveryText(worstOfToday(camera.recovery, now)),
  ]);
  const header = ['camera', 'id', 'lastTimestamp (UTC)', 'age', 'recent clips', 'wrong objects open', 'unsupported', 'recovery last', 'worst today (UTC)'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  const run = site.lastRun;
  const issues = cameras.flatMap(([id, camera]) => issueLines(id, camera));
  const skew = site.readAt !== undefined && Math.abs(now - site.readAt) > FUTURE_TOLERANCE_MS
    ? [`clock: this machine's clock differs from Firestore's by ${Math.round((now - site.readAt) / 60_000)} min: runs refuse to start until it is set right`]
    : [];
  const found = (site.found ?? []).map((repair) => `  now: ${forTerminal(repair.what)} (repaired by the next run)`);
  const repairs = site.repairs.map((repair) => `  ${iso(repair.at)}: ${forTerminal(repair.what)}`);
  return [
    `state document: ${documentPath}${site.bucket ? ` (bucket ${forTerminal(site.bucket)})` : ''}`,
    `lastTimestamp (all cameras): ${iso(site.lastTimestamp)} (${age(site.lastTimestamp, now)})`,
    `lease: ${leaseLine(site, now, leaseMs)}`,
    ...skew,
    run
      ? `last run: ${iso(run.finishedAt)}: ${run.uploaded} uploaded, ${run.existing} already there, ${run.failed} failed, ${run.bytes} bytes`
      : 'last run: none recorded',
    '',
    line(header),
    ...rows.map(line),
    rows.length === 0 ? '(no camera backed up yet)' : '',
    ...(issues.length > 0 ? ['clips that need attention:', ...issues, ''] : []),
    ...(found.length + repairs.length > 0 ? ['state repairs:', ...found, ...repairs] : []),
  ].join('\n');
}

/** The state as JSON: Maps become objects (their keys are data, never looked up). */
export function statusJson(documentPath: string, site: SiteState): string {
  const cameras = Object.fromEntries(
    [...site.cameras].map(([id, camera]) => [id, { ...camera, recentClips: camera.recentClips.size }]),
  );
  return JSON.stringify({ documentPath, ...site, cameras }, null, 2);
}

export interface StatusOptions {
  json: boolean;
  /** With a value: exit EXIT_STALE when the newest successful run or a camera's watermark is older (ms). */
  maxAge?: number | undefined;
}

export async function statusCommand(config: RunnerConfig, options: StatusOptions): Promise<number> {
  const state = await createStateStore(config);
  try {
    const site = await state.read();
    const now = runnerClock()();
    const output = options.json
      ? jsonForTerminal(statusJson(config.firestore.documentPath, site))
      : formatStatus(config.firestore.documentPath, site, now, config.leaseMs);
    process.stdout.write(`${output.trimEnd()}\n`);
    if (options.maxAge === undefined) return 0;
    const stale = staleness(site, now, options.maxAge);
    for (const line of stale) process.stderr.write(`stale: ${line}\n`);
    if (stale.length > 0) {
      process.stderr.write(`status --max-age: backups are late (exit ${EXIT_STALE}): see the runner's log, or run \`nvr-backup run\` to see what fails\n`);
      return EXIT_STALE;
    }
    return 0;
  } finally {
    await state.close();
  }
}

// `status`: the watermark per camera from the state document, as a table or as JSON.
import type { RunnerConfig } from '../config.js';
import type { SiteState } from '../core/ports.js';
import { forTerminal, jsonForTerminal } from '../terminal-text.js';
import { createStateStore } from '../wiring.js';

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : '-');

function age(ms: number, now: number): string {
  if (!ms) return 'never';
  const minutes = Math.round((now - ms) / 60_000);
  return minutes < 120 ? `${minutes} min ago` : `${(minutes / 60).toFixed(1)} h ago`;
}

export function formatStatus(documentPath: string, site: SiteState, now: number): string {
  const rows = Object.entries(site.cameras)
    .sort(([, a], [, b]) => a.name.localeCompare(b.name))
    .map(([id, camera]) => [forTerminal(camera.name), forTerminal(id), iso(camera.lastTimestamp), age(camera.lastTimestamp, now), String(Object.keys(camera.recentClips).length)]);
  const header = ['camera', 'id', 'lastTimestamp (UTC)', 'age', 'recent clips'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  const lease = site.lease && site.lease.expiresAt > now ? `held by ${forTerminal(site.lease.owner)} until ${iso(site.lease.expiresAt)}` : 'free';
  const run = site.lastRun;
  return [
    `state document: ${documentPath}`,
    `lastTimestamp (all cameras): ${iso(site.lastTimestamp)} (${age(site.lastTimestamp, now)})`,
    `lease: ${lease}`,
    run
      ? `last run: ${iso(run.finishedAt)}: ${run.uploaded} uploaded, ${run.existing} already there, ${run.failed} failed, ${run.bytes} bytes`
      : 'last run: none recorded',
    '',
    line(header),
    ...rows.map(line),
    rows.length === 0 ? '(no camera backed up yet)' : '',
  ].join('\n');
}

export async function statusCommand(config: RunnerConfig, options: { json: boolean }): Promise<number> {
  const state = await createStateStore(config);
  try {
    const site = await state.read();
    const output = options.json
      ? jsonForTerminal(JSON.stringify({ documentPath: config.firestore.documentPath, ...site }, null, 2))
      : formatStatus(config.firestore.documentPath, site, Date.now());
    process.stdout.write(`${output.trimEnd()}\n`);
    return 0;
  } finally {
    await state.close();
  }
}

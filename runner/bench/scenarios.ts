// What `make bench` measures: each scenario is one camera of the Scrypted test server whose clips are files
// on disk. BENCH_QUICK=1 shrinks every scenario (to check the harness itself in a minute).
import { join } from 'node:path';
import type { TestCamera } from '../test/scrypted-server/server.js';
import { CLIP_DURATION_MS, clipFile } from './clip-files.js';

export interface Scenario {
  key: string;
  label: string;
  clips: number;
  sizeBytes: number;
  /** Also run rclone and the raw copy on the same files. */
  baselines: boolean;
  /** Also time a second run with nothing new. */
  noop: boolean;
}

const MB = 1_000_000;

export function scenarios(quick: boolean, withTwoGb: boolean): Scenario[] {
  const scale = (n: number) => (quick ? Math.max(1, Math.ceil(n / 10)) : n);
  return [
    { key: 'large', label: `large clips`, clips: scale(20), sizeBytes: 100 * MB, baselines: true, noop: true },
    { key: 'small', label: `small clips`, clips: scale(500), sizeBytes: 1 * MB, baselines: true, noop: true },
    { key: 'mem-10mb', label: 'memory: 10 MB clips', clips: 3, sizeBytes: 10 * MB, baselines: false, noop: false },
    { key: 'mem-200mb', label: 'memory: 200 MB clips', clips: 2, sizeBytes: 200 * MB, baselines: false, noop: false },
    { key: 'mem-1gb', label: 'memory: 1 GB clip', clips: 1, sizeBytes: quick ? 400 * MB : 1000 * MB, baselines: false, noop: false },
    ...(withTwoGb ? [{ key: 'mem-2gb', label: 'memory: 2 GB clip', clips: 1, sizeBytes: 2000 * MB, baselines: false, noop: false }] : []),
  ];
}

/** When a scenario's first clip starts: a day before the bench's `now`, so every clip has settled. */
export const firstClipStart = (now: number): number => now - 24 * 3_600_000;

/** The scenario's clip files (in a folder of their own, for rclone) and its camera for the Scrypted test server. */
export async function prepare(scenario: Scenario, cacheDir: string, now: number): Promise<{ files: string[]; dir: string; camera: TestCamera }> {
  const dir = join(cacheDir, `${scenario.key}-${scenario.clips}x${scenario.sizeBytes}`);
  const files: string[] = [];
  for (let i = 0; i < scenario.clips; i++) files.push(await clipFile(dir, scenario.sizeBytes, i + 1));
  const firstStart = firstClipStart(now);
  const camera: TestCamera = {
    id: scenario.key,
    name: scenario.key,
    clips: files.map((file, i) => ({ id: `${scenario.key}-${i}`, startTime: firstStart + i * 60_000, duration: CLIP_DURATION_MS, file })),
  };
  return { files, dir, camera };
}

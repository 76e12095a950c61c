// `make bench` with BENCH_CAP=4M: on loopback (a link far faster than the cap), the runner moves clips with
// UPLOAD_LIMIT set, and the bench compares the rate its uploads achieved with the cap. The rate is taken over the
// upload phase (first clip started to last clip uploaded, from the runner's own log lines), so that start-up
// and the state's last write do not dilute it. BENCH_CAP_CLIPS="20x1000000 2x20000000" picks the clips.
import { parseUploadLimit } from '../src/gcs/upload-limit-schedule.js';
import { startBenchStack } from './bench-stack.js';
import { runnerRun } from './contenders.js';
import { prepare, type Scenario } from './scenarios.js';

export async function runCapBench(cap: string): Promise<void> {
  const schedule = parseUploadLimit(cap);
  if (!schedule || schedule.length !== 1) throw new Error(`BENCH_CAP must be one rate, e.g. 4M (got ${JSON.stringify(cap)})`);
  const bytesPerSecond = schedule[0]?.bytesPerSecond as number;
  const scenarios: Scenario[] = (process.env.BENCH_CAP_CLIPS ?? '20x1000000 2x20000000').split(/\s+/).filter(Boolean).map((text) => {
    const [clips, size] = text.split('x').map(Number);
    return { key: `cap-${clips}x${size}`, label: `${clips} x ${(size as number) / 1e6} MB`, clips: clips as number, sizeBytes: size as number, baselines: false, noop: false };
  });
  const now = Date.now();
  const cache = process.env.BENCH_CLIP_DIR ?? '/tmp/nvr-backup-bench-clips';
  const prepared = [];
  for (const scenario of scenarios) prepared.push({ scenario, ...(await prepare(scenario, cache, now)) });
  const stack = await startBenchStack(prepared.map((p) => p.camera), 'bench-bucket');
  const lines: string[] = [];
  try {
    for (const { scenario } of prepared) {
      const tag = `${scenario.key}-${now}`;
      const run = await runnerRun({ ...stack.env, CAMERAS_INCLUDE: scenario.key, SITE_ID: `bench-${tag}`, OBJECT_PREFIX: `runner-${tag}`, UPLOAD_LIMIT: cap });
      if (run.uploaded !== scenario.clips) throw new Error(`${scenario.key}: the runner uploaded ${run.uploaded} of ${scenario.clips} clips`);
      await stack.gcs.deleteObjects('bench-bucket', `runner-${tag}/`);
      const phase = run.stages.lastUploaded - run.stages.firstClip;
      const achieved = (scenario.clips * scenario.sizeBytes) / phase;
      lines.push(`| ${cap} (${bytesPerSecond} B/s) | ${scenario.label} | ${phase.toFixed(2)} | ${(achieved / 1e6).toFixed(3)} | ${((achieved / bytesPerSecond - 1) * 100).toFixed(1)}% |`);
    }
  } finally {
    await stack.stop();
  }
  console.log('\nUPLOAD_LIMIT on loopback: the rate over the upload phase (first clip started to last uploaded; log times have 1 ms resolution)\n');
  console.log('| cap | clips | upload phase s | achieved MB/s | against the cap |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const line of lines) console.log(line);
}

// `make bench`: on loopback, the Scrypted test server serving clip files, the GCS test server and the Firestore
// emulator; the runner, rclone and a raw copy move the same files, each BENCH_RUNS times (default 3), and every
// figure is the median. Prints a table and writes bench/results/latest.json. Targets are reported, not asserted.
// BENCH_QUICK=1: small scenarios, to check the harness. BENCH_TUNE=1: the settings sweep (bench/tune.ts).
// BENCH_LINK=home-50 (or 50mbit,40ms[,0.5%], or "all"): through a shaped link instead (shaped-bench.ts).
// BENCH_CAP=4M: whether UPLOAD_LIMIT holds (cap-bench.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startBenchStack } from './bench-stack.js';
import { rawCopy, rawCopyViaScrypted, rcloneRun, runnerDaemonBatch, runnerRun, type DaemonBatchFigures, type RunnerFigures } from './contenders.js';
import { seedKnownCamera } from './seed-known-camera.js';
import { median, type Measurement } from './measured-process.js';
import { firstClipStart, prepare, scenarios, type Scenario } from './scenarios.js';

// BENCH_CAP: UPLOAD_LIMIT held on loopback (cap-bench.ts); BENCH_LINK: the shaped-link mode (shaped-bench.ts).
// The loopback figures are the rest of this file.
if (process.env.BENCH_CAP) {
  await (await import('./cap-bench.js')).runCapBench(process.env.BENCH_CAP);
  process.exit(0);
}
if (process.env.BENCH_LINK) {
  await (await import('./shaped-bench.js')).runShapedBench(process.env.BENCH_LINK);
  process.exit(0);
}

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const QUICK = process.env.BENCH_QUICK === '1';
const CACHE = process.env.BENCH_CLIP_DIR ?? '/tmp/nvr-backup-bench-clips';
const CONCURRENCY = 4; // the runner's UPLOAD_CONCURRENCY default, rclone's --transfers default, the raw copy's
const BUCKET = 'bench-bucket';
/** Runner settings to try, e.g. BENCH_RUNNER_SETTINGS="GCS_CHUNK_SIZE_MB=64 UPLOAD_CONCURRENCY=2" (for tuning). */
const SETTINGS = Object.fromEntries((process.env.BENCH_RUNNER_SETTINGS ?? '').split(/\s+/).filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
const now = Date.now();
/** BENCH_BASELINES=0: the runner alone (no rclone, no raw copies), to compare versions of the runner quickly. */
const BASELINES = process.env.BENCH_BASELINES !== '0';
/**
 * BENCH_DAEMON=0: no daemon batch. Otherwise the throughput scenarios also time one batch of a resident `daemon
 * --watch` (what the container runs), its camera already in the state (seed-known-camera.ts): its CPU is the
 * clips' alone, with no process start-up in it.
 */
const DAEMON = process.env.BENCH_DAEMON !== '0';
/** BENCH_ONLY=small,large runs only those scenarios (for tuning). */
const only = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const list = scenarios(QUICK, !QUICK && totalmem() > 8 * 2 ** 30).filter((s) => only.length === 0 || only.includes(s.key));
const prepared = [];
for (const scenario of list) prepared.push({ scenario, ...(await prepare(scenario, CACHE, now)) });
const stack = await startBenchStack(prepared.map((p) => p.camera), BUCKET);
const gcsRequests = () => Object.values(stack.gcs.requests).reduce((sum, n) => sum + n, 0);

interface Row {
  scenario: Scenario;
  runner: RunnerFigures[];
  daemon: DaemonBatchFigures[];
  noop: Array<RunnerFigures & { gcsRequests: number }>;
  rclone: Measurement[];
  raw: Measurement[];
  rawViaScrypted: Measurement[];
}

async function measure(scenario: Scenario, files: string[], dir: string): Promise<Row> {
  const row: Row = { scenario, runner: [], daemon: [], noop: [], rclone: [], raw: [], rawViaScrypted: [] };
  for (let rep = 1; rep <= RUNS; rep++) {
    const tag = `${scenario.key}-${rep}-${now}`;
    const env = { ...stack.env, CAMERAS_INCLUDE: scenario.key, SITE_ID: `bench-${tag}`, OBJECT_PREFIX: `runner-${tag}`, UPLOAD_CONCURRENCY: String(CONCURRENCY), ...SETTINGS };
    const run = await runnerRun(env);
    if (run.uploaded !== scenario.clips) throw new Error(`${scenario.key}: the runner uploaded ${run.uploaded} of ${scenario.clips} clips`);
    row.runner.push(run);
    if (scenario.noop) {
      const before = gcsRequests();
      const noop = await runnerRun(env);
      row.noop.push({ ...noop, gcsRequests: gcsRequests() - before });
    }
    await stack.gcs.deleteObjects(BUCKET, `runner-${tag}/`);
    if (scenario.noop && DAEMON) {
      const daemonEnv = { ...env, SITE_ID: `bench-daemon-${tag}`, OBJECT_PREFIX: `daemon-${tag}` };
      // The seeded watermark is a minute before the scenario's first clip.
      await seedKnownCamera(daemonEnv, { id: scenario.key, name: scenario.key }, firstClipStart(now) - 60_000);
      row.daemon.push(await runnerDaemonBatch(daemonEnv, scenario.clips));
      await stack.gcs.deleteObjects(BUCKET, `daemon-${tag}/`);
    }
    if (scenario.baselines && BASELINES) {
      row.rclone.push(await rcloneRun(dir, stack.gcs.endpoint, BUCKET, `rclone-${tag}`, CONCURRENCY));
      await stack.gcs.deleteObjects(BUCKET, `rclone-${tag}/`);
      row.raw.push(await rawCopy(files, stack.gcs.endpoint, BUCKET, `raw-${tag}/`, CONCURRENCY));
      await stack.gcs.deleteObjects(BUCKET, `raw-${tag}/`);
      row.rawViaScrypted.push(await rawCopyViaScrypted(stack.env, files.map((_, i) => `${scenario.key}-${i}`), `rawvia-${tag}/`, CONCURRENCY));
      await stack.gcs.deleteObjects(BUCKET, `rawvia-${tag}/`);
    }
    const batch = row.daemon.at(-1);
    process.stderr.write(`  ${scenario.key} run ${rep}/${RUNS}: runner ${run.seconds.toFixed(2)} s${batch ? `; daemon batch ${batch.seconds.toFixed(2)} s, ${batch.cpuSeconds.toFixed(2)} CPU s` : ''}\n`);
  }
  return row;
}

const rows: Row[] = [];
try {
  for (const { scenario, files, dir } of prepared) rows.push(await measure(scenario, files, dir));
} finally {
  await stack.stop();
}

const mbOf = (s: Scenario) => (s.clips * s.sizeBytes) / 1e6;
const rate = (s: Scenario, runs: Measurement[]) => (runs.length ? mbOf(s) / median(runs.map((r) => r.seconds)) : undefined);
const perSecond = (s: Scenario, runs: Measurement[]) => (runs.length ? s.clips / median(runs.map((r) => r.seconds)) : undefined);
// CPU: user + system seconds of the contender's own process (GNU time), median over the runs; not its peers'.
const medianOf = (runs: Measurement[], pick: (run: Measurement) => number) => (runs.length ? median(runs.map(pick)) : undefined);
const cpuOf = (runs: Measurement[]) => medianOf(runs, (r) => r.cpuSeconds);
const perGb = (s: Scenario, cpuSeconds: number | undefined) => (cpuSeconds === undefined ? undefined : cpuSeconds / (mbOf(s) / 1000));
const perClip = (s: Scenario, cpuSeconds: number | undefined) => (cpuSeconds === undefined ? undefined : cpuSeconds / s.clips);
const cpuPerGb = (s: Scenario, runs: Measurement[]) => perGb(s, cpuOf(runs));
const cpuPerClip = (s: Scenario, runs: Measurement[]) => perClip(s, cpuOf(runs));
/** The runner's CPU beyond the fixed cost of a process: the no-op run's CPU (start-up, connecting, listing, the lease) taken off. */
const movingCpu = (runner: Measurement[], noop: Measurement[]) => {
  const [all, fixed] = [cpuOf(runner), cpuOf(noop)];
  return all === undefined || fixed === undefined ? undefined : all - fixed;
};
const daemonCpu = (batches: DaemonBatchFigures[]) => (batches.length ? median(batches.map((b) => b.cpuSeconds)) : undefined);
const results = rows.map(({ scenario, runner, daemon, noop, rclone, raw, rawViaScrypted }) => ({
  scenario: scenario.key,
  label: scenario.label,
  clips: scenario.clips,
  clipMb: scenario.sizeBytes / 1e6,
  runs: runner.length,
  runner: {
    mbPerS: rate(scenario, runner),
    clipsPerS: perSecond(scenario, runner),
    cpuSecondsPerGb: cpuPerGb(scenario, runner),
    cpuSecondsPerClip: cpuPerClip(scenario, runner),
    cpuSecondsRuns: runner.map((r) => r.cpuSeconds),
    systemSecondsRuns: runner.map((r) => r.systemSeconds),
    systemSecondsPerGb: perGb(scenario, medianOf(runner, (r) => r.systemSeconds)),
    movingCpuSecondsPerGb: perGb(scenario, movingCpu(runner, noop)),
    movingCpuSecondsPerClip: perClip(scenario, movingCpu(runner, noop)),
    peakRssMb: median(runner.map((r) => r.peakRssMb)),
    peakRssMbRuns: runner.map((r) => Number(r.peakRssMb.toFixed(1))),
    wallSecondsRuns: runner.map((r) => r.seconds),
  },
  daemon: daemon.length
    ? { mbPerS: mbOf(scenario) / median(daemon.map((b) => b.seconds)), cpuSecondsPerGb: perGb(scenario, daemonCpu(daemon)), cpuSecondsPerClip: perClip(scenario, daemonCpu(daemon)), cpuSecondsRuns: daemon.map((b) => Number(b.cpuSeconds.toFixed(3))), batchSecondsRuns: daemon.map((b) => b.seconds), peakRssMb: median(daemon.map((b) => b.peakRssMb)) }
    : undefined,
  rclone: rclone.length ? { mbPerS: rate(scenario, rclone), objectsPerS: perSecond(scenario, rclone), cpuSecondsPerGb: cpuPerGb(scenario, rclone), cpuSecondsPerClip: cpuPerClip(scenario, rclone), cpuSecondsRuns: rclone.map((r) => r.cpuSeconds), systemSecondsRuns: rclone.map((r) => r.systemSeconds), peakRssMb: median(rclone.map((r) => r.peakRssMb)), wallSecondsRuns: rclone.map((r) => r.seconds) } : undefined,
  raw: raw.length ? { mbPerS: rate(scenario, raw), cpuSecondsPerGb: cpuPerGb(scenario, raw), wallSecondsRuns: raw.map((r) => r.seconds) } : undefined,
  rawViaScrypted: rawViaScrypted.length ? { mbPerS: rate(scenario, rawViaScrypted), cpuSecondsPerGb: cpuPerGb(scenario, rawViaScrypted), wallSecondsRuns: rawViaScrypted.map((r) => r.seconds) } : undefined,
  noop: noop.length ? { wallSeconds: median(noop.map((r) => r.seconds)), cpuSeconds: median(noop.map((r) => r.cpuSeconds)), afterConnectSeconds: median(noop.map((r) => r.jobMs / 1000)), firestoreTransactions: median(noop.map((r) => r.firestoreTransactions)), firestoreWrites: median(noop.map((r) => r.firestoreWrites)), gcsRequests: median(noop.map((r) => r.gcsRequests)) } : undefined,
}));

const f = (value: number | undefined, digits = 1) => (value === undefined ? '' : value.toFixed(digits));
const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '' : (a / b).toFixed(2));
const table = [
  `| scenario | clips | runner MB/s | runner clips/s | CPU s/GB | peak RSS MB | rclone MB/s | rclone objects/s | raw copy MB/s | raw via Scrypted MB/s | runner/rclone | runner/raw | runner/raw via Scrypted |`,
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...results.map((r) => `| ${r.label} | ${r.clips} x ${r.clipMb} MB | ${f(r.runner.mbPerS)} | ${f(r.runner.clipsPerS)} | ${f(r.runner.cpuSecondsPerGb)} | ${f(r.runner.peakRssMb, 0)} | ${f(r.rclone?.mbPerS)} | ${f(r.rclone?.objectsPerS)} | ${f(r.raw?.mbPerS)} | ${f(r.rawViaScrypted?.mbPerS)} | ${ratio(r.runner.mbPerS, r.rclone?.mbPerS)} | ${ratio(r.runner.mbPerS, r.raw?.mbPerS)} | ${ratio(r.runner.mbPerS, r.rawViaScrypted?.mbPerS)} |`),
].join('\n');
const cpuTable = [
  '| CPU (process user + system) | runner s/GB | of which system | runner ms/clip | runner s/GB beyond the no-op run | runner ms/clip beyond the no-op run | daemon s/GB (a batch) | daemon ms/clip | rclone s/GB | rclone ms/clip | raw copy s/GB | raw via Scrypted s/GB | runner/rclone |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...results.map((r) => `| ${r.label} | ${f(r.runner.cpuSecondsPerGb, 2)} | ${f(r.runner.systemSecondsPerGb, 2)} | ${f(ms(r.runner.cpuSecondsPerClip), 2)} | ${f(r.runner.movingCpuSecondsPerGb, 2)} | ${f(ms(r.runner.movingCpuSecondsPerClip), 2)} | ${f(r.daemon?.cpuSecondsPerGb, 2)} | ${f(ms(r.daemon?.cpuSecondsPerClip), 2)} | ${f(r.rclone?.cpuSecondsPerGb, 2)} | ${f(ms(r.rclone?.cpuSecondsPerClip), 2)} | ${f(r.raw?.cpuSecondsPerGb, 2)} | ${f(r.rawViaScrypted?.cpuSecondsPerGb, 2)} | ${ratio(r.runner.cpuSecondsPerGb, r.rclone?.cpuSecondsPerGb)} |`),
].join('\n');
const noopTable = [
  '| no-op run after | wall s (process) | CPU s (process) | after connecting s | Firestore transactions | Firestore writes | GCS requests |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...results.filter((r) => r.noop).map((r) => `| ${r.label} | ${f(r.noop?.wallSeconds, 2)} | ${f(r.noop?.cpuSeconds, 2)} | ${f(r.noop?.afterConnectSeconds, 3)} | ${r.noop?.firestoreTransactions} | ${r.noop?.firestoreWrites} | ${r.noop?.gcsRequests} |`),
].join('\n');
// The memory target compares clip sizes from 10 MB to 1 GB (one clip at a time is the worst case per upload).
const memory = results.filter((r) => r.scenario.startsWith('mem-'));
const rssSpread = memory.length ? Math.max(...memory.map((r) => r.runner.peakRssMb)) - Math.min(...memory.map((r) => r.runner.peakRssMb)) : 0;
const rcloneVersion = execFileSync('rclone', ['version']).toString().split('\n')[0];
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), freeMemoryGb: Math.round(freemem() / 2 ** 30), node: process.version, rclone: rcloneVersion };
console.log(`\nmachine: ${machine.cpus} x ${machine.cpu}, ${machine.memoryGb} GB, node ${machine.node}, ${machine.rclone}; median of ${RUNS} run(s)${QUICK ? ' (QUICK)' : ''}; runner settings: ${JSON.stringify(SETTINGS)}\n`);
console.log(table);
console.log(`\n${cpuTable}`);
console.log(`\npeak RSS spread over clip sizes (${memory.map((r) => `${r.clipMb} MB`).join(', ')}): ${rssSpread.toFixed(1)} MB\n`);
console.log(noopTable);
const out = fileURLToPath(new URL('../../bench/results/', import.meta.url));
mkdirSync(out, { recursive: true });
writeFileSync(`${out}${process.env.BENCH_OUT ?? 'latest'}.json`, `${JSON.stringify({ date: new Date().toISOString(), machine, runs: RUNS, quick: QUICK, uploadConcurrency: CONCURRENCY, runnerSettings: SETTINGS, rssSpreadMb: rssSpread, results }, null, 2)}\n`);
console.log(`\nwritten to ${out}${process.env.BENCH_OUT ?? 'latest'}.json`);

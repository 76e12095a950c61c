// `make bench` with BENCH_LINK set: the runner, rclone (--transfers 4 and 8) and the raw copy move the same clips
// through a shaped link (link-relay.ts) into the GCS test server, Firestore's traffic through the same link;
// the figure is link utilisation: clip bytes x 8 / (the process's wall time x the link's rate). The Scrypted
// test server stays on loopback, as an NVR is on the runner's own machine or LAN.
// The runner runs twice per rep. "runner (defaults)" is a one-shot `run` process, start-up and exit included.
// "runner daemon (a batch)" is the container's default command, a resident `daemon --watch`, which pays its
// start-up (Node, the Google libraries, the Scrypted login, the first Firestore calls) once and not per batch: its
// figure is the daemon's wall time from its `watch.due` line to its `watch.run_requests` line, so it includes the
// run's lease, its state transactions and the record that releases the lease, but neither the first listing
// (a few ms, before `watch.due`) nor the process's start-up, which is printed apart.
// The relay traces the uplink's busy spans (link-trace.ts): for each contender the bench prints when its first byte
// went on the link, how long the link sent and paused, and how long the contender went on after its last byte.
// Small clips: 200 x 1 MB, or 100 x 1 MB on a link of 10 Mbit/s or less (200 would take 160 s per contender).
//   BENCH_LINK="home-50 home-200"  (names in link-relay.ts, or specs like 50mbit,40ms,0.5%; "all": every name;
//   `home-200,slowstart` plays TCP slow start on every connection: slow-start.ts)
//   BENCH_ONLY=small|large, BENCH_RUNS (default 1 here), BENCH_QUICK=1 (a tenth of the clips),
//   BENCH_TIMELINE=1 (the runner and the daemon log at debug: with BENCH_RUNNER_LOG, each clip's clip.timeline line;
//   the bench prints where a one-shot run's small clip's time goes),
//   BENCH_RUNNER_SETTINGS="UPLOAD_CONCURRENCY=8" (runner settings to try, as on loopback),
//   BENCH_LOAD=2 (that many busy-looping processes beside every contender, as an NVR's detection keeps the cores
//   busy; stopped when the bench ends, even on failure),
//   BENCH_DAEMON_IDLE_SECONDS=20 (the daemon's CPU per second while idle after its batch), BENCH_DAEMON_NEW_SITE=1 (the
//   daemon's first batch on a new site: its camera not yet in the state; seed-known-camera.ts),
//   BENCH_CONTENDERS=daemon (some of runner,daemon,rclone4,rclone8,raw4; default all), BENCH_BASELINES=0 (the
//   runner's two contenders only).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBenchStack } from './bench-stack.js';
import { seedKnownCamera } from './seed-known-camera.js';
import { rawCopy, rcloneRun, runnerDaemonBatch, runnerRun, type ClipPhases, type DaemonBatchFigures, type RunStages } from './contenders.js';
import { describeLink, NAMED_LINKS, parseLink, type LinkSpec } from './link-relay.js';
import { clearSpans, describeLinkUse, linkUse, readSpans, type LinkUse } from './link-trace.js';
import { median, type Measurement } from './measured-process.js';
import { startRelayProcess } from './relay-process.js';
import { firstClipStart, prepare, type Scenario } from './scenarios.js';

const BUCKET = 'bench-bucket';
const MB = 1_000_000;
/** At this rate or less the small-clip scenario has 100 clips instead of 200 (as issue 19 measured it). */
const SLOW_LINK_BITS = 10_000_000;
/** The relay's trace of the uplink's busy spans, one rep at a time. */
const TRACE_FILE = join(tmpdir(), `nvr-bench-link-trace-${process.pid}.jsonl`);

interface Relay {
  gcsEndpoint: string;
  firestoreHost: string;
  stop(): void;
}

/** The link for GCS (its address in session URIs rewritten to the relay's) and Firestore. */
async function startLink(linkText: string, gcsPort: number, firestoreHost: string, traceFile: string): Promise<Relay> {
  const { ports, stop } = await startRelayProcess(linkText, [`127.0.0.1:${gcsPort}+`, firestoreHost], traceFile);
  return { gcsEndpoint: `http://127.0.0.1:${ports[0]}`, firestoreHost: `127.0.0.1:${ports[1]}`, stop };
}

const utilisation = (scenario: Scenario, link: LinkSpec, runs: Array<{ seconds: number }>) =>
  runs.length ? (scenario.clips * scenario.sizeBytes * 8) / (median(runs.map((r) => r.seconds)) * link.rateBits) : undefined;

/** Where a daemon's batch went: seconds from each awaited line to the next. */
function batchSteps({ marks }: DaemonBatchFigures): string {
  const step = (from: keyof typeof marks, to: keyof typeof marks) => `${from} to ${to} ${((marks[to].time - marks[from].time) / 1000).toFixed(2)}`;
  return [step('watch.due', 'job.start'), step('job.start', 'job.end'), step('job.end', 'watch.run_requests')].join(', ');
}

/** Median over clips of each phase's own duration (ms), in the order an upload passes them. */
function phaseBreakdown(timelines: ClipPhases[]): Array<[string, number]> {
  const steps: Array<[string, string, string]> = [
    ['open the clip at Scrypted', '', 'sourceOpened'],
    ['open a resumable session', 'sourceOpened', 'sessionOpened'],
    ['first byte from Scrypted', 'sourceOpened', 'firstByte'],
    ['read the rest + CRC32C', 'firstByte', 'lastByte'],
    ['send the request', 'lastByte', 'requestSent'],
    ['wait for the answer', 'requestSent', 'answerStarted'],
    ['read the answer', 'answerStarted', 'done'],
    ['until the state records it', 'done', 'stateRecorded'],
    ['whole clip', '', 'stateRecorded'],
  ];
  const rows: Array<[string, number]> = [];
  for (const [label, from, to] of steps) {
    const values = timelines.filter((t) => t[to] !== undefined && (from === '' || t[from] !== undefined)).map((t) => (t[to] as number) - (from === '' ? 0 : (t[from] as number)));
    if (values.length) rows.push([label, median(values)]);
  }
  return rows;
}

/**
 * A freshly started Firestore emulator answers its first transactions slowly (2-4 s in all, its JIT warming up);
 * only the runner uses it, so without this the runner's first run alone would pay for it.
 */
async function warmFirestoreEmulator(host: string): Promise<void> {
  process.env.FIRESTORE_EMULATOR_HOST = host;
  process.env.METADATA_SERVER_DETECTION = 'none';
  const { createFirestoreStateStore } = await import('../src/firestore/index.js');
  const store = await createFirestoreStateStore({ projectId: 'demo-project', databaseId: '(default)', documentPath: 'nvr-backup/bench-warm-up', keyFilename: undefined, initialWatermark: 0, backfillMs: 0 });
  try {
    for (let i = 0; i < 5; i += 1) {
      await store.read();
      await store.acquireLease('bench-warm-up', 60_000, Date.now());
      await store.advanceCamera({ cameraId: 'warm-up', name: 'warm-up', lastTimestamp: i, landed: new Map([[`clip-${i}`, i]]), forgetBefore: 0, at: Date.now() });
      await store.recordRun({ startedAt: 0, finishedAt: Date.now(), uploaded: 0, existing: 0, failed: 0, bytes: 0 }, [], 'bench-warm-up');
    }
  } finally {
    await store.close();
  }
}

const CONTENDERS = ['runner', 'daemon', 'rclone4', 'rclone8', 'raw4'] as const;
type Contender = (typeof CONTENDERS)[number];

/** The contenders BENCH_CONTENDERS and BENCH_BASELINES ask for; a name it does not know is an error. */
function chosenContenders(): Set<Contender> {
  const asked = (process.env.BENCH_CONTENDERS ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of asked) {
    if (!(CONTENDERS as readonly string[]).includes(name)) throw new Error(`BENCH_CONTENDERS: ${JSON.stringify(name)} is not one of ${CONTENDERS.join(', ')}`);
  }
  const chosen = new Set<Contender>(asked.length ? (asked as Contender[]) : CONTENDERS);
  if (process.env.BENCH_BASELINES === '0') for (const baseline of ['rclone4', 'rclone8', 'raw4'] as const) chosen.delete(baseline);
  return chosen;
}

export async function runShapedBench(linkSetting: string): Promise<void> {
  const contenders = chosenContenders();
  const links = (linkSetting === 'all' ? Object.keys(NAMED_LINKS) : linkSetting.split(/\s+/).filter(Boolean)).map((text) => ({ text, link: parseLink(text) }));
  const runs = Number(process.env.BENCH_RUNS ?? 1);
  const quick = process.env.BENCH_QUICK === '1';
  const timeline = process.env.BENCH_TIMELINE === '1';
  const only = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
  const settings = Object.fromEntries((process.env.BENCH_RUNNER_SETTINGS ?? '').split(/\s+/).filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  const scale = (n: number) => (quick ? Math.max(1, Math.ceil(n / 10)) : n);
  const scenarios: Scenario[] = [
    { key: 'link-small', label: 'small clips', clips: scale(200), sizeBytes: 1 * MB, baselines: true, noop: false },
    { key: 'link-large', label: 'large clips', clips: scale(10), sizeBytes: 50 * MB, baselines: true, noop: false },
  ].filter((s) => only.length === 0 || only.includes(s.key.slice(5)));
  // A slow link's small-clip scenario is a camera of its own (fewer clips), so the key names its clip count.
  const scenarioOn = (scenario: Scenario, link: LinkSpec): Scenario =>
    scenario.key === 'link-small' && link.rateBits <= SLOW_LINK_BITS ? { ...scenario, key: `${scenario.key}-${scale(100)}`, clips: scale(100) } : scenario;
  const plan = links.map(({ text, link }) => ({ text, link, scenarios: scenarios.map((scenario) => scenarioOn(scenario, link)) }));
  const now = Date.now();
  const cache = process.env.BENCH_CLIP_DIR ?? '/tmp/nvr-backup-bench-clips';
  const prepared = new Map<string, { scenario: Scenario } & Awaited<ReturnType<typeof prepare>>>();
  for (const scenario of plan.flatMap((p) => p.scenarios)) {
    if (!prepared.has(scenario.key)) prepared.set(scenario.key, { scenario, ...(await prepare(scenario, cache, now)) });
  }
  const stack = await startBenchStack([...prepared.values()].map((p) => p.camera), BUCKET);
  await warmFirestoreEmulator(stack.env.FIRESTORE_EMULATOR_HOST as string);
  const loaders = Array.from({ length: Math.min(8, Number(process.env.BENCH_LOAD ?? 0) || 0) }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  const results: Array<Record<string, unknown>> = [];
  const lines: string[] = [];
  /** Where each contender's time went on the link (link-trace.ts). */
  const linkLines: string[] = [];
  /** The runner daemon's start-up, per link and scenario (paid once per process, not in its column). */
  const notes: string[] = [];
  try {
    for (const { text, link, scenarios: linkScenarios } of plan) {
      for (const { scenario, files, dir } of linkScenarios.map((s) => prepared.get(s.key)!)) {
        const figures = { runner: [] as Measurement[], daemon: [] as DaemonBatchFigures[], rclone4: [] as Measurement[], rclone8: [] as Measurement[], raw4: [] as Measurement[] };
        const linkUses = Object.fromEntries(CONTENDERS.map((who) => [who, [] as LinkUse[]])) as Record<Contender, LinkUse[]>;
        const timelines: ClipPhases[] = [];
        const stages: RunStages[] = [];
        const load: number[] = [];
        for (let rep = 1; rep <= runs; rep++) {
          clearSpans(TRACE_FILE);
          const relay = await startLink(text, stack.gcs.port, stack.env.FIRESTORE_EMULATOR_HOST as string, TRACE_FILE);
          /** Where `who`'s window on the link went (link-trace.ts), printed and kept for the results. */
          const traced = (who: Contender, from: number, to: number) => {
            const use = linkUse(readSpans(TRACE_FILE), from, to);
            if (!use) return;
            linkUses[who].push(use);
            process.stderr.write(`  ${who} on the link: ${describeLinkUse(use)}\n`);
          };
          try {
            const tag = `${scenario.key}-${text.replace(/[^a-z0-9]/gi, '')}-${rep}-${now}`;
            const env = { ...stack.env, GCS_ENDPOINT: relay.gcsEndpoint, FIRESTORE_EMULATOR_HOST: relay.firestoreHost, CAMERAS_INCLUDE: scenario.key, SITE_ID: `bench-${tag}`, OBJECT_PREFIX: `runner-${tag}`, ...settings };
            /** Runs `contender` and checks that its clips' uploads reached the GCS test server (not some other endpoint). */
            const reachingGcs = async <T>(who: string, contender: () => Promise<T>): Promise<T> => {
              const before = stack.gcs.requests.upload ?? 0;
              const outcome = await contender();
              if ((stack.gcs.requests.upload ?? 0) - before < scenario.clips) throw new Error(`${who}'s uploads did not reach the GCS test server`);
              return outcome;
            };
            load.push(loadavg()[0] as number);
            if (contenders.has('runner')) {
              const run = await reachingGcs('the runner', () => runnerRun(env, timeline ? 'debug' : 'info'));
              if (run.uploaded !== scenario.clips) throw new Error(`${scenario.key}: the runner uploaded ${run.uploaded} of ${scenario.clips} clips`);
              figures.runner.push(run);
              traced('runner', run.startedAt, run.endedAt);
              const s = run.stages;
              process.stderr.write(`  runner (s from its first log line): job.start ${s.jobStart.toFixed(2)}, first clip ${s.firstClip.toFixed(2)}, last uploaded ${s.lastUploaded.toFixed(2)}, job.end ${s.jobEnd.toFixed(2)}; process ${run.seconds.toFixed(2)}\n`);
              stages.push(s);
              timelines.push(...run.timelines);
              await stack.gcs.deleteObjects(BUCKET, `runner-${tag}/`);
            }
            if (contenders.has('daemon')) {
              const daemonEnv = { ...env, SITE_ID: `bench-daemon-${tag}`, OBJECT_PREFIX: `daemon-${tag}` };
              // The seeded watermark is a minute before the scenario's first clip.
              if (process.env.BENCH_DAEMON_NEW_SITE !== '1') await seedKnownCamera(daemonEnv, { id: scenario.key, name: scenario.key }, firstClipStart(now) - 60_000);
              const batch = await reachingGcs('the runner daemon', () => runnerDaemonBatch(daemonEnv, scenario.clips, timeline ? 'debug' : 'info'));
              figures.daemon.push(batch);
              traced('daemon', batch.marks['watch.due'].time, batch.marks['watch.run_requests'].time);
              process.stderr.write(`  runner daemon: first log line ${batch.startupSeconds.toFixed(2)} s after spawn, watch.due at ${batch.dueAfterSeconds.toFixed(2)} s (${batch.startupCpuSeconds.toFixed(2)} CPU s by then); the batch ${batch.seconds.toFixed(2)} s (${batchSteps(batch)}), ${batch.cpuSeconds.toFixed(2)} CPU s (main thread ${batch.mainThreadCpuSeconds.toFixed(2)}), ${batch.firestoreTransactions} Firestore transactions, peak RSS ${batch.peakRssMb.toFixed(0)} MB${batch.idleCpuMsPerSecond === undefined ? '' : `; idle afterwards ${batch.idleCpuMsPerSecond.toFixed(1)} CPU ms/s`}\n`);
              await stack.gcs.deleteObjects(BUCKET, `daemon-${tag}/`);
            }
            for (const transfers of [4, 8] as const) {
              if (!contenders.has(`rclone${transfers}`)) continue;
              const rclone = await rcloneRun(dir, relay.gcsEndpoint, BUCKET, `rclone${transfers}-${tag}`, transfers);
              figures[`rclone${transfers}`].push(rclone);
              traced(`rclone${transfers}`, rclone.startedAt, rclone.endedAt);
              await stack.gcs.deleteObjects(BUCKET, `rclone${transfers}-${tag}/`);
            }
            if (contenders.has('raw4')) {
              const raw = await rawCopy(files, relay.gcsEndpoint, BUCKET, `raw-${tag}/`, 4);
              figures.raw4.push(raw);
              traced('raw4', raw.startedAt, raw.endedAt);
              await stack.gcs.deleteObjects(BUCKET, `raw-${tag}/`);
            }
          } finally {
            relay.stop();
          }
          process.stderr.write(`  ${text} ${scenario.key} run ${rep}/${runs}: runner ${figures.runner.at(-1)?.seconds.toFixed(2)} s, runner daemon's batch ${figures.daemon.at(-1)?.seconds.toFixed(2)} s\n`);
        }
        const pct = (runsOf: Array<{ seconds: number }>) => {
          const value = utilisation(scenario, link, runsOf);
          return value === undefined ? '' : `${(value * 100).toFixed(0)}%`;
        };
        const cpuPerClip = (runsOf: Array<{ cpuSeconds: number }>) => (runsOf.length ? (median(runsOf.map((r) => r.cpuSeconds)) / scenario.clips).toFixed(3) : '');
        // The runner's upload phase alone (first clip started to last uploaded): the link while clips move,
        // without the process's start-up and exit, which a daemon pays once and not per run.
        const phase = stages.length ? median(stages.map((s) => s.lastUploaded - s.firstClip)) : undefined;
        const uploadPhase = phase === undefined ? '' : `${(((scenario.clips * scenario.sizeBytes * 8) / (phase * link.rateBits)) * 100).toFixed(0)}%`;
        lines.push(`| ${describeLink(link)} | ${scenario.clips} x ${scenario.sizeBytes / MB} MB | ${load.map((l) => l.toFixed(1)).join(', ')} | ${pct(figures.runner)} | ${pct(figures.daemon)} | ${uploadPhase} | ${pct(figures.rclone4)} | ${pct(figures.rclone8)} | ${pct(figures.raw4)} | ${cpuPerClip(figures.runner)} | ${cpuPerClip(figures.daemon)} | ${cpuPerClip(figures.rclone4)} |`);
        const daemonMedian = (of: (batch: DaemonBatchFigures) => number) => median(figures.daemon.map(of)).toFixed(2);
        if (figures.daemon.length) notes.push(`- ${describeLink(link)}, ${scenario.clips} x ${scenario.sizeBytes / MB} MB: the daemon's first log line ${daemonMedian((b) => b.startupSeconds)} s after spawn, watch.due at ${daemonMedian((b) => b.dueAfterSeconds)} s, ${daemonMedian((b) => b.startupCpuSeconds)} CPU s by then`);
        for (const [who, uses] of Object.entries(linkUses)) {
          if (!uses.length) continue;
          const of = (pick: (use: LinkUse) => number) => median(uses.map(pick));
          linkLines.push(`| ${describeLink(link)} | ${scenario.clips} x ${scenario.sizeBytes / MB} MB | ${who} | ${of((u) => u.beforeFirstByte).toFixed(0)} | ${(of((u) => u.sending) / 1000).toFixed(3)} | ${of((u) => u.pauses).toFixed(0)} | ${of((u) => u.afterLastByte).toFixed(0)} |`);
        }
        const breakdown = timelines.length ? phaseBreakdown(timelines) : [];
        if (breakdown.length) {
          process.stdout.write(`\nwhere a clip's time goes (${describeLink(link)}, ${scenario.label}, median of ${timelines.length} clips, ms):\n`);
          for (const [label, ms] of breakdown) process.stdout.write(`  ${label.padEnd(30)} ${ms.toFixed(1)}\n`);
        }
        results.push({ link: text, spec: link, scenario: scenario.key, clips: scenario.clips, clipBytes: scenario.sizeBytes, loadAverage: load, runnerStages: stages, runnerUploadPhaseSeconds: phase, daemonBatches: figures.daemon.map(({ marks: _marks, ...batch }) => batch), linkUses, runs: Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, v.map((r) => ({ seconds: r.seconds, cpuSeconds: r.cpuSeconds }))])), utilisation: Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, utilisation(scenario, link, v)])), breakdown });
      }
    }
  } finally {
    for (const loader of loaders) loader.kill('SIGKILL');
    clearSpans(TRACE_FILE);
    await stack.stop();
  }
  console.log(`\nshaped link, ${cpus().length} cores (shared: see the load averages)${loaders.length ? `, ${loaders.length} busy-looping load process(es)` : ''}, median of ${runs} run(s)${quick ? ' (QUICK)' : ''}; runner settings ${JSON.stringify(settings)}; utilisation = clip bytes x 8 / (process wall time x link rate)\n`);
  console.log('| link | clips | load avg (1 min) | runner (defaults) | runner daemon (a batch) | runner, upload phase only | rclone 4 | rclone 8 | raw copy 4 | runner CPU s/clip | daemon CPU s/clip | rclone 4 CPU s/clip |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const line of lines) console.log(line);
  console.log('\nrunner daemon (a batch): a resident `daemon --watch`, from its watch.due line to its watch.run_requests line; its start-up, paid once (medians):');
  for (const note of notes) console.log(note);
  if (linkLines.length) {
    console.log('\nwhere the time went on the link (medians; the runner daemon from watch.due to watch.run_requests, the others from spawn to exit):\n');
    console.log('| link | clips | contender | ms to the first byte on the link | s the link sent | ms the link paused | ms from the last byte to the end |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const line of linkLines) console.log(line);
  }
  const out = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}${process.env.BENCH_OUT ?? 'shaped-latest'}.json`, `${JSON.stringify({ date: new Date().toISOString(), runs, quick, runnerSettings: settings, results }, null, 2)}\n`);
}

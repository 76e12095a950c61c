// The ways of moving a scenario's clips into the GCS test server, each as its own process: the runner (built
// JavaScript, as the container runs it) once as a one-shot `run` and once as the container's resident
// `daemon --watch` (one batch of it, see runnerDaemonBatch), rclone (Debian's, GCS backend with a custom
// endpoint), and the raw copy (files piped into media uploads). All but the daemon run under GNU time. Each writes
// under its own prefix, which the caller deletes afterwards.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { containerNodeArgs } from './container-node-args.js';
import { childEnv, mainThreadCpuSeconds, measured, processCpuSeconds, processPeakRssMb, type Measurement } from './measured-process.js';

const RUNNER_CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const RAW_COPY = fileURLToPath(new URL('./raw-copy.mjs', import.meta.url));

export interface RunnerFigures extends Measurement {
  /** Milliseconds from the run's start (connected to Scrypted and Firestore) to its end, from the `job.end` line. */
  jobMs: number;
  uploaded: number;
  firestoreTransactions: number;
  firestoreWrites: number;
}

function logEvent(stdout: string, event: string): Record<string, unknown> {
  const line = stdout.split('\n').find((l) => l.includes(`"event":"${event}"`));
  if (!line) throw new Error(`the runner printed no ${event} line`);
  return JSON.parse(line) as Record<string, unknown>;
}

/** A clip's `clip.timeline` phases (ms from its upload's start), when the run logged at debug level. */
export type ClipPhases = Record<string, number>;

/** Seconds from the runner's first log line to each stage of its run. */
export interface RunStages {
  jobStart: number;
  firstClip: number;
  lastUploaded: number;
  jobEnd: number;
}

/**
 * The runner's node flags: the container's (runner/Dockerfile's ENTRYPOINT), then BENCH_RUNNER_NODE_ARGS, e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof" (to profile it; a later flag of the same name wins).
 */
const runnerNodeArgs = (): string[] => [...containerNodeArgs(), ...(process.env.BENCH_RUNNER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)];

export async function runnerRun(env: Record<string, string>, logLevel: 'info' | 'debug' = 'info'): Promise<RunnerFigures & { timelines: ClipPhases[]; stages: RunStages }> {
  const result = await measured(process.execPath, [...runnerNodeArgs(), RUNNER_CLI, 'run'], { ...env, LOG_LEVEL: logLevel });
  if (process.env.BENCH_RUNNER_LOG) appendFileSync(process.env.BENCH_RUNNER_LOG, result.stdout); // the runner's own log lines, to read
  const end = logEvent(result.stdout, 'job.end');
  const requests = logEvent(result.stdout, 'run.requests');
  if (end.status !== 'complete') throw new Error(`runner run ended ${String(end.status)}`);
  // Where the process's wall time went, from the log lines' times: to job.start (start-up and connecting), to
  // the first clip's start (listing, planning, the lease), to the last clip's upload, to job.end (state).
  const times = new Map<string, number>();
  let firstLine: number | undefined;
  for (const line of result.stdout.split('\n')) {
    const match = /"time":"([^"]+)".*"event":"(job\.start|clip\.start|clip\.uploaded|job\.end)"/.exec(line);
    const time = /"time":"([^"]+)"/.exec(line)?.[1];
    if (time && firstLine === undefined) firstLine = Date.parse(time);
    if (!match) continue;
    const event = match[2] as string;
    if (event === 'clip.start' && times.has(event)) continue; // the first one
    times.set(event, Date.parse(match[1] as string));
  }
  const since = (event: string) => ((times.get(event) ?? Number.NaN) - (firstLine ?? Number.NaN)) / 1000;
  const stages = { jobStart: since('job.start'), firstClip: since('clip.start'), lastUploaded: since('clip.uploaded'), jobEnd: since('job.end') };
  const timelines = logLevel === 'debug'
    ? result.stdout.split('\n').filter((l) => l.includes('"event":"clip.timeline"')).map((l) => (JSON.parse(l) as { phases: ClipPhases }).phases)
    : [];
  return {
    ...result,
    timelines,
    stages,
    stdout: '',
    jobMs: Number(end.durationMs),
    uploaded: Number(end.uploaded),
    firestoreTransactions: Number(requests.firestoreTransactions),
    firestoreWrites: Number(requests.firestoreWrites),
  };
}

/** The lines of a watch's first batch the bench waits for, in the order the daemon logs them. */
const BATCH_EVENTS = ['watch.due', 'job.start', 'job.end', 'watch.run_requests'] as const;
type BatchEvent = (typeof BATCH_EVENTS)[number];
const isBatchEvent = (event: unknown): event is BatchEvent => (BATCH_EVENTS as readonly unknown[]).includes(event);
/** Generous: a 10 Mbit/s link moves 100 x 1 MB in 80 s. */
const BATCH_DEADLINE_MS = 10 * 60_000;
const STOP_DEADLINE_MS = 20_000;

/** A line's own time (ms since the epoch) and the daemon's CPU seconds when the bench read the line. */
export interface DaemonMark {
  time: number;
  cpuSeconds: number;
  /** Of cpuSeconds, its main thread's. */
  mainThreadCpuSeconds: number;
}

/** What one batch cost a resident `daemon --watch`, and what its start-up cost (paid once per process). */
export interface DaemonBatchFigures {
  /** Wall seconds from `watch.due` to `watch.run_requests`: the run, its lease, its state transactions, the record that releases the lease. */
  seconds: number;
  /** The daemon's CPU seconds over the same span. */
  cpuSeconds: number;
  /** Of cpuSeconds, its main thread's (the rest: V8's collector and compiler threads, libuv's pool). */
  mainThreadCpuSeconds: number;
  /** Wall seconds from spawning the process to its first log line (Node and the runner's modules loading). */
  startupSeconds: number;
  /** Wall seconds from spawning the process to `watch.due` (start-up, connecting, the state read, the first listing). */
  dueAfterSeconds: number;
  /** CPU seconds the process had spent when it logged `watch.due`: start-up and the first check. */
  startupCpuSeconds: number;
  uploaded: number;
  /** The daemon's peak resident memory (VmHWM) when its batch ended, in MB. */
  peakRssMb: number;
  /** With BENCH_DAEMON_IDLE_SECONDS: the daemon's CPU ms per second while it waited with nothing to do after the batch. */
  idleCpuMsPerSecond: number | undefined;
  /** Firestore transactions of the batch (its `watch.run_requests` line): the lease, the watermark's advances, the record. */
  firestoreTransactions: number;
  marks: Record<BatchEvent, DaemonMark>;
}

type Daemon = ChildProcessByStdio<null, Readable, Readable>;

/**
 * The runner as the container runs it by default: a resident `daemon --watch`, started directly (not under GNU time,
 * so its pid is node's and /proc gives its CPU while it lives). The bench's clips are a day old under a fresh SITE_ID,
 * so the watch's first check finds them all settled and backs them up in one run; the figures cover that batch
 * (`watch.due` to `watch.run_requests`), then the daemon is stopped with SIGTERM.
 */
export async function runnerDaemonBatch(env: Record<string, string>, clips: number, logLevel: 'info' | 'debug' = 'info'): Promise<DaemonBatchFigures> {
  const scratch = mkdtempSync(join(tmpdir(), 'nvr-bench-daemon-'));
  const spawnedAt = Date.now();
  const daemon: Daemon = spawn(process.execPath, [...runnerNodeArgs(), RUNNER_CLI, 'daemon', '--watch'], {
    env: childEnv({ ...env, LOG_LEVEL: logLevel, HEARTBEAT_FILE: join(scratch, 'heartbeat.json') }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  daemon.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const stderrTail = () => (stderr ? `; its stderr ends:\n${stderr}` : '; its stderr was empty');
  try {
    const batch = await firstBatch(daemon, stderrTail);
    const peakRssMb = processPeakRssMb(daemon.pid as number);
    const idleCpuMsPerSecond = await idleCpu(daemon.pid as number);
    await stopDaemon(daemon, stderrTail);
    const { marks, firstLine, end, requests } = batch;
    if (end.status !== 'complete') throw new Error(`the runner daemon's run ended ${String(end.status)}, not complete${stderrTail()}`);
    const uploaded = Number(requests.uploaded);
    if (uploaded !== clips) throw new Error(`the runner daemon uploaded ${uploaded} of ${clips} clips in its first run`);
    return {
      seconds: (marks['watch.run_requests'].time - marks['watch.due'].time) / 1000,
      cpuSeconds: marks['watch.run_requests'].cpuSeconds - marks['watch.due'].cpuSeconds,
      mainThreadCpuSeconds: marks['watch.run_requests'].mainThreadCpuSeconds - marks['watch.due'].mainThreadCpuSeconds,
      startupSeconds: (firstLine - spawnedAt) / 1000,
      dueAfterSeconds: (marks['watch.due'].time - spawnedAt) / 1000,
      startupCpuSeconds: marks['watch.due'].cpuSeconds,
      uploaded,
      firestoreTransactions: Number(requests.firestoreTransactions),
      idleCpuMsPerSecond,
      peakRssMb,
      marks,
    };
  } finally {
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL'); // a failed batch: no clean stop owed
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * BENCH_DAEMON_IDLE_SECONDS=20: after its batch, the daemon's CPU over that many seconds with no clip to move (its
 * timers, its watch's polls, its connections' keep-alives), in ms per second; a second away from the batch first.
 */
async function idleCpu(pid: number): Promise<number | undefined> {
  const seconds = Number(process.env.BENCH_DAEMON_IDLE_SECONDS ?? 0);
  if (!(seconds > 0)) return undefined;
  await sleep(1000);
  const before = processCpuSeconds(pid);
  await sleep(seconds * 1000);
  return ((processCpuSeconds(pid) - before) * 1000) / seconds;
}

interface FirstBatch {
  marks: Record<BatchEvent, DaemonMark>;
  /** The first log line's own time. */
  firstLine: number;
  end: Record<string, unknown>;
  requests: Record<string, unknown>;
}

/** Reads the daemon's log lines until its first run's `watch.run_requests`; rejects if it exits first or takes too long. */
function firstBatch(daemon: Daemon, stderrTail: () => string): Promise<FirstBatch> {
  return new Promise((resolve, reject) => {
    const marks = new Map<BatchEvent, DaemonMark>();
    const lines = createInterface({ input: daemon.stdout });
    const log: string[] = [];
    let firstLine: number | undefined;
    let end: Record<string, unknown> | undefined;
    const finish = (outcome: () => void) => {
      clearTimeout(timer);
      daemon.off('exit', onExit);
      daemon.off('error', fail);
      lines.close();
      const logFile = process.env.BENCH_RUNNER_LOG;
      if (logFile) {
        appendFileSync(logFile, log.join('')); // the daemon's own log lines, to read
        // and what it prints until it exits (V8's --trace-gc lines, block-buffered on a pipe, come late)
        daemon.stdout.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
      }
      daemon.stdout.resume(); // keep draining: a paused pipe would block the daemon's last log lines as it stops
      outcome();
    };
    const fail = (error: Error) => finish(() => reject(error));
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`the runner daemon exited (${code ?? signal}) before it logged its first run's watch.run_requests${stderrTail()}`));
    const timer = setTimeout(() => fail(new Error(`the runner daemon logged no watch.run_requests within ${BATCH_DEADLINE_MS / 60_000} min${stderrTail()}`)), BATCH_DEADLINE_MS);
    daemon.once('exit', onExit);
    daemon.once('error', fail);
    lines.on('line', (line) => {
      if (process.env.BENCH_RUNNER_LOG) log.push(`${line}\n`);
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not a log line
      }
      const time = Date.parse(String(entry.time));
      firstLine ??= time;
      if (!isBatchEvent(entry.event) || marks.has(entry.event)) return;
      let cpuSeconds: number;
      let mainThread: number;
      try {
        cpuSeconds = processCpuSeconds(daemon.pid as number);
        mainThread = mainThreadCpuSeconds(daemon.pid as number);
      } catch (error) {
        fail(new Error(`could not read the runner daemon's CPU time from /proc: ${(error as Error).message}`));
        return;
      }
      marks.set(entry.event, { time, cpuSeconds, mainThreadCpuSeconds: mainThread });
      if (entry.event === 'job.end') end = entry;
      if (entry.event !== 'watch.run_requests') return;
      const missing = BATCH_EVENTS.filter((event) => !marks.has(event));
      if (missing.length || !end || firstLine === undefined) {
        fail(new Error(`the runner daemon logged watch.run_requests without ${missing.join(', ') || 'job.end'}`));
        return;
      }
      const batch: FirstBatch = { marks: Object.fromEntries(marks) as Record<BatchEvent, DaemonMark>, firstLine, end, requests: entry };
      finish(() => resolve(batch));
    });
  });
}

/** SIGTERM, then waits for a clean exit (code 0); after STOP_DEADLINE_MS it kills the daemon and rejects. */
function stopDaemon(daemon: Daemon, stderrTail: () => string): Promise<void> {
  if (daemon.exitCode !== null || daemon.signalCode !== null) return Promise.reject(new Error(`the runner daemon had already exited (${daemon.exitCode ?? daemon.signalCode})${stderrTail()}`));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      daemon.kill('SIGKILL');
      reject(new Error(`the runner daemon did not exit within ${STOP_DEADLINE_MS / 1000} s of SIGTERM; killed it${stderrTail()}`));
    }, STOP_DEADLINE_MS);
    daemon.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`the runner daemon exited (${code ?? signal}) after SIGTERM, not 0${stderrTail()}`));
    });
    daemon.kill('SIGTERM');
  });
}

export function rcloneRun(dir: string, endpoint: string, bucket: string, prefix: string, transfers: number): Promise<Measurement> {
  return measured('rclone', ['copy', dir, `:gcs:${bucket}/${prefix}`, '--transfers', String(transfers), '--retries', '1'], {
    RCLONE_CONFIG: '/dev/null',
    RCLONE_GCS_ENDPOINT: `${endpoint}/storage/v1/`,
    RCLONE_GCS_ANONYMOUS: 'true',
  });
}

export function rawCopy(files: string[], endpoint: string, bucket: string, prefix: string, concurrency: number): Promise<Measurement> {
  return measured(process.execPath, [RAW_COPY, endpoint, bucket, prefix, String(concurrency), ...files], {});
}

/** The raw copy along the runner's path: clip bytes fetched from the Scrypted test server, piped into GCS. */
export function rawCopyViaScrypted(env: Record<string, string>, clipIds: string[], prefix: string, concurrency: number): Promise<Measurement> {
  const { GCS_ENDPOINT = '', GCS_BUCKET_NAME = '', SCRYPTED_HOST = '', SCRYPTED_USER = '', SCRYPTED_PASSWORD = '' } = env;
  return measured(process.execPath, [RAW_COPY, GCS_ENDPOINT, GCS_BUCKET_NAME, prefix, String(concurrency), '--scrypted', SCRYPTED_HOST, SCRYPTED_USER, SCRYPTED_PASSWORD, ...clipIds], {});
}

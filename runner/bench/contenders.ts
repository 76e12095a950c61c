// The three ways of moving a scenario's clips into the GCS test server, each as its own process under GNU time:
// the runner (built JavaScript, as the container runs it), rclone (Debian's, GCS backend with a custom
// endpoint), and the raw copy (files piped into media uploads). Each writes under its own prefix, which the
// caller deletes afterwards.
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { measured, type Measurement } from './measured-process.js';

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

export async function runnerRun(env: Record<string, string>, logLevel: 'info' | 'debug' = 'info'): Promise<RunnerFigures & { timelines: ClipPhases[]; stages: RunStages }> {
  // BENCH_RUNNER_NODE_ARGS: flags for the runner's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (to profile it).
  const nodeArgs = (process.env.BENCH_RUNNER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const result = await measured(process.execPath, [...nodeArgs, RUNNER_CLI, 'run'], { ...env, LOG_LEVEL: logLevel });
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

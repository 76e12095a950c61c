// The three ways of moving a scenario's clips into the GCS test server, each as its own process under GNU time:
// the runner (built JavaScript, as the container runs it), rclone (Debian's, GCS backend with a custom
// endpoint), and the raw copy (files piped into media uploads). Each writes under its own prefix, which the
// caller deletes afterwards.
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

export async function runnerRun(env: Record<string, string>, logLevel: 'info' | 'debug' = 'info'): Promise<RunnerFigures & { timelines: ClipPhases[] }> {
  const result = await measured(process.execPath, [RUNNER_CLI, 'run'], { ...env, LOG_LEVEL: logLevel });
  const end = logEvent(result.stdout, 'job.end');
  const requests = logEvent(result.stdout, 'run.requests');
  if (end.status !== 'complete') throw new Error(`runner run ended ${String(end.status)}`);
  const timelines = logLevel === 'debug'
    ? result.stdout.split('\n').filter((l) => l.includes('"event":"clip.timeline"')).map((l) => (JSON.parse(l) as { phases: ClipPhases }).phases)
    : [];
  return {
    ...result,
    timelines,
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

// `daemon --every 1h`: runs, sleeps, repeats; runs never overlap. It writes the heartbeat file (HEARTBEAT_FILE)
// when it starts and after every run: when it last ran, how that run ended, when a run last succeeded, and how
// long the container's health check (runner/healthcheck.mjs) may go without a success (2 x the interval). So the
// container turns unhealthy when the loop is stuck (the file gets old) and when runs go on failing.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunnerConfig } from '../config.js';
import { formatDuration } from '../duration.js';
import { exitCodeOf } from '../job/run-backup.js';
import { chooseLogFormat, type Logger } from '../log.js';
import { forTerminal } from '../terminal-text.js';
import { runOnce, runSignals } from './run.js';

export interface Heartbeat {
  at: string;
  state: string;
  exitCode?: number;
  /** When this daemon started (ISO). */
  since: string;
  /** When a run last succeeded (ISO), if one did. */
  lastSuccessAt?: string;
  /** The health check reports unhealthy when no run succeeded for this long (since `since` before the first success). */
  successWithinSeconds: number;
}

/** Writes the heartbeat file atomically (rename); a failure is logged, never fatal. */
async function writeHeartbeat(path: string, logger: Logger, heartbeat: Heartbeat): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(heartbeat)}\n`)
    .then(() => rename(temporary, path))
    .catch((error: unknown) => {
      logger.warn({ event: 'heartbeat.failed', err: String(error) }, `could not write the heartbeat file ${path}`);
    });
}

/** A success an earlier daemon recorded in the heartbeat file (a restart keeps it), or undefined. */
async function earlierSuccess(path: string): Promise<string | undefined> {
  try {
    const value = (JSON.parse(await readFile(path, 'utf8')) as { lastSuccessAt?: unknown }).lastSuccessAt;
    return typeof value === 'string' && Number.isFinite(Date.parse(value)) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One daemon's heartbeat file: `beat` writes it (the state, an exit code, when the daemon started, the last success),
 * `succeeded` records a success for the next beat. A success an earlier daemon recorded is kept.
 */
export async function daemonHeartbeat(path: string, logger: Logger, successWithinSeconds: number) {
  const since = new Date().toISOString();
  let lastSuccessAt = await earlierSuccess(path);
  return {
    succeeded(): void {
      lastSuccessAt = new Date().toISOString();
    },
    beat(state: string, exitCode?: number): Promise<void> {
      return writeHeartbeat(path, logger, {
        at: new Date().toISOString(), state, ...(exitCode === undefined ? {} : { exitCode }), since, ...(lastSuccessAt ? { lastSuccessAt } : {}), successWithinSeconds,
      });
    },
  };
}

export async function daemonCommand(config: RunnerConfig, logger: Logger, everyMs: number, signal: AbortSignal): Promise<number> {
  logger.info({ event: 'daemon.start', everyMs }, `daemon: a backup run every ${formatDuration(everyMs)}`);
  const signals = runSignals(config, logger);
  const heartbeat = await daemonHeartbeat(config.heartbeatFile, logger, Math.round((2 * everyMs) / 1000));
  await heartbeat.beat('starting');
  while (!signal.aborted) {
    const started = Date.now();
    try {
      const result = await runOnce(config, logger, { dryRun: false, signal }, signals);
      if (exitCodeOf(result) === 0) heartbeat.succeeded();
      // A person at a terminal sees each run's summary (the JSON log has it in job.end).
      if (chooseLogFormat(config.logFormat) === 'pretty') for (const line of result.summary.split('\n')) process.stderr.write(`${forTerminal(line)}\n`);
      await heartbeat.beat(result.status, exitCodeOf(result));
    } catch (error) {
      logger.error({ event: 'daemon.run_failed', err: error instanceof Error ? error.message : String(error) }, `backup run failed: ${error instanceof Error ? error.message : String(error)}`);
      await heartbeat.beat('failed', 1);
    }
    const wait = Math.max(0, everyMs - (Date.now() - started));
    logger.info({ event: 'daemon.sleep', nextRunAt: new Date(Date.now() + wait).toISOString() }, 'sleeping until the next run');
    await sleep(wait, undefined, { signal }).catch(() => undefined);
  }
  logger.info({ event: 'daemon.stop' }, 'daemon stopped');
  return 0;
}

// `daemon --every 1h`: runs, sleeps, repeats; runs never overlap. After each run it touches the heartbeat file
// (HEARTBEAT_FILE) so a container health check can tell a live daemon from a stuck one.
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunnerConfig } from '../config.js';
import { exitCodeOf } from '../job/run-backup.js';
import type { Logger } from '../log.js';
import { runOnce } from './run.js';

export async function touchHeartbeat(path: string | undefined, logger: Logger, detail: Record<string, unknown>): Promise<void> {
  if (!path) return;
  await writeFile(path, `${JSON.stringify({ at: new Date().toISOString(), ...detail })}\n`).catch((error: unknown) => {
    logger.warn({ event: 'heartbeat.failed', err: String(error) }, `could not write the heartbeat file ${path}`);
  });
}

export async function daemonCommand(config: RunnerConfig, logger: Logger, everyMs: number, signal: AbortSignal): Promise<number> {
  logger.info({ event: 'daemon.start', everyMs }, `daemon: a backup run every ${everyMs / 1000} s`);
  await touchHeartbeat(config.heartbeatFile, logger, { state: 'starting' });
  while (!signal.aborted) {
    const started = Date.now();
    try {
      const result = await runOnce(config, logger, { dryRun: false, signal });
      await touchHeartbeat(config.heartbeatFile, logger, { state: result.status, exitCode: exitCodeOf(result) });
    } catch (error) {
      logger.error({ event: 'daemon.run_failed', err: error instanceof Error ? error.message : String(error) }, 'backup run failed');
      await touchHeartbeat(config.heartbeatFile, logger, { state: 'failed' });
    }
    const wait = Math.max(0, everyMs - (Date.now() - started));
    logger.info({ event: 'daemon.sleep', nextRunAt: new Date(Date.now() + wait).toISOString() }, 'sleeping until the next run');
    await sleep(wait, undefined, { signal }).catch(() => undefined);
  }
  logger.info({ event: 'daemon.stop' }, 'daemon stopped');
  return 0;
}

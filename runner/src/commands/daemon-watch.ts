// `daemon --watch`: the watch (watch/watch-loop.ts) with one Scrypted connection, one sink and one state store
// for its whole life; the heartbeat file is touched after every check, so a health check tells a live watch
// from a stuck one. SIGTERM ends the current run cleanly (what landed is kept) and then the watch.
import { performance } from 'node:perf_hooks';
import { runnerClock } from '../clock.js';
import type { RunnerConfig } from '../config.js';
import { backupSettings } from '../job/backup-settings.js';
import { exitCodeOf } from '../job/run-backup.js';
import type { Logger } from '../log.js';
import { DEFAULT_WATCH_TIMING } from '../watch/watch-decisions.js';
import { watch } from '../watch/watch-loop.js';
import { connectSource, createSink, createStateStore, runnerIdentity } from '../wiring.js';
import { daemonHeartbeat } from './daemon.js';
import { runSignals } from './run.js';

const HEARTBEAT_EVERY_MS = 60_000;
/**
 * The health check (runner/healthcheck.mjs) reports unhealthy when nothing succeeded for this long. In watch mode a
 * success is a check whose listing worked with no failed run pending, so a quiet site stays healthy.
 */
const SUCCESS_WITHIN_SECONDS = 2 * 3600;

export async function watchDaemonCommand(config: RunnerConfig, logger: Logger, signal: AbortSignal): Promise<number> {
  let lastBeat = 0;
  const signals = runSignals(config, logger);
  let runFailed = false;
  const heartbeat = await daemonHeartbeat(config.heartbeatFile, logger, SUCCESS_WITHIN_SECONDS);
  await heartbeat.beat('starting');
  const state = await createStateStore(config);
  try {
    const source = await connectSource(config, logger);
    try {
      const { signal: _unused, dryRun: _dry, ...backup } = backupSettings(config, runnerIdentity(), { dryRun: false, signal });
      await watch(
        { source, sink: await createSink(config, logger), state, logger, clock: runnerClock(), monotonic: () => performance.now(), requests: () => ({ ...state.requests }) },
        {
          backup,
          timing: { ...DEFAULT_WATCH_TIMING, pollMs: config.watchPollMs },
          signal,
          onRun: async (result) => {
            runFailed = result.status !== 'complete';
            if (!runFailed) heartbeat.succeeded();
            // The ping URL and the metrics file hear of every run, as after `run`; the per-camera lines come from the
            // state the run's record wrote (a state read only when it wrote none), never from a read while quiet.
            const cameras = await signals.cameraWatermarks(state, result.state);
            await signals.finished({
              success: exitCodeOf(result) === 0, finishedAt: Date.now(), durationMs: result.durationMs, reason: result.summary, counts: result.counts, cameras,
            });
            await heartbeat.beat(result.status, exitCodeOf(result));
          },
          onCheck: async (ok) => {
            if (ok && !runFailed) heartbeat.succeeded();
            // At most once a minute while quiet: the health check and the metrics file need a fresh file, not one per wake.
            if (Date.now() - lastBeat < HEARTBEAT_EVERY_MS) return;
            lastBeat = Date.now();
            if (ok && !runFailed) await signals.quietCheck(lastBeat);
            // After a failed run the file keeps saying so until a run succeeds (the health check's message shows it).
            await heartbeat.beat(!ok ? 'check failed' : runFailed ? 'watching; the last run failed' : 'watching');
          },
        },
      );
    } finally {
      await source.close();
    }
  } finally {
    await state.close();
  }
  logger.info({ event: 'daemon.stop' }, 'daemon stopped');
  return 0;
}

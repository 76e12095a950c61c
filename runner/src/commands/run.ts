// `run`: one backup run, or with --dry-run the list of what would be uploaded (nothing is written).
import { runnerClock } from '../clock.js';
import type { RunnerConfig } from '../config.js';
import { backupSettings } from '../job/backup-settings.js';
import { exitCodeOf, runBackup, type RunResult } from '../job/run-backup.js';
import type { Logger } from '../log.js';
import { forTerminal } from '../terminal-text.js';
import { RunSignals } from '../signals/run-signals.js';
import type { CameraWatermark } from '../signals/metrics-file.js';
import { connectSource, createSink, createStateStore, runnerIdentity } from '../wiring.js';

export interface RunOptions {
  dryRun: boolean;
  signal: AbortSignal;
}

/** The signals (ping URL, metrics file) of the runs of this process. */
export function runSignals(config: RunnerConfig, logger: Logger): RunSignals {
  return new RunSignals({ healthcheckUrl: config.healthcheckUrl, metricsFile: config.metricsFile }, logger);
}

/**
 * One backup run, and the outside told how it ended (start/success/failure pings, the metrics file). A dry run
 * writes nothing and signals nothing.
 */
export async function runOnce(config: RunnerConfig, logger: Logger, options: RunOptions, signals = runSignals(config, logger)): Promise<RunResult> {
  if (options.dryRun) return (await backupOnce(config, logger, options, undefined)).result;
  const startedAt = Date.now();
  await signals.started();
  try {
    const { result, cameras } = await backupOnce(config, logger, options, signals);
    await signals.finished({
      success: exitCodeOf(result) === 0, finishedAt: Date.now(), durationMs: result.durationMs, reason: result.summary, counts: result.counts, cameras,
    });
    return result;
  } catch (error) {
    const reason = `backup run failed: ${error instanceof Error ? error.message : String(error)}`;
    await signals.finished({ success: false, finishedAt: Date.now(), durationMs: Date.now() - startedAt, reason, counts: undefined, cameras: [] });
    throw error;
  }
}

async function backupOnce(config: RunnerConfig, logger: Logger, options: RunOptions, signals: RunSignals | undefined): Promise<{ result: RunResult; cameras: CameraWatermark[] }> {
  const state = await createStateStore(config, logger);
  try {
    const source = await connectSource(config, logger);
    try {
      // The first Firestore call (connecting, loading the client's protos) runs while the GCS client loads. Started
      // only once Scrypted accepted the login, so a run that cannot log in contacts nothing else.
      const firstRead = state.read();
      firstRead.catch(() => undefined); // the run awaits it and reports a failure; this only keeps it from being unhandled meanwhile
      const result = await runBackup(
        { source, sink: await createSink(config, logger), state, logger, clock: runnerClock(), firstRead },
        backupSettings(config, runnerIdentity(), options),
      );
      // What the run cost in state requests (a run with nothing new: one transaction, no write).
      logger.info({ event: 'run.requests', firestoreTransactions: state.requests.transactions, firestoreWrites: state.requests.writes }, 'state requests');
      return { result, cameras: signals ? await signals.cameraWatermarks(state, result.state) : [] };
    } finally {
      await source.close();
    }
  } finally {
    await state.close();
  }
}

export async function runCommand(config: RunnerConfig, logger: Logger, options: RunOptions): Promise<number> {
  const result = await runOnce(config, logger, options);
  if (options.dryRun) {
    process.stdout.write(`dry run: ${result.dryRunObjects.length} clip(s) would be uploaded\n`);
    for (const name of result.dryRunObjects) process.stdout.write(`  ${forTerminal(name)}\n`);
    if (result.counts.unsupported > 0) {
      process.stdout.write(`dry run: ${result.counts.unsupported} clip(s) cannot be backed up (only an ffmpeg/RTSP input; see the clip.unsupported log lines)\n`);
    }
  }
  // The summary may name another runner's lease owner, read from the state document.
  for (const line of result.summary.split('\n')) process.stderr.write(`${forTerminal(line)}\n`);
  return exitCodeOf(result);
}

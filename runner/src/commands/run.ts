// `run`: one backup run, or with --dry-run the list of what would be uploaded (nothing is written).
import { runnerClock } from '../clock.js';
import type { RunnerConfig } from '../config.js';
import { backupSettings } from '../job/backup-settings.js';
import { exitCodeOf, runBackup, type RunResult } from '../job/run-backup.js';
import type { Logger } from '../log.js';
import { forTerminal } from '../terminal-text.js';
import { connectSource, createSink, createStateStore, runnerIdentity } from '../wiring.js';

export async function runOnce(config: RunnerConfig, logger: Logger, options: { dryRun: boolean; signal: AbortSignal }): Promise<RunResult> {
  const state = await createStateStore(config);
  try {
    const source = await connectSource(config, logger);
    try {
      const result = await runBackup(
        { source, sink: await createSink(config, logger), state, logger, clock: runnerClock() },
        backupSettings(config, runnerIdentity(), options),
      );
      // What the run cost in state requests (a run with nothing new: one transaction, no write).
      logger.info({ event: 'run.requests', firestoreTransactions: state.requests.transactions, firestoreWrites: state.requests.writes }, 'state requests');
      return result;
    } finally {
      await source.close();
    }
  } finally {
    await state.close();
  }
}

export async function runCommand(config: RunnerConfig, logger: Logger, options: { dryRun: boolean; signal: AbortSignal }): Promise<number> {
  const result = await runOnce(config, logger, options);
  if (options.dryRun) {
    process.stdout.write(`dry run: ${result.dryRunObjects.length} clip(s) would be uploaded\n`);
    for (const name of result.dryRunObjects) process.stdout.write(`  ${forTerminal(name)}\n`);
    if (result.counts.unsupported > 0) {
      process.stdout.write(`dry run: ${result.counts.unsupported} clip(s) cannot be backed up (only an ffmpeg/RTSP input; see the clip.unsupported log lines)\n`);
    }
  }
  // The summary may name another runner's lease owner, read from the state document.
  process.stderr.write(`${forTerminal(result.summary)}\n`);
  return exitCodeOf(result);
}

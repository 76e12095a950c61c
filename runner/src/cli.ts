#!/usr/bin/env node
// The runner's commands. Configuration comes from the environment; a bad configuration is reported in full,
// with exit code 2, before anything is contacted or written.
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig, type RunnerConfig } from './config.js';
import { chooseLogFormat, createLogger, registerSecret, scrubSecrets, type Logger } from './log.js';
import { parseDuration } from './duration.js';
import { forTerminal } from './terminal-text.js';
import { runCommand } from './commands/run.js';
import { daemonCommand } from './commands/daemon.js';
import { watchDaemonCommand } from './commands/daemon-watch.js';
import { statusCommand } from './commands/status.js';
import { EXIT_STALE } from './signals/staleness.js';
import { checkCommand } from './commands/check.js';
import { findCommand, type FindFlags } from './commands/find.js';
import { restoreCommand, type RestoreFlags } from './commands/restore.js';
import { browseCommand, type BrowseFlags } from './commands/browse.js';
import { addSelectionOptions } from './restore/selection-options.js';

export const EXIT_CONFIG = 2;

class ConfigExit extends Error {}

function configuredOrExit(): { config: RunnerConfig; logger: Logger } {
  const result = loadConfig(process.env);
  if (!result.ok) {
    process.stderr.write(`configuration error (nothing was contacted or written):\n${result.problems.map((p) => `  - ${forTerminal(p)}`).join('\n')}\n`);
    process.stderr.write('see .env.example for every setting\n');
    throw new ConfigExit();
  }
  registerSecret(result.config.scrypted.password);
  return { config: result.config, logger: createLogger({ level: result.config.logLevel, format: chooseLogFormat(result.config.logFormat) }) };
}

/** SIGTERM/SIGINT abort the run: the current upload is abandoned cleanly and what landed is kept. */
function stopSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = (name: string) => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`${name} received: finishing cleanly (send again to exit at once)\n`);
    controller.abort();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return controller.signal;
}

/** A duration option of at least `minMs`, e.g. 30m, 1h. */
function durationAtLeast(minMs: number, minText: string): (value: string) => number {
  return (value) => {
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
    if (!(ms >= minMs)) throw new InvalidArgumentError(`must be at least ${minText}, got ${JSON.stringify(value)}`);
    return ms;
  };
}

/** `--every`: at least one minute (0 would start runs back to back). */
const durationOption = durationAtLeast(60_000, '1m');
/** `--max-age`: at least one second. */
const ageOption = durationAtLeast(1000, '1s');

/** The runner's version, from runner/package.json (next to src/ and dist/ alike, in the image too). */
export function runnerVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command()
    .name('nvr-backup')
    .description('Backs up Scrypted NVR clips to a Google Cloud Storage bucket (settings: environment, see .env.example)')
    .version(runnerVersion(), '-V, --version', 'print the version and exit')
    .exitOverride()
    .showHelpAfterError();
  program
    .command('run')
    .description('one backup run; exit 0 only when every completed clip is in the bucket')
    .option('--dry-run', 'list the clips that would be uploaded; write nothing', false)
    .action(async (options: { dryRun: boolean }) => {
      const { config, logger } = configuredOrExit();
      setExitCode(await runCommand(config, logger, { dryRun: options.dryRun, signal: stopSignal() }));
    });
  program
    .command('daemon')
    .description('run, sleep, repeat (never overlapping); with --watch (the container default): back up each clip as soon as it settled')
    .addOption(new Option('--every <duration>', 'time between run starts, e.g. 30m, 1h').argParser(durationOption).default(3_600_000, '1h'))
    .option('--watch', 'stay connected to Scrypted: list each camera every WATCH_POLL_SECONDS and sooner after motion, start a run when a clip settled', false)
    .action(async (options: { every: number; watch: boolean }, command: Command) => {
      if (options.watch && command.getOptionValueSource('every') === 'cli') {
        command.error('error: --watch and --every exclude each other: --watch backs up each clip as it settles, --every on a schedule; give one', { exitCode: 2 });
      }
      const { config, logger } = configuredOrExit();
      if (options.watch) setExitCode(await watchDaemonCommand(config, logger, stopSignal()));
      else setExitCode(await daemonCommand(config, logger, options.every, stopSignal()));
    });
  program
    .command('status')
    .description('the watermark per camera, from the state document')
    .option('--json', 'print JSON instead of a table', false)
    .option('--max-age <duration>', `exit ${EXIT_STALE} when the newest successful run or any camera's watermark is older, e.g. 12h (for cron and monitoring)`, ageOption)
    .action(async (options: { json: boolean; maxAge?: number }) => {
      const { config } = configuredOrExit();
      setExitCode(await statusCommand(config, options));
    });
  program
    .command('check')
    .description('preflight: Scrypted login, a bucket write, the state document')
    .action(async () => {
      const { config, logger } = configuredOrExit();
      setExitCode(await checkCommand(config, logger));
    });
  // find/restore/browse read the bucket with the user's own credentials (docs/restore.md), not the runner's.
  addSelectionOptions(program.command('find').description('list the clips of a camera and time range in the bucket (your read access)'))
    .option('--json', 'print JSON instead of a table', false)
    .action(async (options: FindFlags) => setExitCode(await findCommand(process.env, options)));
  addSelectionOptions(program.command('restore').description('download the selected clips into a folder, each checked against its CRC32C'))
    .option('--out <folder>', 'where the clips go', 'restored-clips')
    .option('--dry-run', 'list what would be downloaded; write nothing', false)
    .action(async (options: RestoreFlags) => setExitCode(await restoreCommand(process.env, options, process.stdout, process.stderr, stopSignal())));
  program
    .command('browse')
    .description('a page on 127.0.0.1 to look through the clips by day and play them (your read access)')
    .option('--port <port>', 'port on 127.0.0.1 (0: any free port)', '8642')
    .action(async (options: BrowseFlags) => setExitCode(await browseCommand(process.env, options, stopSignal())));
  return program;
}

async function main(): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(process.argv);
    return exitCode;
  } catch (error) {
    if (error instanceof ConfigExit) return EXIT_CONFIG;
    const commanderError = error as { code?: string; exitCode?: number };
    if (commanderError.code?.startsWith('commander.')) {
      return commanderError.code === 'commander.helpDisplayed' || commanderError.code === 'commander.version' ? 0 : EXIT_CONFIG;
    }
    process.stderr.write(`error: ${forTerminal(scrubSecrets(error instanceof Error ? error.message : String(error)))}\n`);
    return 1;
  }
}

process.exitCode = await main();

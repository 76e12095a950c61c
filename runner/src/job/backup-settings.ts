// The settings of a backup run, from the configuration: one place for `run`, `daemon` and the watch.
import type { RunnerConfig } from '../config.js';
import type { BackupSettings } from './run-backup.js';

export function backupSettings(config: RunnerConfig, owner: string, options: { dryRun: boolean; signal: AbortSignal }): BackupSettings {
  return {
    owner,
    leaseMs: config.leaseMs,
    cameraConcurrency: config.cameraConcurrency,
    uploadConcurrency: config.uploadConcurrency,
    plan: { lookbackMs: config.lookbackMs, settleMs: config.settleMs, openClipMaxMs: config.clipMaxMs },
    objectPrefix: config.objectPrefix,
    siteId: config.siteId,
    backfillMs: config.backfillMs,
    dryRun: options.dryRun,
    signal: options.signal,
    destination: config.gcs.bucket,
  };
}

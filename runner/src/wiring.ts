// Builds the three adapters from the configuration: the only place that knows all of them. Adapters are loaded
// on first use, so `--help` and configuration errors never load the Google client libraries.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { RunnerConfig } from './config.js';
import type { FirestoreStateStore } from './firestore/index.js';
import type { GcsClipSink } from './gcs/index.js';
import type { Logger } from './log.js';
import type { ScryptedClipSource } from './scrypted/index.js';

export async function createStateStore(config: RunnerConfig, logger?: Logger): Promise<FirestoreStateStore> {
  const { createFirestoreStateStore } = await import('./firestore/index.js');
  return createFirestoreStateStore({
    ...config.firestore,
    initialWatermark: 0,
    backfillMs: config.backfillMs,
    bucket: config.gcs.bucket,
    ...(logger ? { onRetry: ({ event, message, attempt }) => logger.warn({ event, attempt }, message) } : {}),
  });
}

export async function createSink(config: RunnerConfig, logger: Logger): Promise<GcsClipSink> {
  const { createGcsClipSink } = await import('./gcs/index.js');
  return createGcsClipSink({ ...config.gcs, baseBackoffMs: 500, logger });
}

export async function connectSource(config: RunnerConfig, logger: Logger): Promise<ScryptedClipSource> {
  const { connectScryptedClipSource } = await import('./scrypted/index.js');
  return connectScryptedClipSource({ ...config.scrypted, logger });
}

/** A lease owner id that tells a person which host and process holds the lease. */
export function runnerIdentity(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

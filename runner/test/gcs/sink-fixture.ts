// What the GCS sink tests share: a silent logger, a fresh bucket on the GCS test server, and sink options aimed
// at it (small retry backoff; one streaming request per clip unless a test asks for chunks).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { GcsSinkOptions } from '../../src/gcs/index.js';
import { createLogger } from '../../src/log.js';

export const silentLogger = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) });

let created = 0;

/** Creates a bucket named `${prefix}-n` on the test server at `endpoint`. */
export async function freshBucket(endpoint: string, prefix: string): Promise<string> {
  const name = `${prefix}-${++created}`;
  const response = await fetch(`${endpoint}/storage/v1/b?project=demo`, { method: 'POST', body: JSON.stringify({ name }) });
  assert.equal(response.status, 200);
  return name;
}

export function testSinkOptions(endpoint: string | undefined, bucket: string, overrides: Partial<GcsSinkOptions> = {}): GcsSinkOptions {
  return {
    bucket, projectId: 'demo-project', keyFilename: undefined, apiEndpoint: endpoint,
    resumableThresholdBytes: 100_000, chunkSizeBytes: 0, maxAttempts: 3, baseBackoffMs: 5, logger: silentLogger, ...overrides,
  };
}

// The ClipSink port on Google Cloud Storage. Objects are only ever created: every upload carries
// ifGenerationMatch=0 (https://cloud.google.com/storage/docs/request-preconditions), so a 412 means the object is
// already there and nothing is overwritten. Bytes are checked by the server before the object exists: the
// CRC32C goes with the upload (metadata.crc32c for a single request, X-Goog-Hash on a resumable upload's last
// chunk). The runner's key cannot read, list or delete, and this class never tries to.
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Storage, type Bucket } from '@google-cloud/storage';
import type { ClipSink, ClipStream, ObjectDescription, PutResult } from '../core/ports.js';
import type { Logger } from '../log.js';
import { attemptAgent } from './attempt-agent.js';
import { ByteCounter } from './byte-counter.js';
import { FastCrc32c, fastCrc32cGenerator } from './fast-crc32c.js';
import { backoffDelay, httpStatusOf, isRetryable } from './retry-policy.js';

export interface GcsSinkOptions {
  bucket: string;
  projectId: string;
  keyFilename: string | undefined;
  /** A GCS-compatible endpoint (tests, the demo); undefined means Google. No credentials are sent to it. */
  apiEndpoint: string | undefined;
  /** Clips whose size is known and below this go in one request; others use a resumable upload. */
  resumableThresholdBytes: number;
  /** Resumable chunk size (a multiple of 256 KiB), the memory one upload holds; 0: the clip streams in one request. */
  chunkSizeBytes: number;
  maxAttempts: number;
  baseBackoffMs: number;
  logger: Logger;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Reads a whole (small, bounded) stream into memory for a single-request upload. */
async function readBounded(clip: ClipStream, limit: number): Promise<Buffer> {
  const counter = new ByteCounter(clip.size);
  const chunks: Buffer[] = [];
  let total = 0;
  await pipeline(clip.stream, counter, async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      total += chunk.length;
      if (total > limit) throw new Error(`clip larger than the ${limit}-byte single-request limit`);
      chunks.push(chunk);
    }
  });
  return Buffer.concat(chunks, total);
}

export class GcsClipSink implements ClipSink {
  private readonly bucket: Bucket;

  constructor(private readonly options: GcsSinkOptions) {
    const storage = new Storage({
      projectId: options.projectId,
      ...(options.keyFilename ? { keyFilename: options.keyFilename } : {}),
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint, useAuthWithCustomEndpoint: false } : {}),
      // Our loop retries, with a fresh source stream each time: the library must never replay a consumed stream.
      // (retryableErrorFn: no error is the library's to retry; its own retry path also JSON-stringifies socket errors.)
      retryOptions: { autoRetry: false, maxRetries: 0, retryableErrorFn: () => false },
      crc32cGenerator: fastCrc32cGenerator,
    });
    this.bucket = storage.bucket(options.bucket);
  }

  async putIfAbsent(object: ObjectDescription, open: () => Promise<ClipStream>, signal?: AbortSignal): Promise<PutResult> {
    for (let attempt = 1; ; attempt += 1) {
      signal?.throwIfAborted();
      try {
        const bytes = await this.attempt(object, await open(), signal);
        return { outcome: 'created', bytes, attempts: attempt };
      } catch (error) {
        if (httpStatusOf(error) === 412) return { outcome: 'exists', bytes: 0, attempts: attempt };
        if (attempt >= this.options.maxAttempts || !isRetryable(error, signal)) {
          throw new Error(`upload of ${object.name} failed after ${attempt} attempt(s): ${describe(error)}`, { cause: error });
        }
        const delayMs = backoffDelay(attempt, this.options.baseBackoffMs);
        this.options.logger.warn({ event: 'upload.retry', object: object.name, attempt, delayMs, reason: describe(error) }, `retrying ${object.name}`);
        await sleep(delayMs, undefined, signal ? { signal } : {});
      }
    }
  }

  private async attempt(object: ObjectDescription, clip: ClipStream, signal: AbortSignal | undefined): Promise<number> {
    const file = this.bucket.file(object.name);
    const size = clip.size ?? object.size;
    const preconditionOpts = { ifGenerationMatch: 0 };
    if (size !== undefined && size < this.options.resumableThresholdBytes) {
      const bytes = await readBounded(clip, this.options.resumableThresholdBytes);
      const crc = new FastCrc32c();
      crc.update(bytes);
      signal?.throwIfAborted();
      await file.save(bytes, {
        resumable: false,
        validation: false,
        preconditionOpts,
        metadata: { contentType: object.contentType, metadata: object.metadata, crc32c: crc.toString() },
      });
      return bytes.length;
    }
    // The session's requests go through an agent of this attempt's own, closed when the attempt ends (see
    // attempt-agent.ts; found by the fault harness: a Scrypted restart mid-upload kept the runner from exiting).
    const attemptSockets = attemptAgent(this.options.apiEndpoint);
    file.interceptors.push({ request: (requestOptions) => Object.assign(requestOptions, { agent: attemptSockets.agent }) as never });
    const counter = new ByteCounter(size);
    const upload = file.createWriteStream({
      resumable: true,
      ...(this.options.chunkSizeBytes > 0 ? { chunkSize: this.options.chunkSizeBytes } : {}),
      validation: 'crc32c',
      preconditionOpts,
      metadata: { contentType: object.contentType, metadata: object.metadata },
    });
    try {
      await pipeline(clip.stream, counter, upload, signal ? { signal } : {});
    } finally {
      attemptSockets.close();
    }
    return counter.bytes;
  }

  /** For `check`: a tiny object that proves the key may create objects in the bucket. */
  async probeWrite(): Promise<void> {
    const name = `_nvr-backup/check/${new Date().toISOString()}-${randomBytes(4).toString('hex')}.txt`;
    await this.bucket.file(name).save(`nvr-backup check ${new Date().toISOString()}\n`, {
      resumable: false,
      preconditionOpts: { ifGenerationMatch: 0 },
      metadata: { contentType: 'text/plain' },
    });
  }
}

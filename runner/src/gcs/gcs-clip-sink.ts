// The ClipSink port on Google Cloud Storage. Objects are only ever created: every upload carries
// ifGenerationMatch=0 (https://cloud.google.com/storage/docs/request-preconditions), and every upload carries the
// clip's CRC32C, which GCS checks before the object exists (https://cloud.google.com/storage/docs/data-validation):
// small clips in one multipart request whose metadata holds it (multipart-post.ts), others through a resumable
// session that the storage library opens, the bytes then sent directly with the hash on the final request
// (direct-put.ts; GCS_CHUNK_SIZE_MB > 0 sets the size of its non-final requests). So an object under a clip's
// name can only hold that clip's verified bytes, and GCS's precondition answer (412 conditionNotMet, told apart
// from any other 412 in gcs-errors.ts) means "this clip is backed up". The created object's CRC32C is checked
// once more in the answer: a mismatch is a StoredObjectMismatchError, never retried into an "exists". Errors of
// the clip's source are ClipSourceErrors (source-reader.ts): whatever status they carry is never GCS's.
// The runner's key cannot read, list or delete, and this class never tries to.
import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { Storage, type Bucket } from '@google-cloud/storage';
import type { ClipSink, ClipStream, ObjectDescription, PutResult, UploadPhaseRecorder } from '../core/ports.js';
import type { Logger } from '../log.js';
import { attemptAgent } from './attempt-agent.js';
import { putToSession } from './direct-put.js';
import { FastCrc32c, fastCrc32cGenerator } from './fast-crc32c.js';
import { classifyLibraryError, isGcsPreconditionFailed } from './gcs-errors.js';
import { postMultipart } from './multipart-post.js';
import { backoffDelay, isRetryable } from './retry-policy.js';
import { ClipSourceError } from './source-reader.js';
import { describeUploadLimit, type UploadLimitSchedule } from './upload-limit-schedule.js';
import { UploadThrottle, type ThrottleClock } from './upload-throttle.js';

export interface GcsSinkOptions {
  bucket: string;
  projectId: string;
  keyFilename: string | undefined;
  /** A GCS-compatible endpoint (tests, the demo); undefined means Google. No credentials are sent to it. */
  apiEndpoint: string | undefined;
  /** Clips whose size is known and below this go in one request; others use a resumable upload. */
  resumableThresholdBytes: number;
  /** Largest non-final request of a resumable upload (a multiple of 256 KiB); 0: as few requests as possible. */
  chunkSizeBytes: number;
  maxAttempts: number;
  baseBackoffMs: number;
  logger: Logger;
  /** UPLOAD_LIMIT: one cap shared by every upload of this sink (upload-throttle.ts); undefined: none. */
  uploadLimit?: UploadLimitSchedule | undefined;
  /** Tests only: the clock the cap is kept with. */
  throttleClock?: ThrottleClock | undefined;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Opens the clip's source; its failure is the source's (ClipSourceError), whatever status it carries. */
async function openSource(open: () => Promise<ClipStream>): Promise<ClipStream> {
  try {
    return await open();
  } catch (error) {
    throw new ClipSourceError(`opening the clip's source failed: ${describe(error)}`, { cause: error });
  }
}

/**
 * Reads a whole (small, bounded) stream into memory for a single-request upload, as the buffers it came in, counting
 * and hashing them in the same loop: a source that sends more or fewer bytes than it announced fails (no object).
 * One loop over the stream, no Transform in between: a stream stage per chunk cost about 0.2 ms of CPU per 1 MB
 * clip, for nothing (docs/benchmarks.md, "CPU per GB and per small clip").
 */
async function readBounded(clip: ClipStream, limit: number, timeline: UploadPhaseRecorder): Promise<{ chunks: Buffer[]; bytes: number; crc32c: string }> {
  const crc = new FastCrc32c();
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    // Leaving the loop early (a throw) destroys the stream, which frees its connection.
    for await (const chunk of clip.stream as AsyncIterable<Buffer>) {
      if (bytes === 0) timeline.mark('firstByte');
      bytes += chunk.length;
      if (clip.size !== undefined && bytes > clip.size) throw new Error(`source sent more than the announced ${clip.size} bytes`);
      if (bytes > limit) throw new Error(`clip larger than the ${limit}-byte single-request limit`);
      crc.update(chunk);
      chunks.push(chunk);
    }
    if (clip.size !== undefined && bytes !== clip.size) throw new Error(`source ended after ${bytes} of ${clip.size} bytes`);
  } catch (error) {
    throw new ClipSourceError(`reading the clip's source failed after ${bytes} bytes: ${describe(error)}`, { cause: error });
  }
  timeline.mark('lastByte');
  return { chunks, bytes, crc32c: crc.toString() };
}

/** Idle keep-alive sockets of small uploads close after this (Node's agent also unrefs them while idle). */
const IDLE_SOCKET_MS = 30_000;

export class GcsClipSink implements ClipSink {
  private readonly storage: Storage;
  private readonly bucket: Bucket;
  /** Shared by small uploads so they reuse connections; idle sockets never keep the process alive. */
  private readonly smallUploads: HttpAgent;
  /** The shared UPLOAD_LIMIT bucket; undefined when there is no cap at any time. */
  private readonly throttle: UploadThrottle | undefined;

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
    this.storage = storage;
    this.bucket = storage.bucket(options.bucket);
    const keepAlive = { keepAlive: true, timeout: IDLE_SOCKET_MS };
    this.smallUploads = storage.apiEndpoint.startsWith('http:') ? new HttpAgent(keepAlive) : new HttpsAgent(keepAlive);
    this.throttle = options.uploadLimit ? new UploadThrottle(options.uploadLimit, options.throttleClock) : undefined;
    if (options.uploadLimit) {
      const limit = describeUploadLimit(options.uploadLimit);
      options.logger.info({ event: 'upload.limit', limit }, `uploads share a cap (UPLOAD_LIMIT): ${limit}`);
    }
  }

  /** Closes the small uploads' idle connections (optional: idle sockets do not keep the process alive). */
  close(): void {
    this.smallUploads.destroy();
  }

  async putIfAbsent(object: ObjectDescription, open: () => Promise<ClipStream>, signal?: AbortSignal, phases?: UploadPhaseRecorder, ready?: Promise<void>): Promise<PutResult> {
    let refused = false; // `ready` rejected: final, never retried
    ready?.catch(() => (refused = true));
    const timeline: UploadPhaseRecorder = phases ?? { mark: () => {} };
    for (let attempt = 1; ; attempt += 1) {
      signal?.throwIfAborted();
      try {
        const clip = await openSource(open);
        timeline.mark('sourceOpened');
        const bytes = await this.attempt(object, clip, signal, timeline, ready);
        timeline.mark('done');
        return { outcome: 'created', bytes, attempts: attempt };
      } catch (error) {
        // Only GCS's answer to our ifGenerationMatch=0: an object under the clip's name, created only with the
        // clip's verified bytes (the CRC32C goes with every upload).
        if (isGcsPreconditionFailed(error)) return { outcome: 'exists', bytes: 0, attempts: attempt };
        if (refused || attempt >= this.options.maxAttempts || !isRetryable(error, signal)) {
          throw new Error(`upload of ${object.name} failed after ${attempt} attempt(s): ${describe(error)}`, { cause: error });
        }
        const delayMs = backoffDelay(attempt, this.options.baseBackoffMs);
        this.options.logger.warn({ event: 'upload.retry', object: object.name, attempt, delayMs, reason: describe(error) }, `retrying ${object.name}`);
        await sleep(delayMs, undefined, signal ? { signal } : {});
      }
    }
  }

  private async attempt(object: ObjectDescription, clip: ClipStream, signal: AbortSignal | undefined, timeline: UploadPhaseRecorder, ready: Promise<void> | undefined): Promise<number> {
    const size = clip.size ?? object.size;
    if (size !== undefined && size < this.options.resumableThresholdBytes) return this.postSmall(object, clip, signal, timeline, ready);
    const file = this.bucket.file(object.name);
    // The session's requests go through an agent of this attempt's own, closed when the attempt ends (see
    // attempt-agent.ts; found by the fault harness: a Scrypted restart mid-upload kept the runner from exiting).
    const attemptSockets = attemptAgent(this.options.apiEndpoint);
    file.interceptors.push({ request: (requestOptions) => Object.assign(requestOptions, { agent: attemptSockets.agent }) as never });
    try {
      signal?.throwIfAborted();
      const [sessionUri] = await file
        .createResumableUpload({ preconditionOpts: { ifGenerationMatch: 0 }, metadata: { contentType: object.contentType, metadata: object.metadata } })
        .catch((error: unknown) => {
          throw classifyLibraryError(error, `opening an upload session for ${this.describeObject(object)}`);
        });
      timeline.mark('sessionOpened');
      return await putToSession({
        sessionUri, source: clip.stream, size, chunkBytes: this.options.chunkSizeBytes, agent: attemptSockets.agent,
        what: this.describeObject(object), objectName: object.name, signal, throttle: this.throttle, timeline, ready,
      });
    } finally {
      attemptSockets.close();
      clip.stream.destroy(); // a no-op after a whole clip was sent; frees the source when the session failed first
    }
  }

  private describeObject(object: ObjectDescription): string {
    return `gs://${this.options.bucket}/${object.name}`;
  }

  /** Below the threshold: the clip in memory, then one multipart request (multipart-post.ts). */
  private async postSmall(object: ObjectDescription, clip: ClipStream, signal: AbortSignal | undefined, timeline: UploadPhaseRecorder, ready: Promise<void> | undefined): Promise<number> {
    const { chunks, bytes, crc32c } = await readBounded(clip, this.options.resumableThresholdBytes, timeline);
    signal?.throwIfAborted();
    const endpoint = this.storage.apiEndpoint;
    // As the library does: credentials for Google, none for a custom endpoint (useAuthWithCustomEndpoint: false).
    const useAuth = !this.storage.customEndpoint || this.storage.useAuthWithCustomEndpoint === true;
    const headers = useAuth ? { ...(await this.storage.authClient.getRequestHeaders(endpoint)) } : {};
    await postMultipart({
      endpoint, bucket: this.options.bucket, name: object.name, contentType: object.contentType, metadata: object.metadata,
      chunks, bytes, crc32c, headers, agent: this.smallUploads, signal, what: this.describeObject(object), throttle: this.throttle, timeline, ready,
    });
    return bytes;
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

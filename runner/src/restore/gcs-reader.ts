// The read-only side of the bucket, for find/restore/browse: list objects under a prefix (paged), read one
// object's resource, and download its bytes (whole or a Range), through the JSON API. Kept apart from the
// create-only sink in ../gcs/: this class holds the reader's credentials and never writes.
//   objects.list: https://cloud.google.com/storage/docs/json_api/v1/objects/list
//   objects.get (alt=media for the bytes): https://cloud.google.com/storage/docs/json_api/v1/objects/get
//   Range on downloads: https://cloud.google.com/storage/docs/json_api/v1/parameters#range
//   Errors: https://cloud.google.com/storage/docs/json_api/v1/status-codes
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { GoogleAuth } from 'google-auth-library';
import type { ReaderConfig } from './reader-config.js';

const GOOGLE_ENDPOINT = 'https://storage.googleapis.com';
const READ_ONLY_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_only';
/** No answer (headers) within this: the request fails. */
const HEADERS_TIMEOUT_MS = 30_000;
/** A download whose bytes stop arriving for this long fails. */
const BODY_IDLE_MS = 60_000;
/** A listing or metadata body larger than this is not a GCS answer. */
const MAX_JSON_BYTES = 32 * 1024 * 1024;

/** One object as the listing or objects.get describes it (the fields we use). */
export interface ObjectResource {
  name: string;
  size: number;
  generation: string;
  crc32c: string | undefined;
  contentType: string | undefined;
  metadata: Map<string, string>;
}

export interface ListPage {
  objects: ObjectResource[];
  prefixes: string[];
  nextPageToken: string | undefined;
}

/** A failed request, with what to do about it in the message. */
export class ReaderError extends Error {
  constructor(message: string, readonly status: number | undefined) {
    super(message);
    this.name = 'ReaderError';
  }
}

/** The message a person reads for a failed answer: 403 names the role and the bucket. */
export function describeFailure(status: number, bucket: string, what: string, googleMessage: string): string {
  const said = googleMessage ? ` (Google said: ${googleMessage.slice(0, 300)})` : '';
  if (status === 403) {
    return `permission denied to ${what} in gs://${bucket}: your account needs roles/storage.objectViewer on the bucket ${bucket}${said}. ` +
      `Grant it with: gcloud storage buckets add-iam-policy-binding gs://${bucket} --member=user:YOU@example.com --role=roles/storage.objectViewer ` +
      '(or list yourself in NVR_BACKUP_READERS of the stack). The runner\'s own key cannot read, by design.';
  }
  if (status === 401) {
    return `not signed in to read gs://${bucket}${said}: run \`gcloud auth application-default login\`, or set READER_KEYFILE_PATH to a reader key`;
  }
  if (status === 404) return `not found: ${what} in gs://${bucket}${said}: check GCS_BUCKET_NAME (and OBJECT_PREFIX)`;
  return `GCS answered ${status} to ${what} in gs://${bucket}${said}`;
}

/** The JSON API's error message (https://cloud.google.com/storage/docs/json_api/v1/status-codes), or ''. */
function errorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    return typeof parsed.error?.message === 'string' ? parsed.error.message : '';
  } catch {
    return body.slice(0, 200);
  }
}

async function readText(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    if (bytes > limit) {
      await response.body.cancel().catch(() => {});
      throw new ReaderError(`an answer from GCS was larger than ${limit} bytes`, response.status);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Checks one item of a listing or an objects.get answer: hostile until checked. */
export function parseObjectResource(item: unknown): ObjectResource | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const fields = item as Record<string, unknown>;
  if (typeof fields.name !== 'string' || fields.name === '' || fields.name.length > 1024) return undefined;
  const size = Number(fields.size);
  if (!Number.isSafeInteger(size) || size < 0) return undefined;
  const metadata = new Map<string, string>();
  if (typeof fields.metadata === 'object' && fields.metadata !== null) {
    for (const [key, value] of Object.entries(fields.metadata as Record<string, unknown>)) {
      if (typeof value === 'string' && metadata.size < 64) metadata.set(key, value.slice(0, 2048));
    }
  }
  const text = (value: unknown) => (typeof value === 'string' && value.length <= 256 ? value : undefined);
  return {
    name: fields.name,
    size,
    generation: text(fields.generation) ?? '',
    crc32c: text(fields.crc32c),
    contentType: text(fields.contentType),
    metadata,
  };
}

/** Passes bytes on; fails (and calls `stop`) when none arrive for `idleMs`. */
class IdleGuard extends Transform {
  private timer: NodeJS.Timeout;

  constructor(private readonly idleMs: number, private readonly stop: () => void, private readonly what: string) {
    super();
    this.timer = this.arm();
  }

  private arm(): NodeJS.Timeout {
    return setTimeout(() => {
      this.stop();
      this.destroy(new ReaderError(`the download of ${JSON.stringify(this.what)} stalled: no bytes for ${this.idleMs / 1000} s`, undefined));
    }, this.idleMs);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    clearTimeout(this.timer);
    this.timer = this.arm();
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    clearTimeout(this.timer);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    callback(error);
  }
}

export interface Download {
  /** 200 for the whole object, 206 for a range, 416 when the range is outside the object. */
  status: number;
  headers: Headers;
  body: Readable;
}

export class GcsReader {
  private readonly endpoint: string;
  private readonly auth: GoogleAuth | undefined;

  constructor(readonly config: ReaderConfig) {
    this.endpoint = (config.apiEndpoint ?? GOOGLE_ENDPOINT).replace(/\/+$/, '');
    // Application default credentials (or the reader key), asking for a read-only token: even an owner's account
    // gets a token that cannot write (https://cloud.google.com/storage/docs/oauth-scopes). Nothing is sent to a
    // custom endpoint (the test server), as for the sink.
    this.auth = config.apiEndpoint
      ? undefined
      : new GoogleAuth({ ...(config.keyFilename ? { keyFilename: config.keyFilename } : {}), scopes: [READ_ONLY_SCOPE] });
  }

  get bucket(): string {
    return this.config.bucket;
  }

  private objectUrl(name: string): string {
    return `${this.endpoint}/storage/v1/b/${encodeURIComponent(this.bucket)}/o/${encodeURIComponent(name)}`;
  }

  private async authHeaders(): Promise<Record<string, string>> {
    if (!this.auth) return {};
    try {
      const headers = await this.auth.getRequestHeaders();
      return { authorization: headers.Authorization ?? headers.authorization ?? '' };
    } catch (error) {
      throw new ReaderError(
        `no Google credentials to read gs://${this.bucket}: run \`gcloud auth application-default login\`, or set READER_KEYFILE_PATH to a reader key ` +
          `(${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
        undefined,
      );
    }
  }

  /**
   * One request; the answer's headers arrive within HEADERS_TIMEOUT_MS or it fails. Aborting the returned
   * controller (or `signal`) also ends the answer's body.
   */
  private async request(url: string, what: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<{ response: Response; controller: AbortController }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), HEADERS_TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { ...(await this.authHeaders()), ...headers },
        signal: signal ? AbortSignal.any([signal, controller.signal]) : controller.signal,
      });
    } catch (error) {
      if (error instanceof ReaderError) throw error;
      const reason = controller.signal.aborted ? `no answer within ${HEADERS_TIMEOUT_MS / 1000} s` : error instanceof Error ? (error.cause as Error | undefined)?.message ?? error.message : String(error);
      throw new ReaderError(`could not reach GCS at ${this.endpoint} to ${what}: ${reason}`, undefined);
    } finally {
      clearTimeout(timer);
    }
    if (response.ok || response.status === 206 || response.status === 416) return { response, controller };
    const message = errorMessage(await readText(response, 64 * 1024).catch(() => ''));
    throw new ReaderError(describeFailure(response.status, this.bucket, what, message), response.status);
  }

  /** A JSON answer, read within HEADERS_TIMEOUT_MS and at most `limit` bytes. */
  private async requestJson(url: string, what: string, limit: number): Promise<unknown> {
    const { response, controller } = await this.request(url, what);
    const timer = setTimeout(() => controller.abort(), HEADERS_TIMEOUT_MS);
    try {
      return JSON.parse(await readText(response, limit));
    } catch (error) {
      if (error instanceof ReaderError) throw error;
      throw new ReaderError(controller.signal.aborted ? `GCS did not finish its answer to ${what} within ${HEADERS_TIMEOUT_MS / 1000} s` : `GCS's answer to ${what} is not JSON`, response.status);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One page of objects.list under `prefix`; with a delimiter, the "folders" come back as `prefixes`. */
  async listPage(prefix: string, options: { delimiter?: string; pageToken?: string; pageSize?: number } = {}): Promise<ListPage> {
    const query = new URLSearchParams({ prefix, maxResults: String(options.pageSize ?? 1000) });
    if (options.delimiter) query.set('delimiter', options.delimiter);
    if (options.pageToken) query.set('pageToken', options.pageToken);
    const url = `${this.endpoint}/storage/v1/b/${encodeURIComponent(this.bucket)}/o?${query}`;
    const answer = await this.requestJson(url, `list objects under ${JSON.stringify(prefix)}`, MAX_JSON_BYTES);
    const body = (typeof answer === 'object' && answer !== null ? answer : {}) as { items?: unknown; prefixes?: unknown; nextPageToken?: unknown };
    const items = Array.isArray(body.items) ? body.items : [];
    // Only names under the prefix asked for are taken: anything else is not an answer to this request.
    const objects = items.map(parseObjectResource).filter((item): item is ObjectResource => item !== undefined && item.name.startsWith(prefix));
    const prefixes = (Array.isArray(body.prefixes) ? body.prefixes : []).filter((p): p is string => typeof p === 'string' && p.startsWith(prefix) && p.length <= 1024);
    const token = typeof body.nextPageToken === 'string' && body.nextPageToken !== '' && body.nextPageToken.length <= 4096 ? body.nextPageToken : undefined;
    return { objects, prefixes, nextPageToken: token };
  }

  /** Every page under `prefix`, at most `maxPages` (a listing that never ends is an error, not a hang). */
  async *list(prefix: string, options: { delimiter?: string; pageSize?: number; maxPages?: number } = {}): AsyncGenerator<ListPage> {
    let pageToken: string | undefined;
    const maxPages = options.maxPages ?? 1000;
    for (let page = 0; page < maxPages; page++) {
      const result = await this.listPage(prefix, { ...options, ...(pageToken ? { pageToken } : {}) });
      yield result;
      if (!result.nextPageToken || result.nextPageToken === pageToken) return;
      pageToken = result.nextPageToken;
    }
    throw new ReaderError(`the listing under ${JSON.stringify(prefix)} did not end after ${maxPages} pages`, undefined);
  }

  /** The object's resource (objects.get), or undefined when there is no such object. */
  async stat(name: string): Promise<ObjectResource | undefined> {
    try {
      return parseObjectResource(await this.requestJson(this.objectUrl(name), `read ${JSON.stringify(name)}`, 1024 * 1024));
    } catch (error) {
      if (error instanceof ReaderError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * The object's bytes, streamed (alt=media), pinned to `generation` when given so they match its CRC32C;
   * `range` is a single `bytes=a-b` header value passed on as it is.
   */
  async download(name: string, options: { generation?: string; range?: string; signal?: AbortSignal } = {}): Promise<Download> {
    const query = new URLSearchParams({ alt: 'media' });
    if (options.generation) query.set('generation', options.generation);
    const headers: Record<string, string> = options.range ? { range: options.range } : {};
    const { response, controller } = await this.request(`${this.objectUrl(name)}?${query}`, `download ${JSON.stringify(name)}`, headers, options.signal);
    const source = response.body ? Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>) : Readable.from([]);
    // A body that stops moving for BODY_IDLE_MS fails, instead of hanging the restore.
    const guarded = source.pipe(new IdleGuard(BODY_IDLE_MS, () => controller.abort(), name));
    source.once('error', (error) => guarded.destroy(error));
    guarded.once('close', () => {
      if (!source.destroyed) source.destroy();
    });
    return { status: response.status, headers: response.headers, body: guarded };
  }
}

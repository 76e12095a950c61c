// A GCS JSON-API test server on loopback, for exactly the calls the runner (and rclone) make. Test code only.
// Why our own server, and which behaviours follow which Google documents: docs/gcs-test-server.md.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BEHAVIOUR, type ServerBehaviour } from './behaviour.js';
import { sendError, sendJson } from './errors.js';
import { ObjectStore, objectResource } from './object-store.js';
import { Uploads } from './uploads.js';

export interface FaultPlan {
  /** Answer this status instead of handling the request. */
  status?: 403 | 412 | 429 | 500 | 503;
  /** Destroy the connection instead of answering. */
  reset?: boolean;
  /** Answer normally, but this many ms late. */
  slowMs?: number;
  /**
   * Handle the request, but with the byte of its body at this offset inverted: a corruption in transit that TCP's
   * checksum missed. The server then checks (and stores) the bytes as they arrived.
   */
  flipByteAt?: number;
  /**
   * Handle the request (the object is created), then send only this many bytes of the answer's body and close
   * the connection: an answer lost after the object was created.
   */
  cutAnswerAt?: number;
  /** Handle the request, then answer its status with a body that is not JSON (a garbled answer). */
  garbleAnswer?: boolean;
  /** Handle the request as if it carried no X-Goog-Hash (a server that does not check it: how a wrong object could exist). */
  ignoreHash?: boolean;
  /** How many matching requests get the fault. */
  count: number;
  /**
   * Which requests: uploads (default: any request under /upload/, a resumable session's initiation included),
   * upload-data (only those that carry an object's bytes: media and multipart inserts, a session's PUT/POST),
   * upload-final (those that would create the object: inserts, a session's request with the total),
   * delete (object deletes), or any.
   */
  match?: 'upload' | 'upload-data' | 'upload-final' | 'delete' | 'any';
  /** Each matching request gets the fault with this probability (default 1), drawn from `random`. */
  probability?: number;
  random?: () => number;
}

export interface GcsTestServer {
  endpoint: string;
  /** Where documentation and the testbench differ (behaviour.ts); changeable between requests. */
  behaviour: ServerBehaviour;
  port: number;
  /** Requests seen, by kind: upload, download, metadata, list, delete, bucket. */
  requests: Record<string, number>;
  injectFaults(plan: FaultPlan): void;
  clearFaults(): void;
  readObject(bucket: string, name: string): Promise<{ bytes: Buffer; metadata: Record<string, string>; contentType: string } | undefined>;
  objectPath(bucket: string, name: string): string | undefined;
  listObjects(bucket: string): Promise<string[]>;
  /** The X-Goog-Hash header of the last request that finished an upload (undefined: none sent). */
  lastFinalHash(): string | undefined;
  /** Requests being handled now (a client that leaks a request, its body never ended, keeps one here). */
  requestsInFlight(): number;
  /** TCP connections accepted so far (keep-alive clients reuse theirs). */
  connectionsAccepted(): number;
  /** Deletes every object whose name starts with `prefix` (the benchmark frees disk between runs). */
  deleteObjects(bucket: string, prefix: string): Promise<number>;
  close(): Promise<void>;
}

function kindOf(method: string, path: string): string {
  if (path.startsWith('/upload/')) return 'upload';
  if (path.startsWith('/download/')) return 'download';
  if (method === 'DELETE') return 'delete';
  if (/^\/storage\/v1\/b\/[^/]+\/o$/.test(path)) return method === 'GET' ? 'list' : 'other';
  if (/^\/storage\/v1\/b\/[^/]+\/o\//.test(path)) return 'metadata';
  return 'bucket';
}

/** Requests that carry an object's bytes: media and multipart inserts, and a resumable session's chunks. */
function carriesData(method: string, url: URL): boolean {
  if (!url.pathname.startsWith('/upload/')) return false;
  if (url.searchParams.has('upload_id')) return method === 'PUT' || method === 'POST';
  return method === 'POST' && ['media', 'multipart'].includes(url.searchParams.get('uploadType') ?? '');
}

/** Requests that would create the object: inserts, and a session's request that states the total size. */
function finishesUpload(method: string, url: URL, headers: IncomingMessage['headers']): boolean {
  if (!carriesData(method, url)) return false;
  if (!url.searchParams.has('upload_id')) return true;
  return /\/\d+$/.test(String(headers['content-range'] ?? ''));
}

/** Inverts the byte at `offset` of a stream. */
class FlipByte extends Transform {
  private seen = 0;

  constructor(private readonly offset: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.offset >= this.seen && this.offset < this.seen + chunk.length) {
      const copy = Buffer.from(chunk);
      copy[this.offset - this.seen] = (copy[this.offset - this.seen] as number) ^ 0xff;
      chunk = copy;
    }
    this.seen += chunk.length;
    callback(null, chunk);
  }
}

/**
 * Lets the handler run, but when it created the object (2xx) sends only `cutAnswerAt` bytes of the answer's body
 * (or a garbled one), then closes. Other answers (a 308, an error) go out whole: the fault is "created, answer lost".
 */
function spoilAnswer(response: ServerResponse, fault: FaultPlan): void {
  const end = response.end.bind(response) as (chunk?: unknown) => ServerResponse;
  response.end = ((chunk?: unknown) => {
    if (response.statusCode < 200 || response.statusCode > 299) return end(chunk);
    const body = typeof chunk === 'string' || Buffer.isBuffer(chunk) ? Buffer.from(chunk) : Buffer.alloc(0);
    if (fault.garbleAnswer) return end(Buffer.alloc(body.length, 0x3f)); // '?' * length: not JSON, same length
    response.write(body.subarray(0, fault.cutAnswerAt ?? 0));
    setImmediate(() => response.socket?.destroy());
    return response;
  }) as typeof response.end;
}

/** The request as the handlers read it, its body with one byte inverted (an aborted body still fails). */
function corrupted(request: IncomingMessage, offset: number): IncomingMessage {
  const body = pipeline(request, new FlipByte(offset), () => {});
  return Object.assign(body, { headers: request.headers, method: request.method, url: request.url, socket: request.socket }) as unknown as IncomingMessage;
}

export async function startGcsTestServer(options: { dataDir?: string; buckets?: string[]; behaviour?: Partial<ServerBehaviour> } = {}): Promise<GcsTestServer> {
  const behaviour: ServerBehaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'gcs-test-server-')));
  const store = new ObjectStore(dataDir);
  for (const bucket of options.buckets ?? []) store.createBucket(bucket);
  const requests: Record<string, number> = {};
  const faults: FaultPlan[] = [];
  let endpoint = '';
  const uploads = new Uploads(store, () => endpoint, behaviour);
  const sockets = new Set<Socket>();

  async function route(received: IncomingMessage, response: ServerResponse): Promise<void> {
    let request = received;
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = request.method ?? 'GET';
    const kind = kindOf(method, path);
    requests[kind] = (requests[kind] ?? 0) + 1;
    const final = finishesUpload(method, url, request.headers);
    if (final) lastFinalHash = request.headers['x-goog-hash'] === undefined ? undefined : String(request.headers['x-goog-hash']);
    const matches = (plan: FaultPlan) =>
      plan.match === 'any' ||
      (plan.match === 'upload-data' ? carriesData(method, url) : plan.match === 'upload-final' ? final : plan.match === 'delete' ? kind === 'delete' : kind === 'upload');
    const fault = faults.find((plan) => plan.count > 0 && matches(plan) && (plan.random ?? Math.random)() < (plan.probability ?? 1));
    if (fault?.slowMs) {
      fault.count -= 1;
      await new Promise((resolve) => setTimeout(resolve, fault.slowMs));
    } else if (fault?.flipByteAt !== undefined) {
      fault.count -= 1;
      request = corrupted(request, fault.flipByteAt);
    } else if (fault?.ignoreHash) {
      fault.count -= 1;
      delete request.headers['x-goog-hash'];
    } else if (fault?.cutAnswerAt !== undefined || fault?.garbleAnswer) {
      fault.count -= 1;
      spoilAnswer(response, fault);
    } else if (fault) {
      fault.count -= 1;
      if (fault.reset) {
        request.socket.destroy();
        return;
      }
      if (behaviour.earlyAnswer === 'close') {
        // The testbench's fault injection answers without reading the body, and its server then closes the
        // connection (googleapis/storage-testbench:testbench/common.py handle_retry_test_instruction; gunicorn):
        // a client still sending sees the answer or a reset.
        response.setHeader('connection', 'close');
        response.once('finish', () => request.socket.destroy());
      } else {
        request.resume();
      }
      sendError(response, fault.status ?? 503, 'backendError', 'injected fault');
      return;
    }
    let match: RegExpExecArray | null;
    if ((match = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path))) {
      const bucket = decodeURIComponent(match[1] as string);
      const uploadId = url.searchParams.get('upload_id');
      // Node's client PUTs chunks; Go's (rclone) POSTs them with X-GUploader-No-308.
      if (uploadId && (method === 'PUT' || method === 'POST')) return uploads.handleChunk(request, response, uploadId);
      if (uploadId && method === 'DELETE') return uploads.cancel(response, uploadId);
      if (!store.hasBucket(bucket)) {
        request.resume();
        return sendError(response, 404, 'notFound', 'The specified bucket does not exist.');
      }
      if (method === 'POST') return uploads.handleInsert(request, response, bucket, url);
    }
    request.resume();
    if ((match = /^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(path))) {
      const bucket = decodeURIComponent(match[1] as string);
      const object = store.get(bucket, decodeURIComponent(match[2] as string));
      if (!store.hasBucket(bucket)) return sendError(response, 404, 'notFound', 'The specified bucket does not exist.');
      if (!object) return sendError(response, 404, 'notFound', 'No such object.');
      if (method === 'DELETE') {
        await store.delete(bucket, object.name);
        response.writeHead(204);
        response.end();
        return;
      }
      if (url.searchParams.get('alt') === 'media') {
        // Downloads take an optional Range header (https://cloud.google.com/storage/docs/downloads): a satisfiable
        // single range answers 206 with Content-Range, a start at or past the end answers 416, and x-goog-hash stays
        // the whole object's (googleapis/storage-testbench:gcs/object.py, rest_media and _download_range).
        const range = byteRange(request.headers.range, object.size);
        if (range === 'unsatisfiable') {
          response.writeHead(416, { 'content-range': `bytes */${object.size}`, 'content-length': 0 });
          response.end();
          return;
        }
        const headers = { 'content-type': object.contentType, 'x-goog-hash': `crc32c=${object.crc32c},md5=${object.md5Hash}`, 'x-goog-generation': String(object.generation), 'accept-ranges': 'bytes' };
        if (range) {
          response.writeHead(206, { ...headers, 'content-length': range.end - range.start + 1, 'content-range': `bytes ${range.start}-${range.end}/${object.size}` });
          createReadStream(object.path, range).pipe(response);
          return;
        }
        response.writeHead(200, { ...headers, 'content-length': object.size });
        createReadStream(object.path).pipe(response);
        return;
      }
      return sendJson(response, 200, objectResource(object, behaviour));
    }
    if ((match = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(path)) && method === 'GET') {
      // https://cloud.google.com/storage/docs/json_api/v1/objects/list: names starting with `prefix`; with a
      // `delimiter`, names that go on past it are rolled up into `prefixes` (each reported once, across pages too:
      // https://cloud.google.com/storage/docs/json_api/v1/objects/list#parameters); at most `maxResults` items and
      // prefixes per page, then a `nextPageToken` the client passes back as `pageToken`.
      const bucket = decodeURIComponent(match[1] as string);
      if (!store.hasBucket(bucket)) return sendError(response, 404, 'notFound', 'The specified bucket does not exist.');
      const prefix = url.searchParams.get('prefix') ?? '';
      const delimiter = url.searchParams.get('delimiter') ?? '';
      const maxResults = Number(url.searchParams.get('maxResults') ?? 1000);
      const after = url.searchParams.get('pageToken') ?? '';
      const items = [];
      const prefixes = new Set<string>();
      let nextPageToken: string | undefined;
      let lastName = '';
      for (const object of store.list(bucket)) {
        if (!object.name.startsWith(prefix) || object.name <= after) continue;
        const rest = object.name.slice(prefix.length);
        const cut = delimiter ? rest.indexOf(delimiter) : -1;
        if (cut >= 0 && prefixes.has(prefix + rest.slice(0, cut + delimiter.length))) continue;
        if (items.length + prefixes.size >= maxResults) {
          nextPageToken = lastName;
          break;
        }
        // A rolled-up prefix is over once reported: the next page starts after every name below it.
        lastName = cut >= 0 ? `${prefix}${rest.slice(0, cut + delimiter.length)}\uffff` : object.name;
        if (cut >= 0) prefixes.add(prefix + rest.slice(0, cut + delimiter.length));
        else items.push(objectResource(object, behaviour));
      }
      return sendJson(response, 200, { kind: 'storage#objects', items, prefixes: [...prefixes], ...(nextPageToken ? { nextPageToken } : {}) });
    }
    if (path === '/storage/v1/b' && method === 'POST') {
      const name = (JSON.parse((await readBody(request)) || '{}') as { name?: string }).name ?? '';
      if (!store.createBucket(name)) return sendError(response, 409, 'conflict', 'Your previous request to create the named bucket succeeded and you already own it.');
      return sendJson(response, 200, { kind: 'storage#bucket', name, id: name });
    }
    if ((match = /^\/storage\/v1\/b\/([^/]+)$/.exec(path)) && method === 'GET') {
      const name = decodeURIComponent(match[1] as string);
      if (!store.hasBucket(name)) return sendError(response, 404, 'notFound', 'The specified bucket does not exist.');
      return sendJson(response, 200, { kind: 'storage#bucket', name, id: name, storageClass: 'STANDARD' });
    }
    sendError(response, 404, 'notFound', `not implemented by the test server: ${method} ${path}`);
  }

  let inFlight = 0;
  let lastFinalHash: string | undefined;
  let connections = 0;
  const server = createServer((request, response) => {
    inFlight += 1;
    response.once('close', () => (inFlight -= 1));
    route(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, 'backendError', String(error));
      else response.destroy();
    });
  });
  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Idle keep-alive connections close after behaviour.idleCloseMs: the testbench runs under gunicorn
  // (googleapis/storage-testbench:testbench_run.py), whose `keepalive` setting defaults to 2 s.
  server.keepAliveTimeout = behaviour.idleCloseMs;
  // Idle keep-alive connections close after behaviour.idleCloseMs: the testbench runs under
  // gunicorn (googleapis/storage-testbench:testbench_run.py), whose `keepalive` setting defaults to 2 s.
  // Node takes the value when a connection opens, so a change applies to the server at once.
  server.keepAliveTimeout = behaviour.idleCloseMs;
  Object.defineProperty(behaviour, 'idleCloseMs', {
    enumerable: true,
    get: () => server.keepAliveTimeout,
    set: (value: number) => {
      server.keepAliveTimeout = value;
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    port,
    behaviour,
    requests,
    injectFaults: (plan) => faults.push({ ...plan }),
    clearFaults: () => {
      faults.length = 0;
    },
    async readObject(bucket, name) {
      const object = store.get(bucket, name);
      if (!object) return undefined;
      return { bytes: await readFile(object.path), metadata: object.metadata, contentType: object.contentType };
    },
    objectPath: (bucket, name) => store.get(bucket, name)?.path,
    listObjects: async (bucket) => store.list(bucket).map((object) => object.name),
    lastFinalHash: () => lastFinalHash,
    requestsInFlight: () => inFlight,
    connectionsAccepted: () => connections,
    async deleteObjects(bucket, prefix) {
      const doomed = store.list(bucket).filter((object) => object.name.startsWith(prefix));
      for (const object of doomed) await store.delete(bucket, object.name);
      return doomed.length;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` header as inclusive offsets (the end clamped to the object),
 * undefined when absent or not one of these forms (the whole object is sent), or 'unsatisfiable'.
 */
function byteRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const last = Math.min(Number(match[2]), size);
    return last === 0 ? 'unsatisfiable' : { start: size - last, end: size - 1 };
  }
  const start = Number(match[1]);
  if (start >= size) return 'unsatisfiable';
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  return end < start ? undefined : { start, end };
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += String(chunk);
  return body;
}

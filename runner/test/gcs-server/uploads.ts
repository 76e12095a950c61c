// Object uploads of the JSON API: media, multipart and resumable, each with the `ifGenerationMatch`
// precondition checked when the upload starts AND when it finishes, and CRC32C/MD5 checked before the object
// exists. Sources: https://cloud.google.com/storage/docs/json_api/v1/objects/insert,
// https://cloud.google.com/storage/docs/performing-resumable-uploads,
// https://cloud.google.com/storage/docs/request-preconditions, https://cloud.google.com/storage/docs/hashes-etags
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { PRECONDITION_FAILED, sendError, sendJson } from './errors.js';
import { digestFile, objectResource, type Digests, type ObjectStore } from './object-store.js';
import type { ServerBehaviour } from './behaviour.js';

interface UploadMetadata {
  name?: string;
  contentType?: string;
  metadata?: Record<string, string>;
  crc32c?: string;
  md5Hash?: string;
}

interface ResumableSession {
  bucket: string;
  name: string;
  meta: UploadMetadata;
  ifGenerationMatch: string | null;
  tempPath: string;
  received: number;
}

/** `X-Goog-Hash: crc32c=...,md5=...` as sent on a final chunk. */
function parseGoogHash(header: string | string[] | undefined): { crc32c?: string; md5Hash?: string } {
  const result: { crc32c?: string; md5Hash?: string } = {};
  for (const part of String(header ?? '').split(',')) {
    const [key, ...rest] = part.trim().split('=');
    const value = rest.join('=');
    if (key === 'crc32c') result.crc32c = value;
    if (key === 'md5') result.md5Hash = value;
  }
  return result;
}

export class Uploads {
  private readonly sessions = new Map<string, ResumableSession>();

  constructor(private readonly store: ObjectStore, private readonly endpoint: () => string, private readonly behaviour: ServerBehaviour) {}

  /** 412 when `ifGenerationMatch` does not hold: 0 means "no live object of that name". */
  private preconditionHolds(bucket: string, name: string, ifGenerationMatch: string | null): boolean {
    if (ifGenerationMatch === null) return true;
    const current = this.store.get(bucket, name);
    return ifGenerationMatch === '0' ? current === undefined : current?.generation === Number(ifGenerationMatch);
  }

  /** Checks, then commits a finished temp file; answers the response. */
  private async finish(response: ServerResponse, bucket: string, name: string, tempPath: string, meta: UploadMetadata, ifGenerationMatch: string | null, digests: Digests, sent: { crc32c?: string; md5Hash?: string }) {
    const expectedCrc = sent.crc32c ?? meta.crc32c;
    const expectedMd5 = sent.md5Hash ?? meta.md5Hash;
    // The hash is checked before the precondition, as the testbench does (gcs/object.py init validates the
    // checksums, then testbench/database.py insert_object the preconditions).
    if ((expectedCrc && expectedCrc !== digests.crc32c) || (expectedMd5 && expectedMd5 !== digests.md5Hash)) {
      await rm(tempPath, { force: true });
      if (this.behaviour.hashMismatch === 'testbench-412') {
        // googleapis/storage-testbench:testbench/error.py mismatch (rest_code=412, no reason)
        sendJson(response, 412, { error: { code: 412, message: `crc32c validation failed. Expected = ${digests.crc32c} vs Actual = ${expectedCrc}.` } });
      } else {
        // https://cloud.google.com/storage/docs/data-validation: a mismatch is refused with 400
        sendError(response, 400, 'invalid', `Provided CRC32C "${expectedCrc}" doesn't match calculated CRC32C "${digests.crc32c}".`);
      }
      return;
    }
    if (!this.preconditionHolds(bucket, name, ifGenerationMatch)) {
      await rm(tempPath, { force: true });
      this.sendPreconditionFailed(response);
      return;
    }
    const object = await this.store.commit(bucket, name, tempPath, digests, meta.contentType ?? 'application/octet-stream', meta.metadata ?? {});
    sendJson(response, 200, objectResource(object, this.behaviour));
  }

  private sendPreconditionFailed(response: ServerResponse): void {
    if (this.behaviour.errorBodies === 'testbench') {
      // googleapis/storage-testbench:testbench/common.py make_json_preconditions -> error.py mismatch
      sendJson(response, 412, { error: { code: 412, message: 'ifGenerationMatch validation failed. Expected = 0 vs Actual = 1.' } });
    } else {
      sendError(response, 412, 'conditionNotMet', PRECONDITION_FAILED);
    }
  }

  async handleInsert(request: IncomingMessage, response: ServerResponse, bucket: string, url: URL): Promise<void> {
    const uploadType = url.searchParams.get('uploadType');
    const ifGenerationMatch = url.searchParams.get('ifGenerationMatch');
    if (uploadType === 'resumable') return this.initiate(request, response, bucket, url, ifGenerationMatch);
    const tempPath = await this.store.tempPath();
    try {
      await pipeline(request, createWriteStream(tempPath));
      if (uploadType === 'media') {
        const name = url.searchParams.get('name') ?? '';
        const meta = { contentType: request.headers['content-type'] ?? 'application/octet-stream' };
        await this.finish(response, bucket, name, tempPath, meta, ifGenerationMatch, await digestFile(tempPath), parseGoogHash(request.headers['x-goog-hash']));
        return;
      }
      if (uploadType === 'multipart') {
        const boundary = /boundary="?([^";]+)"?/.exec(request.headers['content-type'] ?? '')?.[1];
        if (!boundary) throw new Error('multipart upload without a boundary');
        const part = await locateMultipart(tempPath, boundary);
        const meta = { ...part.meta, contentType: part.meta.contentType ?? part.mediaType };
        const name = url.searchParams.get('name') ?? meta.name ?? '';
        const digests = await digestFile(tempPath, part.start, part.end);
        await this.finish(response, bucket, name, await extract(this.store, tempPath, part.start, part.end), meta, ifGenerationMatch, digests, parseGoogHash(request.headers['x-goog-hash']));
        return;
      }
      sendError(response, 400, 'invalid', `unsupported uploadType ${uploadType}`);
    } finally {
      await rm(tempPath, { force: true });
    }
  }

  private async initiate(request: IncomingMessage, response: ServerResponse, bucket: string, url: URL, ifGenerationMatch: string | null) {
    let body = '';
    for await (const chunk of request) body += String(chunk);
    const meta = (body ? JSON.parse(body) : {}) as UploadMetadata;
    const name = url.searchParams.get('name') ?? meta.name ?? '';
    // The testbench checks the precondition only when the upload finishes (googleapis/storage-testbench:
    // gcs/upload.py init_resumable_rest stores it; testbench/rest_server.py resumable_upload_chunk checks it);
    // https://cloud.google.com/storage/docs/request-preconditions describes a check at the start too: a mode.
    if (this.behaviour.preconditionAtOpen && !this.preconditionHolds(bucket, name, ifGenerationMatch)) {
      this.sendPreconditionFailed(response);
      return;
    }
    const id = randomBytes(12).toString('hex');
    this.sessions.set(id, { bucket, name, meta: { ...meta, contentType: meta.contentType ?? String(request.headers['x-upload-content-type'] ?? 'application/octet-stream') }, ifGenerationMatch, tempPath: await this.store.tempPath(), received: 0 });
    const location = `${this.endpoint()}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
    response.writeHead(200, { location, 'x-guploader-uploadid': id, 'content-length': 0 });
    response.end();
  }

  /** PUT (or POST) of a chunk, or a status query (`Content-Range: bytes *\/*`). */
  async handleChunk(request: IncomingMessage, response: ServerResponse, uploadId: string): Promise<void> {
    const session = this.sessions.get(uploadId);
    if (!session) {
      request.resume();
      sendError(response, 404, 'notFound', 'No such upload session');
      return;
    }
    const range = String(request.headers['content-range'] ?? 'bytes */*');
    const match = /^bytes (\*|(\d+)-(\d+|\*))\/(\*|\d+)$/.exec(range);
    if (!match) {
      request.resume();
      sendError(response, 400, 'invalid', `bad Content-Range ${range}`);
      return;
    }
    const total = match[4] === '*' ? undefined : Number(match[4]);
    if (match[1] !== '*') {
      const first = Number(match[2]);
      if (first !== session.received) {
        request.resume();
        sendError(response, 400, 'invalid', `chunk starts at ${first}, expected ${session.received}`);
        return;
      }
      await pipeline(request, createWriteStream(session.tempPath, { flags: 'a' }));
      session.received = (await stat(session.tempPath)).size;
      if (match[3] !== '*' && session.received !== Number(match[3]) + 1) {
        sendError(response, 400, 'invalid', `chunk ended at ${session.received - 1}, not ${match[3]}`);
        return;
      }
    } else {
      request.resume();
    }
    const final = (total !== undefined && session.received === total) || (match[3] === '*' && match[1] !== '*');
    if (!final) {
      // "Resume incomplete" is a 308, or a 200 with an override header when the client asks for no 308 (a 308
      // is a redirect to Go's HTTP stack; rclone sends X-GUploader-No-308: yes).
      const no308 = String(request.headers['x-guploader-no-308'] ?? '').toLowerCase() === 'yes';
      const headers: Record<string, string | number> = { 'content-length': 0, ...(session.received > 0 ? { range: `bytes=0-${session.received - 1}` } : {}) };
      response.writeHead(no308 ? 200 : 308, no308 ? { ...headers, 'x-http-status-code-override': '308' } : headers);
      response.end();
      return;
    }
    this.sessions.delete(uploadId);
    if (session.received === 0) await (await open(session.tempPath, 'a')).close();
    const digests = await digestFile(session.tempPath);
    await this.finish(response, session.bucket, session.name, session.tempPath, session.meta, session.ifGenerationMatch, digests, parseGoogHash(request.headers['x-goog-hash']));
  }

  /** A DELETE of the session URI cancels the upload (https://cloud.google.com/storage/docs/performing-resumable-uploads#cancel-upload). */
  async cancel(response: ServerResponse, uploadId: string): Promise<void> {
    const session = this.sessions.get(uploadId);
    this.sessions.delete(uploadId);
    if (session) await rm(session.tempPath, { force: true });
    response.writeHead(499, { 'content-length': 0 });
    response.end();
  }
}

/** Finds the JSON metadata part and the media part's byte range in a multipart/related body stored in a file. */
async function locateMultipart(path: string, boundary: string): Promise<{ meta: UploadMetadata; mediaType: string; start: number; end: number }> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const head = Buffer.alloc(Math.min(size, 65536));
    await file.read(head, 0, head.length, 0);
    const text = head.toString('latin1');
    const delimiter = `--${boundary}`;
    const firstPart = text.indexOf(delimiter);
    const metaHeadersEnd = text.indexOf('\r\n\r\n', firstPart);
    const secondPart = text.indexOf(delimiter, metaHeadersEnd);
    if (firstPart < 0 || metaHeadersEnd < 0 || secondPart < 0) throw new Error('malformed multipart body');
    const meta = JSON.parse(Buffer.from(text.slice(metaHeadersEnd + 4, secondPart).trim(), 'latin1').toString('utf8')) as UploadMetadata;
    const mediaHeadersEnd = text.indexOf('\r\n\r\n', secondPart);
    const mediaHeaders = text.slice(secondPart, mediaHeadersEnd);
    const mediaType = /content-type:\s*([^\r\n]+)/i.exec(mediaHeaders)?.[1]?.trim() ?? 'application/octet-stream';
    const tail = Buffer.alloc(Math.min(size, boundary.length + 16));
    await file.read(tail, 0, tail.length, size - tail.length);
    const closing = tail.toString('latin1').lastIndexOf(`\r\n--${boundary}--`);
    if (closing < 0) throw new Error('multipart body without its closing delimiter');
    return { meta, mediaType, start: mediaHeadersEnd + 4, end: size - tail.length + closing - 1 };
  } finally {
    await file.close();
  }
}

/** Copies bytes [start, end] of a file into a new temp file (streamed). */
async function extract(store: ObjectStore, path: string, start: number, end: number): Promise<string> {
  const target = await store.tempPath();
  if (end < start) {
    await (await open(target, 'w')).close();
    return target;
  }
  await pipeline(createReadStream(path, { start, end }), createWriteStream(target));
  return target;
}

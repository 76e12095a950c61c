// A small clip (held in memory) in one multipart upload, with node:http(s) directly
// (https://cloud.google.com/storage/docs/uploading-objects#uploading-an-object, uploadType=multipart of
// https://cloud.google.com/storage/docs/json_api/v1/objects/insert). The storage library assembles the body with
// two copies of the clip and a latin1 string, and opens a connection per upload; here the body is written as its
// pieces (the metadata part, the clip's own buffers, the closing delimiter) with a Content-Length, through a
// keep-alive agent the caller shares between small uploads. The metadata carries the clip's CRC32C, so the server
// checks the bytes before the object exists (no object on a mismatch: 400 from GCS, 412 from the testbench,
// gcs-errors.ts tells them from a precondition answer); `ifGenerationMatch=0` makes it create-only. The answer's
// object is checked once more (upload-answer.ts).
import { randomBytes } from 'node:crypto';
import type { UploadPhaseRecorder } from '../core/ports.js';
import { request as httpRequest, type Agent, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createdObject, readAnswer } from './upload-answer.js';
import type { UploadThrottle } from './upload-throttle.js';

export interface MultipartPost {
  /** e.g. https://storage.googleapis.com (no trailing slash). */
  endpoint: string;
  bucket: string;
  name: string;
  contentType: string;
  metadata: Record<string, string>;
  /** The clip, as the buffers it was read in (never concatenated). */
  chunks: Buffer[];
  bytes: number;
  crc32c: string;
  /** Credentials (Authorization) for Google; none for a custom endpoint. */
  headers: Record<string, string>;
  /** A keep-alive agent of the endpoint's protocol. */
  agent: Agent;
  signal?: AbortSignal | undefined;
  /** Names the object in errors, e.g. gs://bucket/name. */
  what: string;
  /** The shared UPLOAD_LIMIT bucket the body passes through; undefined: no cap. */
  throttle?: UploadThrottle | undefined;
  /** Marks when the request was sent and its answer began. */
  timeline?: UploadPhaseRecorder | undefined;
  /**
   * The body's closing delimiter (its last bytes) waits for this: GCS creates nothing from a body that has not
   * reached its Content-Length. If it rejects, the request is destroyed and nothing is created.
   */
  ready?: Promise<void> | undefined;
}

export function multipartUrl(endpoint: string, bucket: string, name: string): URL {
  const query = `uploadType=multipart&name=${encodeURIComponent(name)}&ifGenerationMatch=0`;
  return new URL(`${endpoint}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?${query}`);
}

/** Creates the object; resolves once the created object's CRC32C and size are those of the clip. */
export async function postMultipart(upload: MultipartPost): Promise<void> {
  const url = multipartUrl(upload.endpoint, upload.bucket, upload.name);
  const boundary = `nvr-backup-${randomBytes(16).toString('hex')}`;
  const resource = JSON.stringify({ contentType: upload.contentType, metadata: upload.metadata, crc32c: upload.crc32c });
  const preamble = Buffer.from(
    `--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${resource}\r\n` +
      `--${boundary}\r\nContent-Type: ${upload.contentType.replace(/[\r\n]/g, '')}\r\n\r\n`,
    'utf8',
  );
  const closing = Buffer.from(`\r\n--${boundary}--`, 'latin1');
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  const request = send(url, {
    method: 'POST',
    agent: upload.agent,
    headers: {
      ...upload.headers,
      'Content-Type': `multipart/related; boundary=${boundary}`,
      'Content-Length': preamble.length + upload.bytes + closing.length,
    },
    ...(upload.signal ? { signal: upload.signal } : {}),
  });
  request.once('finish', () => upload.timeline?.mark('requestSent'));
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', (response) => {
      upload.timeline?.mark('answerStarted');
      resolve(response);
    });
    request.once('error', reject);
  });
  const { ready } = upload;
  if (ready) answered.catch(() => {}); // awaited after the wait; a failure meanwhile is reported then
  if (upload.throttle) {
    // Through the shared cap; a failed body destroys the request, whose error the answer's promise carries.
    const body = async function* () {
      yield preamble;
      yield* upload.chunks;
      if (ready) await ready;
      yield closing;
    };
    pipeline(Readable.from(body()), upload.throttle.transform(), request).catch(() => {});
    if (ready) await ready; // its rejection (the body failed on it) says why, not the socket's echo
  } else {
    request.write(preamble);
    for (const chunk of upload.chunks) request.write(chunk);
    if (ready) await holdBack(request, ready);
    request.end(closing);
  }
  const answer = await readAnswer(await answered);
  createdObject(answer, upload.what, { crc32c: upload.crc32c, bytes: upload.bytes, objectName: upload.name, hashSent: true });
}

/** Waits for `ready` with the body's last bytes unsent; if it rejects, destroys the request (no object) and throws. */
async function holdBack(request: ClientRequest, ready: Promise<void>): Promise<void> {
  try {
    await ready;
  } catch (error) {
    request.destroy();
    throw error;
  }
}

// A clip streamed to a resumable upload session with node:http(s) directly
// (https://cloud.google.com/storage/docs/performing-resumable-uploads). The storage library's stream stack moved
// 112 MB/s where a plain pipe moved 173 MB/s; here the bytes go source -> socket, counted and hashed on the way.
// The session URI is the upload's credential: no Authorization header (as with real GCS).
//
// The clip's CRC32C must reach GCS so that GCS refuses wrong bytes before the object exists
// (https://cloud.google.com/storage/docs/data-validation: a hash sent with the upload is checked by the server,
// a mismatch is refused with 400 and nothing is stored). For a resumable upload the hash goes as
// `X-Goog-Hash: crc32c=<base64>` on the request that finalizes the upload; Google's storage-testbench applies
// it there and checks it before it creates the object (googleapis/storage-testbench:testbench/rest_server.py
// resumable_upload_chunk -> gcs/upload.py apply_final_checksums -> gcs/object.py init). It is known only once
// every byte was read, so the upload holds back its end:
// - known size n: one streaming PUT of the first m bytes (`Content-Range: bytes 0-(m-1)/*`, m the largest
//   multiple of 256 KiB below n, as non-final requests must be), then the final PUT with the last n-m bytes
//   (1 to 256 KiB, in memory) and the hash. With GCS_CHUNK_SIZE_MB > 0 the first part goes as PUTs of that size.
// - unknown size: pieces of a fixed size (GCS_CHUNK_SIZE_MB, else 8 MiB) read into memory; a piece is sent as
//   non-final once the source is known to go on, the last one as the final request with the hash.
// - empty clip: one final PUT `Content-Range: bytes */0` with the hash of no bytes.
// Each non-final request must be answered 308 with every byte sent persisted (`Range: bytes=0-<last>`); a
// server that kept fewer ends the attempt (its bytes are gone from the stream) and the next attempt starts a new
// session. A source that fails mid-request destroys the request: no object; its error is a ClipSourceError.
import type { UploadPhaseRecorder } from '../core/ports.js';
import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { classifyRefusal } from './gcs-errors.js';
import { StoredObjectMismatchError } from './retry-policy.js';
import { SourceReader } from './source-reader.js';
import type { UploadThrottle } from './upload-throttle.js';
import { createdObject, readAnswer, type UploadAnswer } from './upload-answer.js';

/** Non-final requests of a resumable upload carry a multiple of this many bytes. */
export const RESUMABLE_GRANULE = 256 * 1024;
/** The piece a clip of unknown size is read in (memory held by one upload) when no chunk size is configured. */
export const UNKNOWN_SIZE_PIECE = 8 * 1024 * 1024;

export interface SessionPut {
  /** The Location of a resumable upload session. */
  sessionUri: string;
  source: Readable;
  /** Bytes the source announced; undefined: unknown. */
  size: number | undefined;
  /** Largest non-final request (a multiple of 256 KiB); 0: as few requests as possible. */
  chunkBytes: number;
  /** The attempt's agent (attempt-agent.ts), of the session URI's protocol. */
  agent: Agent;
  /** Names the object in errors, e.g. gs://bucket/name. */
  what: string;
  /** The object's name in the bucket (for StoredObjectMismatchError). */
  objectName: string;
  signal?: AbortSignal | undefined;
  /** The shared UPLOAD_LIMIT bucket every request body passes through; undefined: no cap. */
  throttle?: UploadThrottle | undefined;
  /** Marks the source's first and last byte, and when each request was sent and its answer began. */
  timeline?: UploadPhaseRecorder | undefined;
  /** The final request (the only one that can create the object) waits for this; if it rejects, it is never sent. */
  ready?: Promise<void> | undefined;
}

interface Sent {
  answer: UploadAnswer;
  /** The body's own failure (the source's), if it failed after the server answered. */
  bodyError: unknown;
}

/** One request to the session; an answer that comes before the body is sent (412, 503, ...) stops the body. */
async function sendRequest(url: URL, put: SessionPut, headers: Record<string, string | number>, body: AsyncIterable<Buffer> | Buffer[]): Promise<Sent> {
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  const request = send(url, { method: 'PUT', agent: put.agent, headers, ...(put.signal ? { signal: put.signal } : {}) });
  request.once('finish', () => put.timeline?.mark('requestSent'));
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', (response) => {
      put.timeline?.mark('answerStarted');
      resolve(response);
    });
    request.once('error', reject);
  });
  answered.catch(() => {}); // handled below, after the body's own outcome
  const stop = new AbortController();
  let bodyDone = false;
  const options = { signal: put.signal ? AbortSignal.any([put.signal, stop.signal]) : stop.signal };
  const bodySent = (put.throttle ? pipeline(Readable.from(body), put.throttle.transform(), request, options) : pipeline(Readable.from(body), request, options))
    .then(() => undefined, (error: unknown) => error ?? new Error('request body failed'))
    .finally(() => {
      bodyDone = true;
    });
  let response: IncomingMessage;
  try {
    response = await answered;
  } catch (error) {
    // The source's failure (which destroyed the request) says more than the request's echo of it.
    throw (await bodySent) ?? error;
  }
  const answer = await readAnswer(response).catch(async (error: unknown) => {
    throw (await bodySent) ?? error;
  });
  if (!bodyDone && answer.status !== 200 && answer.status !== 201 && answer.status !== 308) stop.abort();
  return { answer, bodyError: await bodySent };
}

/** Sends the clip to the session; resolves with the bytes sent once GCS created the object from them. */
export async function putToSession(put: SessionPut): Promise<number> {
  const url = new URL(put.sessionUri);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`upload session URI of ${put.what} is not HTTP(S): ${url.protocol}`);
  const reader = new SourceReader(put.source, put.size, put.timeline);
  const pieceLimit = put.chunkBytes > 0 ? put.chunkBytes : Number.POSITIVE_INFINITY;
  let offset = 0;

  /** A non-final request of `length` bytes at `offset`; the server must answer 308 with all of them kept. */
  const sendPart = async (length: number, body: AsyncIterable<Buffer> | Buffer[]) => {
    const last = offset + length - 1;
    const { answer, bodyError } = await sendRequest(url, put, { 'Content-Length': length, 'Content-Range': `bytes ${offset}-${last}/*` }, body);
    if (bodyError) throw bodyError;
    if (answer.status === 200 || answer.status === 201) {
      throw new StoredObjectMismatchError(`${put.what} was created after only ${last + 1} bytes, before the request with the clip's hash; it is not counted as backed up`, { objectName: put.objectName });
    }
    if (answer.status !== 308) throw classifyRefusal(answer.status, answer.body, `upload of ${put.what}`);
    const kept = /^bytes=0-(\d+)$/.exec(String(answer.headers.range ?? ''));
    if (!kept || Number(kept[1]) !== last) {
      throw new Error(`upload of ${put.what}: the server kept ${answer.headers.range ? String(answer.headers.range) : 'no bytes'} of bytes 0-${last}; the upload starts again`);
    }
    offset += length;
  };

  for (;;) {
    put.signal?.throwIfAborted();
    if (put.size !== undefined) {
      // Bytes that can go before the final request, leaving it at least one (an empty clip: none).
      const streamable = Math.max(0, Math.floor((put.size - 1 - offset) / RESUMABLE_GRANULE) * RESUMABLE_GRANULE);
      const length = Math.min(pieceLimit, streamable);
      if (length > 0) {
        await sendPart(length, reader.take(length));
        continue;
      }
      const tail = await reader.readUpTo(put.size - offset);
      await reader.atEnd(); // throws if the source sends more than it announced
      return finish(url, put, reader, offset, tail);
    }
    const piece = Number.isFinite(pieceLimit) ? pieceLimit : UNKNOWN_SIZE_PIECE;
    const buffered = await reader.readUpTo(piece);
    if (buffered.length < piece || (await reader.atEnd())) return finish(url, put, reader, offset, buffered);
    await sendPart(piece, buffered.chunks);
  }
}

/** The final request: the held-back bytes, the total and the clip's CRC32C. */
async function finish(url: URL, put: SessionPut, reader: SourceReader, offset: number, tail: { chunks: Buffer[]; length: number }): Promise<number> {
  const total = offset + tail.length;
  const crc32c = reader.crc.toString();
  if (put.ready) await put.ready;
  const range = tail.length === 0 ? `bytes */${total}` : `bytes ${offset}-${total - 1}/${total}`;
  const { answer, bodyError } = await sendRequest(url, put, { 'Content-Length': tail.length, 'Content-Range': range, 'X-Goog-Hash': `crc32c=${crc32c}` }, tail.chunks);
  if (bodyError) throw bodyError; // cannot happen from memory, but never count a failed body as sent
  createdObject(answer, put.what, { crc32c, bytes: total, objectName: put.objectName, hashSent: true });
  return total;
}

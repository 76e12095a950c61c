// The JSON API's answer to an upload request this adapter sends itself (direct-put.ts, multipart-post.ts).
// 200/201 carry the new object's resource (https://cloud.google.com/storage/docs/json_api/v1/objects#resource),
// which must show the CRC32C and size computed while sending: when it does not, the object exists with other
// bytes and that is reported, never counted as backed up. A 308 means the session still waits for bytes: a
// retryable error (the next attempt starts a new session). Any other status is an error whose `.code` is the
// status, so retry-policy.ts classifies it (412: the object exists). Errors' bodies follow
// https://cloud.google.com/storage/docs/json_api/v1/status-codes
import type { IncomingMessage } from 'node:http';
import { StoredObjectMismatchError } from './retry-policy.js';

/** An answer's body beyond this is read (so the connection can be reused) but not kept. */
const KEPT_BODY_BYTES = 1 << 20;

export interface UploadAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface ObjectResource {
  name?: string;
  generation?: string;
  size?: string;
  crc32c?: string;
}

export async function readAnswer(response: IncomingMessage): Promise<UploadAnswer> {
  const kept: Buffer[] = [];
  let length = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (length + chunk.length <= KEPT_BODY_BYTES) kept.push(chunk);
    length += chunk.length;
  }
  return { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(kept).toString('utf8') };
}

function errorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message;
  } catch {
    // not JSON: the body itself, shortened, says more than nothing
  }
  return body.slice(0, 200);
}

/**
 * The created object, checked against what was sent; throws otherwise. `what` names the object in errors
 * (e.g. `gs://bucket/name`).
 */
export function createdObject(answer: UploadAnswer, what: string, sent: { crc32c: string; bytes: number }): ObjectResource {
  if (answer.status === 308) {
    const range = answer.headers.range ?? 'no bytes';
    throw new Error(`upload of ${what} incomplete after its last request (308, the server has ${String(range)})`);
  }
  if (answer.status !== 200 && answer.status !== 201) {
    throw Object.assign(new Error(`upload of ${what}: HTTP ${answer.status}: ${errorMessage(answer.body)}`), { code: answer.status });
  }
  let resource: ObjectResource;
  try {
    resource = JSON.parse(answer.body) as ObjectResource;
  } catch {
    throw new StoredObjectMismatchError(`${what} was created (HTTP ${answer.status}) but its answer is not an object resource, so its bytes could not be verified; it is not counted as backed up`);
  }
  if (resource.crc32c !== sent.crc32c || Number(resource.size) !== sent.bytes) {
    throw new StoredObjectMismatchError(
      `${what} was created (generation ${resource.generation ?? '?'}) but does not match the clip: the server has CRC32C ` +
        `${resource.crc32c ?? '(none)'} and ${resource.size ?? '?'} bytes, ${sent.bytes} bytes with CRC32C ${sent.crc32c} were sent. ` +
        'It is not counted as backed up; the object must be checked (and removed) by hand',
    );
  }
  return resource;
}

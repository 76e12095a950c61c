// The JSON API's answer to an upload request this adapter sends itself (direct-put.ts, multipart-post.ts).
// 200/201 carry the new object's resource (https://cloud.google.com/storage/docs/json_api/v1/objects#resource),
// which must show the CRC32C and size computed while sending: when it does not, the object exists with other
// bytes and that is reported, never counted as backed up. A 308 means the session still waits for bytes: a
// retryable error (the next attempt starts a new session). A 412 is "the object exists" only when it is GCS's
// answer to our `ifGenerationMatch=0` (GcsPreconditionFailed, see gcs-errors.ts); a refusal of the bytes because
// their hash did not match is retried (no object was created). Any other status is an error whose `.code` is
// the status, so retry-policy.ts classifies it. Errors' bodies follow
// https://cloud.google.com/storage/docs/json_api/v1/status-codes
import type { IncomingMessage } from 'node:http';
import { classifyRefusal } from './gcs-errors.js';
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

/**
 * The created object, checked against what was sent; throws otherwise. `what` names the object in errors
 * (e.g. `gs://bucket/name`), `objectName` is the object's name in the bucket. `hashSent`: the request carried
 * the clip's CRC32C, so the server created the object only if its bytes matched; an answer that cannot be read
 * then still means "created with the clip's bytes".
 */
export function createdObject(answer: UploadAnswer, what: string, sent: { crc32c: string; bytes: number; objectName: string; hashSent: boolean }): ObjectResource | undefined {
  if (answer.status === 308) {
    const range = answer.headers.range ?? 'no bytes';
    throw new Error(`upload of ${what} incomplete after its last request (308, the server has ${String(range)})`);
  }
  if (answer.status !== 200 && answer.status !== 201) throw classifyRefusal(answer.status, answer.body, `upload of ${what}`);
  let resource: ObjectResource;
  try {
    resource = JSON.parse(answer.body) as ObjectResource;
    if (typeof resource !== 'object' || resource === null) throw new Error('not an object');
  } catch {
    if (sent.hashSent) return undefined;
    throw new StoredObjectMismatchError(`${what} was created (HTTP ${answer.status}) but its answer is not an object resource, so its bytes could not be verified; it is not counted as backed up`, { objectName: sent.objectName });
  }
  // Google's storage-testbench leaves `size` out for an empty object (proto3 JSON drops a zero): absent is 0.
  const size = resource.size === undefined ? 0 : Number(resource.size);
  if (resource.crc32c !== sent.crc32c || size !== sent.bytes) {
    throw new StoredObjectMismatchError(
      `${what} was created (generation ${String(resource.generation ?? '?')}) but does not match the clip: the server has CRC32C ` +
        `${String(resource.crc32c ?? '(none)')} and ${String(resource.size ?? '?')} bytes, ${sent.bytes} bytes with CRC32C ${sent.crc32c} were sent. ` +
        'It is not counted as backed up',
      { objectName: sent.objectName },
    );
  }
  return resource;
}

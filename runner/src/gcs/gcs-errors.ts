// What a refusal from GCS means, told apart by status AND body, never by status alone:
// - GcsPreconditionFailedError: GCS's answer to our `ifGenerationMatch=0` (412, reason `conditionNotMet`,
//   https://cloud.google.com/storage/docs/json_api/v1/status-codes#412_Precondition_Failed; Google's
//   storage-testbench words it "ifGenerationMatch validation failed", googleapis/storage-testbench:testbench/common.py
//   make_json_preconditions). Only this means "an object of that name exists". Every upload this adapter makes
//   carries the clip's CRC32C, which GCS checks before the object exists, so an object under a clip's (unique)
//   name holds that clip's verified bytes.
// - GcsHashRefusedError: the server refused the bytes because their hash did not match the one sent (real GCS:
//   400, https://cloud.google.com/storage/docs/data-validation; the testbench: 412 "crc32c validation failed",
//   googleapis/storage-testbench:testbench/error.py mismatch). Nothing was created; the bytes changed on the way,
//   so another attempt is worth it.
// - anything else (a 412 from a proxy, a 412 without GCS's reason): an error carrying the status as `.code`.

export class GcsPreconditionFailedError extends Error {
  override readonly name = 'GcsPreconditionFailedError';
  readonly code = 412;
}

export class GcsHashRefusedError extends Error {
  override readonly name = 'GcsHashRefusedError';
}

export const isGcsPreconditionFailed = (error: unknown): error is GcsPreconditionFailedError => error instanceof GcsPreconditionFailedError;
export const isGcsHashRefused = (error: unknown): error is GcsHashRefusedError => error instanceof GcsHashRefusedError;

interface ErrorBody {
  message: string;
  reasons: string[];
}

/** The message and reasons of a JSON API error body (bounded: only the first 64 KiB is looked at). */
function parseErrorBody(body: string): ErrorBody {
  const text = body.slice(0, 65536);
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown; errors?: unknown } };
    const error = parsed?.error;
    const message = typeof error?.message === 'string' ? error.message : text;
    const reasons = Array.isArray(error?.errors)
      ? error.errors.map((entry: unknown) => (typeof (entry as { reason?: unknown })?.reason === 'string' ? (entry as { reason: string }).reason : '')).filter(Boolean)
      : [];
    return { message, reasons };
  } catch {
    return { message: text, reasons: [] };
  }
}

const HASH_REFUSAL = /\b(crc32c|md5)\b.*(match|validation failed)/i;
const TESTBENCH_PRECONDITION = /ifGenerationMatch validation failed/;

/** The error for a non-2xx answer to an upload request; `doing` says which, e.g. "upload of gs://b/o". */
export function classifyRefusal(status: number, body: string, doing: string): Error {
  const { message, reasons } = parseErrorBody(body);
  const shown = message.slice(0, 300);
  if ((status === 400 || status === 412) && HASH_REFUSAL.test(message)) {
    return new GcsHashRefusedError(`${doing}: the server refused the bytes, their hash does not match the clip's (HTTP ${status}: ${shown}); nothing was created`);
  }
  if (status === 412 && (reasons.includes('conditionNotMet') || TESTBENCH_PRECONDITION.test(message))) {
    return new GcsPreconditionFailedError(`${doing}: the object already exists (HTTP 412: ${shown})`);
  }
  return Object.assign(new Error(`${doing}: HTTP ${status}: ${shown}`), { code: status });
}

/** The same for an error of the storage library (gaxios: `.code`/`.response.status`, `.response.data`). */
export function classifyLibraryError(error: unknown, doing: string): unknown {
  const candidate = error as { code?: unknown; response?: { status?: unknown; data?: unknown } } | undefined;
  const status = typeof candidate?.response?.status === 'number' ? candidate.response.status : typeof candidate?.code === 'number' ? candidate.code : undefined;
  if (status !== 412 && status !== 400) return error;
  const data = candidate?.response?.data;
  const body = typeof data === 'string' ? data : JSON.stringify(data ?? {});
  const classified = classifyRefusal(status, body, doing);
  if (isGcsPreconditionFailed(classified) || isGcsHashRefused(classified)) return Object.assign(classified, { cause: error });
  return error;
}

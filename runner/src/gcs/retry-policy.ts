// Which upload failures are worth another attempt, and how long to wait: exponential backoff with full jitter
// (https://cloud.google.com/storage/docs/retry-strategy). 429, 408, 5xx, connection resets, bytes the server
// refused for their hash (changed on the way; nothing was created) and a source stream that broke (unless its
// own error says retrying cannot help) are retried; other 4xx (bad request, forbidden, not found), an abort and
// an object stored with bytes other than the clip's are not.
import { isStoredObjectMismatchError, isUnsupportedClipError, StoredObjectMismatchError } from '../core/errors.js';
import { isGcsHashRefused } from './gcs-errors.js';
import { isClipSourceError } from './source-reader.js';

export { StoredObjectMismatchError };

export function httpStatusOf(error: unknown): number | undefined {
  const candidate = error as { code?: unknown; status?: unknown; response?: { status?: unknown } };
  for (const value of [candidate?.code, candidate?.status, candidate?.response?.status]) {
    if (typeof value === 'number' && value >= 100 && value < 600) return value;
  }
  return undefined;
}

export function isRetryable(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted || isUnsupportedClipError(error) || isStoredObjectMismatchError(error)) return false;
  if (isGcsHashRefused(error)) return true;
  if (isClipSourceError(error)) return error.cause === undefined || isRetryable(error.cause, signal);
  const status = httpStatusOf(error);
  if (status === undefined) return true;
  return status === 408 || status === 429 || status >= 500;
}

/** Full jitter: a random delay between 0 and base * 2^(attempt-1), capped at 30 s. */
export function backoffDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(30_000, baseMs * 2 ** (attempt - 1)));
}

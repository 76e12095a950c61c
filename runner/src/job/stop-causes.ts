// Failures after which no other clip of the run can land: the bucket does not exist (GCS 404 "bucket"), or the
// key may not write to it (401, 403). One such failure ends the run with one message that names the bucket and
// the setting to fix, instead of the same error for every clip. Classified from the sink's thrown error: its
// HTTP status (`code`, `status` or `response.status`, the forms gcs/ and Google's libraries use) anywhere in its
// cause chain. Anything else (a 5xx, a reset, a timeout) is one clip's failure, retried by the next run.
import { causeChain } from '../core/errors.js';

/** The HTTP status carried by an error or one of its causes, or undefined. */
export function httpStatusInChain(error: unknown): number | undefined {
  for (const link of causeChain(error)) {
    const candidate = link as { code?: unknown; status?: unknown; response?: { status?: unknown } };
    for (const value of [candidate.code, candidate.status, candidate.response?.status]) {
      if (typeof value === 'number' && value >= 100 && value < 600) return value;
    }
  }
  return undefined;
}

function messagesInChain(error: unknown): string {
  return causeChain(error).map((link) => link.message).join(' ');
}

/**
 * The run-ending message for an upload error that no other clip can escape, or undefined for a clip's own
 * failure. `bucket` names the destination in the message.
 */
export function destinationProblem(error: unknown, bucket: string): string | undefined {
  const status = httpStatusInChain(error);
  const where = `the bucket "${bucket}"`;
  if (status === 404 && /bucket/i.test(messagesInChain(error))) {
    return `${where} does not exist (GCS answered 404): check GCS_BUCKET_NAME (\`cdktf deploy\` prints it in runner_env) or deploy the stack; the run stopped at the first clip`;
  }
  if (status === 403) {
    return (
      `GCS refused to write to ${where} (403): the key in GCS_KEYFILE_PATH needs roles/storage.objectCreator on it (the stack grants it), ` +
      'or GCS_BUCKET_NAME names another project\'s bucket; the run stopped at the first clip'
    );
  }
  if (status === 401) {
    return `GCS did not accept the key in GCS_KEYFILE_PATH (401) for ${where}: the key was deleted or disabled; make a new one (docs/infra.md); the run stopped at the first clip`;
  }
  return undefined;
}

// Settings of the read commands (find, restore, browse): the bucket, where it is, and whose credentials read it.
// They never use the runner's key (GCS_KEYFILE_PATH): that key can only create objects, by design. They read with
// the user's own application default credentials, or with a reader key named by READER_KEYFILE_PATH.
// Scrypted and Firestore settings are not needed here, so a laptop with only the bucket's name can restore.
import { readFileSync } from 'node:fs';
import { sanitizePrefix } from '../core/object-name.js';
import { registerSecret } from '../log.js';

export interface ReaderConfig {
  bucket: string;
  /** A GCS-compatible endpoint (tests, the demo); no credentials are sent to it. Undefined: Google. */
  apiEndpoint: string | undefined;
  /** The runner's OBJECT_PREFIX, made safe as the runner makes it ('' when unset). */
  objectPrefix: string;
  /** An explicit reader key (service account or authorized user JSON); undefined: application default credentials. */
  keyFilename: string | undefined;
}

export type ReaderConfigResult = { ok: true; config: ReaderConfig } | { ok: false; problems: string[] };

const BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

/** The identity a credentials file holds (client_email or client_id), or a problem; secrets are registered. */
function credentialsFile(path: string, variable: string): { identity: string } | { problem: string } {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: `${variable} names a file that cannot be read (${code ?? 'error'}): ${path}` };
  }
  let fields: Record<string, unknown>;
  try {
    fields = (JSON.parse(raw) ?? {}) as Record<string, unknown>;
  } catch {
    return { problem: `${variable} names a file that is not JSON: ${path}` };
  }
  for (const key of ['private_key', 'private_key_id', 'client_secret', 'refresh_token']) {
    if (typeof fields[key] === 'string') registerSecret(fields[key]);
  }
  if (typeof fields.client_email === 'string' && typeof fields.private_key === 'string') return { identity: fields.client_email };
  if (typeof fields.client_id === 'string' && typeof fields.refresh_token === 'string') return { identity: `user ${fields.client_id}` };
  return { problem: `${variable} names a JSON file that is neither a service-account key nor user credentials: ${path}` };
}

/** The service account of a key file, or undefined when it cannot be read (the runner's config reports that). */
function identityOf(path: string | undefined): string | undefined {
  if (!path) return undefined;
  const read = credentialsFile(path, '');
  return 'identity' in read ? read.identity : undefined;
}

const value = (env: NodeJS.ProcessEnv, name: string): string | undefined => {
  const text = env[name]?.trim();
  return text === undefined || text === '' ? undefined : text;
};

export function loadReaderConfig(env: NodeJS.ProcessEnv): ReaderConfigResult {
  const problems: string[] = [];
  const bucket = value(env, 'GCS_BUCKET_NAME');
  if (bucket === undefined) problems.push('GCS_BUCKET_NAME is required (the bucket the clips are in)');
  else if (!BUCKET.test(bucket) || bucket.includes('..')) {
    problems.push('GCS_BUCKET_NAME is not a valid bucket name (3-222 characters: lowercase letters, digits, -, _ and .)');
  }
  const endpoint = value(env, 'GCS_ENDPOINT');
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.username || url.password) {
      problems.push('GCS_ENDPOINT must be an http:// or https:// URL without credentials, e.g. http://127.0.0.1:4443');
    }
  }
  const prefix = value(env, 'OBJECT_PREFIX');
  const objectPrefix = prefix === undefined ? '' : sanitizePrefix(prefix);
  if (prefix !== undefined && objectPrefix === '') problems.push(`OBJECT_PREFIX has no usable path segment: ${JSON.stringify(prefix)}`);

  const runnerIdentity = identityOf(value(env, 'GCS_KEYFILE_PATH'));
  const runnersKey = (variable: string, identity: string) =>
    `${variable} holds the runner's key (${identity}, the same account as GCS_KEYFILE_PATH): it can only create objects and can never read them, by design. ` +
    'Use your own account (gcloud auth application-default login) or a reader key with roles/storage.objectViewer in READER_KEYFILE_PATH';
  const keyFilename = value(env, 'READER_KEYFILE_PATH');
  if (keyFilename !== undefined) {
    const read = credentialsFile(keyFilename, 'READER_KEYFILE_PATH');
    if ('problem' in read) problems.push(read.problem);
    else if (read.identity === runnerIdentity) problems.push(runnersKey('READER_KEYFILE_PATH', read.identity));
  } else {
    const adc = value(env, 'GOOGLE_APPLICATION_CREDENTIALS');
    const identity = identityOf(adc);
    if (identity !== undefined && identity === runnerIdentity) problems.push(runnersKey('GOOGLE_APPLICATION_CREDENTIALS', identity));
  }
  if (problems.length > 0 || bucket === undefined) return { ok: false, problems };
  return { ok: true, config: { bucket, apiEndpoint: endpoint, objectPrefix, keyFilename } };
}

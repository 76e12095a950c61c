// Bad-input table for the configuration: every environment variable that runner/src/config.ts reads gets rows
// for missing (when required), empty and malformed values. Each refused row asserts that loadConfig reports a
// problem that starts with the variable's name and says what was wrong; each accepted row (optional variables
// left empty) asserts the documented default.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig, type RunnerConfig } from '../../src/config.js';

const CONFIG_SOURCE = fileURLToPath(new URL('../../src/config.ts', import.meta.url));
const PASSWORD = 'pw-Table-7731-do-not-echo';
const IS_ROOT = process.getuid?.() === 0;

const dir = mkdtempSync(join(tmpdir(), 'nvr-bad-config-'));
after(() => {
  try {
    chmodSync(join(dir, 'unreadable.json'), 0o600);
  } catch {
    // not created
  }
  rmSync(dir, { recursive: true, force: true });
});

const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const FAKE_PEM = '-----BEGIN PRIVATE KEY-----\nMIIfakeConfigTableKeyBody0123456789abcdef\n-----END PRIVATE KEY-----\n';
const files = {
  goodKey: file('key.json', JSON.stringify({ type: 'service_account', client_email: 'r@p.iam.gserviceaccount.com', private_key: FAKE_PEM })),
  notJson: file('not-json.json', `${FAKE_PEM}`),
  emptyKey: file('empty.json', ''),
  jsonNull: file('null.json', 'null'),
  jsonArray: file('array.json', '[1,2,3]'),
  notServiceAccount: file('oauth-client.json', JSON.stringify({ installed: { client_id: 'x', client_secret: 'MIIfakeConfigTableKeyBody' } })),
  noPrivateKey: file('no-private-key.json', JSON.stringify({ client_email: 'r@p.iam.gserviceaccount.com' })),
  privateKeyNotString: file('key-number.json', JSON.stringify({ client_email: 'r@p.iam.gserviceaccount.com', private_key: 42 })),
  unreadable: file('unreadable.json', JSON.stringify({ client_email: 'r@p.iam.gserviceaccount.com', private_key: FAKE_PEM })),
  goodCa: file('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIfakeCert\n-----END CERTIFICATE-----\n'),
  notCa: file('ca.txt', 'this is not a certificate'),
  subdir: join(dir, 'a-directory'),
};
mkdirSync(files.subdir);
chmodSync(files.unreadable, 0o000);

const validEnv: Record<string, string> = {
  SCRYPTED_HOST: 'https://192.168.1.10:10443',
  SCRYPTED_USER: 'backup',
  SCRYPTED_PASSWORD: PASSWORD,
  GCS_PROJECT_ID: 'demo-project',
  GCS_BUCKET_NAME: 'demo-bucket',
};

interface RefusedRow {
  variable: string;
  /** undefined: the variable is not set at all. */
  value: string | undefined;
  /** What the problem line must say after the variable's name. */
  says: RegExp;
  skip?: string | false;
}

interface AcceptedRow {
  variable: string;
  value: string | undefined;
  check: (config: RunnerConfig) => void;
}

const missing = (variable: string): RefusedRow => ({ variable, value: undefined, says: /^is required/ });
const empty = (variable: string, value = ''): RefusedRow => ({ variable, value, says: /^(must not be empty|is required)/ });
/** A whole-number variable's bounds and unit, read from its `integer(fallback, min, max, unit)` in config.ts. */
function integerBounds(variable: string): { min: number; max: number; unit: string } {
  const match = new RegExp(`^ {2}${variable}: integer\\(\\d+, (-?\\d+), (-?\\d+), '([^']+)'\\)`, 'm').exec(readFileSync(CONFIG_SOURCE, 'utf8'));
  if (!match) throw new Error(`${variable} is not declared as integer(...) in config.ts`);
  return { min: Number(match[1]), max: Number(match[2]), unit: match[3] as string };
}

const wholeNumber = (variable: string): RefusedRow[] => {
  const { min, max, unit } = integerBounds(variable);
  return ['ten', '1h', '30s', '1.5', '1e3', '0x10', `${min - 1}`, `${max + 1}`, '-0.0', '99999999999999999999', 'NaN', 'Infinity'].map((value) => ({
    variable,
    value,
    says: new RegExp(`^must be a whole number of ${unit} from ${min} to ${max}, got ${escape(JSON.stringify(value))}$`),
  }));
};

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const refused: RefusedRow[] = [
  // SCRYPTED_HOST
  missing('SCRYPTED_HOST'),
  empty('SCRYPTED_HOST'),
  empty('SCRYPTED_HOST', '   '),
  { variable: 'SCRYPTED_HOST', value: 'ftp://nvr.local', says: /^must use https:\/\/ or http:\/\/, got ftp:$/ },
  { variable: 'SCRYPTED_HOST', value: 'file:///etc/passwd', says: /^must use https:\/\/ or http:\/\// },
  { variable: 'SCRYPTED_HOST', value: 'javascript://nvr', says: /^must use https:\/\/ or http:\/\// },
  { variable: 'SCRYPTED_HOST', value: 'https://[::1', says: /^is not a URL or host:port/ },
  { variable: 'SCRYPTED_HOST', value: 'nvr.local:99999', says: /^is not a URL or host:port: "nvr.local:99999"$/ },
  { variable: 'SCRYPTED_HOST', value: 'http://nvr local', says: /^is not a URL or host:port/ },
  { variable: 'SCRYPTED_HOST', value: `https://backup:${PASSWORD}@nvr:10443`, says: /^must not carry credentials/ },
  // Quotes from a shell habit: values are taken as written (.env files and docker do not strip them alike)
  ...['"https://192.168.1.10:10443"', "'nvr.local:10443'", '"nvr.local"', 'https://nvr.local:10443"'].map(
    (value): RefusedRow => ({ variable: 'SCRYPTED_HOST', value, says: /^contains quotes \(.*\): values are taken as written, remove the quotes$/ }),
  ),
  // A path (or query, fragment) the runner would drop: the Scrypted endpoints live at the server's root
  ...['https://nvr.local:10443/endpoint/@scrypted/core', 'nvr.local:10443/scrypted', 'https://nvr.local/?x=1', 'https://nvr.local/#top', 'https://nvr.local?'].map(
    (value): RefusedRow => ({ variable: 'SCRYPTED_HOST', value, says: /^has a path, query or fragment \(.*\) that would be ignored: the runner talks to the server's root, give only https:\/\/host:port$/ }),
  ),
  // SCRYPTED_USER
  missing('SCRYPTED_USER'),
  empty('SCRYPTED_USER'),
  empty('SCRYPTED_USER', '\t \n'),
  // SCRYPTED_PASSWORD
  missing('SCRYPTED_PASSWORD'),
  { variable: 'SCRYPTED_PASSWORD', value: '', says: /^must not be empty or only blanks/ },
  { variable: 'SCRYPTED_PASSWORD', value: '    ', says: /^must not be empty or only blanks .*it is taken verbatim\)$/ },
  { variable: 'SCRYPTED_PASSWORD', value: '\t\n', says: /^must not be empty or only blanks/ },
  // ALLOW_SELF_SIGNED
  { variable: 'ALLOW_SELF_SIGNED', value: 'maybe', says: /^must be true or false, got "maybe"$/ },
  { variable: 'ALLOW_SELF_SIGNED', value: '2', says: /^must be true or false, got "2"$/ },
  { variable: 'ALLOW_SELF_SIGNED', value: 'on', says: /^must be true or false, got "on"$/ },
  // SCRYPTED_CA_FILE
  { variable: 'SCRYPTED_CA_FILE', value: join(dir, 'missing-ca.pem'), says: /^names a file that does not exist: / },
  { variable: 'SCRYPTED_CA_FILE', value: files.subdir, says: /^names a file that cannot be read \(EISDIR\): / },
  { variable: 'SCRYPTED_CA_FILE', value: files.notCa, says: /^names a file that is not a PEM certificate: / },
  // SCRYPTED_TIMEOUT_SECONDS
  ...wholeNumber('SCRYPTED_TIMEOUT_SECONDS'),
  // SCRYPTED_FETCH_RETRY_SECONDS
  ...wholeNumber('SCRYPTED_FETCH_RETRY_SECONDS'),
  // GCS_PROJECT_ID
  missing('GCS_PROJECT_ID'),
  empty('GCS_PROJECT_ID'),
  ...['Bad_Project', 'UPPER-case', 'short', '1starts-with-digit', 'ends-with-hyphen-', `a${'b'.repeat(30)}`, 'has space', 'dot.ted'].map(
    (value): RefusedRow => ({ variable: 'GCS_PROJECT_ID', value, says: /^is not a valid project id/ }),
  ),
  // GCS_BUCKET_NAME
  missing('GCS_BUCKET_NAME'),
  empty('GCS_BUCKET_NAME'),
  ...['Not A Bucket', 'UPPER', 'ab', 'a..b', '-leading', 'trailing-', '.dot', 'gs://demo-bucket', 'demo/bucket', `b${'x'.repeat(222)}`, 'bücket'].map(
    (value): RefusedRow => ({ variable: 'GCS_BUCKET_NAME', value, says: /^is not a valid bucket name \(3-63 characters, or up to 222 with dots/ }),
  ),
  // What GCS forbids besides the characters (https://cloud.google.com/storage/docs/buckets#naming)
  { variable: 'GCS_BUCKET_NAME', value: `b${'x'.repeat(63)}`, says: /^is not a valid bucket name \(3-63 characters, or up to 222 with dots.*\), it has 64$/ },
  { variable: 'GCS_BUCKET_NAME', value: `${'a'.repeat(64)}.example.com`, says: /^is not a valid bucket name \(each dot-separated part must be 1-63 characters\)$/ },
  { variable: 'GCS_BUCKET_NAME', value: Array.from({ length: 4 }, () => 'a'.repeat(55)).join('.'), says: /it has 223$/ },
  ...['192.168.5.4', '10.0.0.1', '1.2.3.4'].map((value): RefusedRow => ({ variable: 'GCS_BUCKET_NAME', value, says: /^is not a valid bucket name \(GCS refuses names that look like an IP address\)$/ })),
  ...['goog-backups', 'googbucket', 'goog'].map((value): RefusedRow => ({ variable: 'GCS_BUCKET_NAME', value, says: /^is not a valid bucket name \(GCS refuses names that begin with "goog"\)$/ })),
  ...['my-google-clips', 'nvr-g00gle', 'home-go0gl3', 'clips.gooogle.example', 'backup-g0ogle'].map(
    (value): RefusedRow => ({ variable: 'GCS_BUCKET_NAME', value, says: /^is not a valid bucket name \(GCS refuses names that contain "google" or a close misspelling\)$/ }),
  ),
  // GCS_KEYFILE_PATH
  { variable: 'GCS_KEYFILE_PATH', value: join(dir, 'no-such-key.json'), says: /^names a file that does not exist: .*no-such-key\.json$/ },
  {
    variable: 'GCS_KEYFILE_PATH',
    value: files.unreadable,
    // Names the file's owner and mode, this process's uid, and the fix (the container runs as uid 1000).
    says: /^names a file this user \(uid \d+\) cannot read: .*unreadable\.json \(owner uid \d+, mode 0000\): on the host, chown \d+ the file and chmod 0400 it \(the container runs as uid 1000; docs\/container\.md\)$/,
    skip: IS_ROOT && 'running as root: a chmod 000 file is still readable, so "unreadable" cannot be produced',
  },
  { variable: 'GCS_KEYFILE_PATH', value: files.subdir, says: /^names a file that cannot be read \(EISDIR\): / },
  { variable: 'GCS_KEYFILE_PATH', value: files.notJson, says: /^names a file that is not JSON: / },
  { variable: 'GCS_KEYFILE_PATH', value: files.emptyKey, says: /^names a file that is not JSON: / },
  { variable: 'GCS_KEYFILE_PATH', value: files.jsonNull, says: /^names a JSON file that is not a service-account key/ },
  { variable: 'GCS_KEYFILE_PATH', value: files.jsonArray, says: /^names a JSON file that is not a service-account key/ },
  { variable: 'GCS_KEYFILE_PATH', value: files.notServiceAccount, says: /^names a JSON file that is not a service-account key \(no client_email\/private_key\)/ },
  { variable: 'GCS_KEYFILE_PATH', value: files.noPrivateKey, says: /^names a JSON file that is not a service-account key/ },
  { variable: 'GCS_KEYFILE_PATH', value: files.privateKeyNotString, says: /^names a JSON file that is not a service-account key/ },
  // GCS_ENDPOINT
  ...['not a url', '127.0.0.1:4443', 'ftp://127.0.0.1:4443', 'file:///tmp/x', `http://user:${PASSWORD}@127.0.0.1:4443`, 'http://'].map(
    (value): RefusedRow => ({ variable: 'GCS_ENDPOINT', value, says: /^must be an http:\/\/ or https:\/\/ URL without credentials/ }),
  ),
  // GCS_RESUMABLE_THRESHOLD_MB, GCS_CHUNK_SIZE_MB, GCS_MAX_ATTEMPTS
  ...wholeNumber('GCS_RESUMABLE_THRESHOLD_MB'),
  ...wholeNumber('GCS_CHUNK_SIZE_MB'),
  ...wholeNumber('GCS_MAX_ATTEMPTS'),
  // FIRESTORE_DATABASE
  ...['Nvr-Backup', 'nvr_backup', 'ab', '-nvr', 'nvr-', `n${'x'.repeat(63)}`, '(DEFAULT)', 'nvr/backup'].map(
    (value): RefusedRow => ({ variable: 'FIRESTORE_DATABASE', value, says: /^must be \(default\) or a database id of 4-63 lowercase letters/ }),
  ),
  // SITE_ID
  ...['a/b', 'home site', '../home', 'x'.repeat(101), 'häus', 'a\u0000b'].map(
    (value): RefusedRow => ({ variable: 'SITE_ID', value, says: /^must be 1-100 letters, digits, - or _$/ }),
  ),
  // STATE_DOCUMENT
  ...['only-a-collection', 'a/b/c', '/a/b', 'a/b/', 'a//b', 'a/b/c/d/e'].map(
    (value): RefusedRow => ({ variable: 'STATE_DOCUMENT', value, says: /^must be a document path with an even number of segments/ }),
  ),
  // Ids Firestore reserves or forbids (https://firebase.google.com/docs/firestore/quotas#collections_documents_and_fields)
  ...['__nvr__/home', '__x__/home', 'nvr-backup/__home__', 'a/b/____/c', 'nvr/home/__id7__/x'].map(
    (value): RefusedRow => ({ variable: 'STATE_DOCUMENT', value, says: /^uses the reserved id "__.*__" \(Firestore reserves ids matching __\.\*__\); choose another/ }),
  ),
  ...['./home', 'nvr-backup/..'].map((value): RefusedRow => ({ variable: 'STATE_DOCUMENT', value, says: /^uses the id "\.\.?", which Firestore forbids/ })),
  { variable: 'STATE_DOCUMENT', value: `nvr-backup/${'h'.repeat(1501)}`, says: /^has an id longer than 1500 bytes/ },
  // OBJECT_PREFIX
  ...['..', '../..', '/', '\\..\\', ' . / .. '].map(
    (value): RefusedRow => ({ variable: 'OBJECT_PREFIX', value, says: /^has no usable path segment/ }),
  ),
  { variable: 'OBJECT_PREFIX', value: Array.from({ length: 200 }, () => 'site').join('/'), says: /^is longer than 512 bytes/ },
  // CAMERA_CONCURRENCY, LOOKBACK_MINUTES, SETTLE_SECONDS, BACKFILL_HOURS, LEASE_SECONDS
  ...wholeNumber('CAMERA_CONCURRENCY'),
  ...wholeNumber('UPLOAD_CONCURRENCY'),
  ...wholeNumber('LOOKBACK_MINUTES'),
  ...wholeNumber('SETTLE_SECONDS'),
  ...wholeNumber('CLIP_MAX_HOURS'),
  ...wholeNumber('BACKFILL_HOURS'),
  ...wholeNumber('LEASE_SECONDS'),
  ...wholeNumber('WATCH_POLL_SECONDS'),
  // UPLOAD_LIMIT
  ...['4X', 'fast', '-1M', '25:00,4M', '08:00,4M 08:00,off'].map(
    (value): RefusedRow => ({ variable: 'UPLOAD_LIMIT', value, says: /^must be bytes per second \(e\.g\. 4M, 500k, off\) or a daily schedule/ }),
  ),
  // LOG_FORMAT
  { variable: 'LOG_FORMAT', value: 'text', says: /^must be one of auto, json, pretty$/ },
  // LOG_LEVEL
  ...['loud', 'warning', 'verbose', '3', 'info,debug'].map(
    (value): RefusedRow => ({ variable: 'LOG_LEVEL', value, says: /^must be one of fatal, error, warn, info, debug, trace, silent$/ }),
  ),
  // HEARTBEAT_FILE
  { variable: 'HEARTBEAT_FILE', value: files.subdir, says: /^names a directory, not a file: / },
  { variable: 'HEARTBEAT_FILE', value: join(dir, 'no-such-dir', 'heartbeat'), says: /^is in a directory that does not exist: .*no-such-dir$/ },
  // METRICS_FILE, HEALTHCHECK_URL
  { variable: 'METRICS_FILE', value: join(dir, 'metrics.txt'), says: /^must end in \.prom \(node_exporter's textfile collector reads only \*\.prom files\)/ },
  { variable: 'METRICS_FILE', value: join(dir, 'no-such-dir', 'nvr.prom'), says: /^is in a directory that does not exist: .*no-such-dir$/ },
  { variable: 'HEALTHCHECK_URL', value: 'hc-ping.com/secret-uuid-1234', says: /^must be an http:\/\/ or https:\/\/ URL, .*the value is not shown: it is a secret/ },
  { variable: 'HEALTHCHECK_URL', value: 'ftp://hc-ping.com/secret-uuid-1234', says: /^must be an http:\/\/ or https:\/\/ URL/ },
];

const accepted: AcceptedRow[] = [
  { variable: 'ALLOW_SELF_SIGNED', value: '', check: (c) => assert.equal(c.scrypted.allowSelfSigned, false) },
  { variable: 'ALLOW_SELF_SIGNED', value: ' YES ', check: (c) => assert.equal(c.scrypted.allowSelfSigned, true) },
  { variable: 'SCRYPTED_CA_FILE', value: '', check: (c) => assert.equal(c.scrypted.caFile, undefined) },
  { variable: 'SCRYPTED_CA_FILE', value: files.goodCa, check: (c) => assert.equal(c.scrypted.caFile, files.goodCa) },
  { variable: 'SCRYPTED_TIMEOUT_SECONDS', value: '', check: (c) => assert.equal(c.scrypted.timeoutMs, 30_000) },
  { variable: 'SCRYPTED_FETCH_RETRY_SECONDS', value: '', check: (c) => assert.equal(c.scrypted.fetchRetryMs, 60_000) },
  { variable: 'SCRYPTED_FETCH_RETRY_SECONDS', value: '0', check: (c) => assert.equal(c.scrypted.fetchRetryMs, 0) },
  { variable: 'SCRYPTED_HOST', value: 'nvr.local:10443', check: (c) => assert.equal(c.scrypted.baseUrl, 'https://nvr.local:10443') },
  { variable: 'SCRYPTED_HOST', value: 'https://nvr.local:10443/', check: (c) => assert.equal(c.scrypted.baseUrl, 'https://nvr.local:10443') },
  // Passwords are taken verbatim: leading and trailing blanks are part of them.
  { variable: 'SCRYPTED_PASSWORD', value: ' pw with spaces  ', check: (c) => assert.equal(c.scrypted.password, ' pw with spaces  ') },
  { variable: 'SCRYPTED_PASSWORD', value: 'ends-in-tab\t', check: (c) => assert.equal(c.scrypted.password, 'ends-in-tab\t') },
  { variable: 'GCS_BUCKET_NAME', value: `${'a'.repeat(63)}`, check: (c) => assert.equal(c.gcs.bucket, 'a'.repeat(63)) },
  { variable: 'GCS_BUCKET_NAME', value: 'clips.example.com', check: (c) => assert.equal(c.gcs.bucket, 'clips.example.com') },
  { variable: 'GCS_BUCKET_NAME', value: `${Array.from({ length: 3 }, () => 'a'.repeat(63)).join('.')}.${'b'.repeat(30)}`, check: (c) => assert.equal(c.gcs.bucket.length, 222) },
  { variable: 'GCS_BUCKET_NAME', value: 'nvr_clips-home', check: (c) => assert.equal(c.gcs.bucket, 'nvr_clips-home') },
  { variable: 'GCS_BUCKET_NAME', value: '192.168.5.4.clips', check: (c) => assert.equal(c.gcs.bucket, '192.168.5.4.clips') },
  { variable: 'STATE_DOCUMENT', value: 'nvr-backup/__home', check: (c) => assert.equal(c.firestore.documentPath, 'nvr-backup/__home') },
  { variable: 'CLIP_MAX_HOURS', value: '', check: (c) => assert.equal(c.clipMaxMs, 24 * 3_600_000) },
  { variable: 'CLIP_MAX_HOURS', value: '6', check: (c) => assert.equal(c.clipMaxMs, 6 * 3_600_000) },
  { variable: 'GCS_KEYFILE_PATH', value: '', check: (c) => assert.equal(c.gcs.keyFilename, undefined) },
  { variable: 'GCS_KEYFILE_PATH', value: files.goodKey, check: (c) => assert.equal(c.gcs.keyFilename, files.goodKey) },
  { variable: 'GCS_ENDPOINT', value: '', check: (c) => assert.equal(c.gcs.apiEndpoint, undefined) },
  { variable: 'GCS_ENDPOINT', value: 'http://127.0.0.1:4443', check: (c) => assert.equal(c.gcs.apiEndpoint, 'http://127.0.0.1:4443') },
  { variable: 'GCS_RESUMABLE_THRESHOLD_MB', value: '0', check: (c) => assert.equal(c.gcs.resumableThresholdBytes, 0) },
  { variable: 'GCS_CHUNK_SIZE_MB', value: ' ', check: (c) => assert.equal(c.gcs.chunkSizeBytes, 0) },
  { variable: 'GCS_MAX_ATTEMPTS', value: '', check: (c) => assert.equal(c.gcs.maxAttempts, 5) },
  { variable: 'FIRESTORE_DATABASE', value: '', check: (c) => assert.equal(c.firestore.databaseId, '(default)') },
  { variable: 'FIRESTORE_DATABASE', value: '(default)', check: (c) => assert.equal(c.firestore.databaseId, '(default)') },
  { variable: 'FIRESTORE_DATABASE', value: 'nvr-backup', check: (c) => assert.equal(c.firestore.databaseId, 'nvr-backup') },
  { variable: 'SITE_ID', value: '', check: (c) => assert.equal(c.firestore.documentPath, 'nvr-backup/home') },
  // .env.example ships `STATE_DOCUMENT=` (empty): it must mean the default, not an empty document path.
  { variable: 'STATE_DOCUMENT', value: '', check: (c) => assert.equal(c.firestore.documentPath, 'nvr-backup/home') },
  { variable: 'STATE_DOCUMENT', value: '  ', check: (c) => assert.equal(c.firestore.documentPath, 'nvr-backup/home') },
  { variable: 'OBJECT_PREFIX', value: '', check: (c) => assert.equal(c.objectPrefix, '') },
  { variable: 'OBJECT_PREFIX', value: '/lake/../house/', check: (c) => assert.equal(c.objectPrefix, '/lake/../house/') },
  // An emoji-only prefix is not empty once sanitized: it becomes site-{hash} (see object-name.ts).
  { variable: 'OBJECT_PREFIX', value: '🚗', check: (c) => assert.equal(c.objectPrefix, '🚗') },
  { variable: 'CAMERAS_INCLUDE', value: '', check: (c) => assert.deepEqual(c.scrypted.include, []) },
  { variable: 'CAMERAS_INCLUDE', value: ' , ,, ', check: (c) => assert.deepEqual(c.scrypted.include, []) },
  { variable: 'CAMERAS_EXCLUDE', value: '', check: (c) => assert.deepEqual(c.scrypted.exclude, []) },
  { variable: 'CAMERAS_EXCLUDE', value: 'Back/Yard .., 12', check: (c) => assert.deepEqual(c.scrypted.exclude, ['Back/Yard ..', '12']) },
  { variable: 'CAMERA_CONCURRENCY', value: '', check: (c) => assert.equal(c.cameraConcurrency, 2) },
  { variable: 'UPLOAD_CONCURRENCY', value: '', check: (c) => assert.equal(c.uploadConcurrency, 4) },
  { variable: 'LOOKBACK_MINUTES', value: '0', check: (c) => assert.equal(c.lookbackMs, 0) },
  { variable: 'SETTLE_SECONDS', value: '', check: (c) => assert.equal(c.settleMs, 30_000) },
  { variable: 'BACKFILL_HOURS', value: '', check: (c) => assert.equal(c.backfillMs, 168 * 3_600_000) },
  { variable: 'LEASE_SECONDS', value: '', check: (c) => assert.equal(c.leaseMs, 300_000) },
  { variable: 'WATCH_POLL_SECONDS', value: '', check: (c) => assert.equal(c.watchPollMs, 30_000) },
  { variable: 'UPLOAD_LIMIT', value: '', check: (c) => assert.equal(c.gcs.uploadLimit, undefined) },
  { variable: 'UPLOAD_LIMIT', value: 'off', check: (c) => assert.equal(c.gcs.uploadLimit, undefined) },
  { variable: 'UPLOAD_LIMIT', value: '4M', check: (c) => assert.ok(c.gcs.uploadLimit) },
  { variable: 'WATCH_POLL_SECONDS', value: '2', check: (c) => assert.equal(c.watchPollMs, 2_000) },
  { variable: 'LOG_LEVEL', value: '', check: (c) => assert.equal(c.logLevel, 'info') },
  { variable: 'LOG_FORMAT', value: '', check: (c) => assert.equal(c.logFormat, 'auto') },
  { variable: 'LOG_FORMAT', value: 'Pretty', check: (c) => assert.equal(c.logFormat, 'pretty') },
  { variable: 'LOG_LEVEL', value: ' TRACE ', check: (c) => assert.equal(c.logLevel, 'trace') },
  { variable: 'HEARTBEAT_FILE', value: '', check: (c) => assert.equal(c.heartbeatFile, '/tmp/nvr-backup-heartbeat') },
  { variable: 'METRICS_FILE', value: '', check: (c) => assert.equal(c.metricsFile, undefined) },
  { variable: 'METRICS_FILE', value: join(dir, 'nvr.prom'), check: (c) => assert.equal(c.metricsFile, join(dir, 'nvr.prom')) },
  { variable: 'HEALTHCHECK_URL', value: '', check: (c) => assert.equal(c.healthcheckUrl, undefined) },
  { variable: 'HEARTBEAT_FILE', value: join(dir, 'heartbeat'), check: (c) => assert.equal(c.heartbeatFile, join(dir, 'heartbeat')) },
];

function envWith(variable: string, value: string | undefined): Record<string, string> {
  const env = { ...validEnv };
  if (value === undefined) delete env[variable];
  else env[variable] = value;
  return env;
}

const show = (value: string | undefined): string =>
  value === undefined ? '(not set)' : value.length > 60 ? `${JSON.stringify(value.slice(0, 40))}… (${value.length} chars)` : JSON.stringify(value);

describe('configuration bad-input table: refused values', () => {
  it('the valid base environment is accepted (so every refusal below is caused by its row)', () => {
    const result = loadConfig(validEnv);
    assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
  });

  for (const row of refused) {
    it(`${row.variable}=${show(row.value)} is refused, named, and explained`, { skip: row.skip || false }, () => {
      const result = loadConfig(envWith(row.variable, row.value));
      assert.equal(result.ok, false, `${row.variable}=${show(row.value)} was accepted`);
      const problems = result.ok ? [] : result.problems;
      assert.ok(problems.length >= 1);
      // Only this row's variable is wrong: every problem names it, and one says what this row expects.
      for (const problem of problems) {
        assert.ok(problem.startsWith(`${row.variable} `), `problem does not name ${row.variable}: ${problem}`);
        assert.ok(!problem.includes(PASSWORD), `the password leaked into: ${problem}`);
        assert.ok(!problem.includes('MIIfakeConfigTableKeyBody'), `key material leaked into: ${problem}`);
      }
      assert.ok(
        problems.some((problem) => row.says.test(problem.slice(row.variable.length + 1))),
        `${row.says} not in:\n${problems.join('\n')}`,
      );
    });
  }
});

describe('configuration bad-input table: optional values left empty or unusual but valid', () => {
  for (const row of accepted) {
    it(`${row.variable}=${show(row.value)} is accepted with the documented value`, () => {
      const result = loadConfig(envWith(row.variable, row.value));
      assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
      row.check(result.config);
    });
  }
});

describe('configuration bad-input table: coverage and combinations', () => {
  it('has a row for every variable that config.ts reads', () => {
    const source = readFileSync(CONFIG_SOURCE, 'utf8');
    const schemaBody = source.slice(source.indexOf('const schema = z.object({'), source.indexOf('});', source.indexOf('const schema = z.object({')));
    const variables = [...schemaBody.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1] as string);
    assert.ok(variables.length >= 20, `found only ${variables.length} variables in the schema`);
    const covered = new Set([...refused, ...accepted].map((row) => row.variable));
    const uncovered = variables.filter((variable) => !covered.has(variable));
    assert.deepEqual(uncovered, [], `variables without a row: ${uncovered.join(', ')}`);
    const refusedCovered = new Set(refused.map((row) => row.variable));
    const withoutRefusal = variables.filter((variable) => !refusedCovered.has(variable));
    // A free-form list cannot be malformed: it is split on commas and trimmed.
    assert.deepEqual(withoutRefusal.sort(), ['CAMERAS_EXCLUDE', 'CAMERAS_INCLUDE']);
  });

  it('every required variable missing at once gives one line each, all named', () => {
    const result = loadConfig({});
    assert.equal(result.ok, false);
    const problems = result.ok ? [] : result.problems;
    const required = ['SCRYPTED_HOST', 'SCRYPTED_USER', 'SCRYPTED_PASSWORD', 'GCS_PROJECT_ID', 'GCS_BUCKET_NAME'];
    assert.deepEqual(problems.map((p) => p.split(' ')[0]).sort(), [...required].sort());
    for (const problem of problems) assert.match(problem, /^[A-Z_]+ is required$/);
  });

  it('many bad values at once: every one is reported, in one pass', () => {
    const bad = Object.fromEntries(
      ['SCRYPTED_TIMEOUT_SECONDS', 'GCS_MAX_ATTEMPTS', 'CAMERA_CONCURRENCY', 'LEASE_SECONDS', 'BACKFILL_HOURS'].map((name) => [name, '-1']),
    );
    const result = loadConfig({ ...validEnv, ...bad, LOG_LEVEL: 'loud', GCS_ENDPOINT: 'nope', SITE_ID: 'a b', GCS_KEYFILE_PATH: files.notJson });
    assert.equal(result.ok, false);
    const named = new Set((result.ok ? [] : result.problems).map((p) => p.split(' ')[0]));
    for (const name of [...Object.keys(bad), 'LOG_LEVEL', 'GCS_ENDPOINT', 'SITE_ID', 'GCS_KEYFILE_PATH']) {
      assert.ok(named.has(name), `${name} not reported`);
    }
  });
});

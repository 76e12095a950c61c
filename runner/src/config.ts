// The runner's configuration: read from the environment, validated with one schema, every problem reported at
// once with the variable's name. Values of secret variables never appear in a message.
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { DEFAULT_SITE_ID, sanitizePrefix } from './core/object-name.js';
import { parseUploadLimit, type UploadLimitSchedule } from './gcs/upload-limit-schedule.js';
import { registerSecret } from './log.js';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** auto: pretty when stdout is a terminal, else json. */
const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export const SECRET_VARIABLES = new Set(['SCRYPTED_PASSWORD', 'HEALTHCHECK_URL']);

const text = (what: string) => z.string({ error: `is required (${what})` }).trim().min(1, `must not be empty (${what})`);

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const bool = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((value, context) => {
      if (value === undefined || value === '') return fallback;
      if (['true', '1', 'yes'].includes(value)) return true;
      if (['false', '0', 'no'].includes(value)) return false;
      context.addIssue({ code: 'custom', message: `must be true or false, got ${JSON.stringify(value)}` });
      return z.NEVER;
    });

const integer = (fallback: number, min: number, max: number, unit: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value, context) => {
      if (value === undefined || value === '') return fallback;
      const parsed = Number(value);
      if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
        context.addIssue({
          code: 'custom',
          message: `must be a whole number of ${unit} from ${min} to ${max}, got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      return parsed;
    });

const list = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );

/** Taken verbatim, never trimmed: a password may end in a space. Only an empty or all-blank value is refused. */
const password = z
  .string({ error: 'is required (the Scrypted password or long-lived user token)' })
  .refine((value) => value.trim() !== '', { message: 'must not be empty or only blanks (the Scrypted password or long-lived user token; it is taken verbatim)' });

const scryptedUrl = text('the Scrypted server, e.g. https://192.168.1.10:10443').transform((value, context) => {
  if (/["'`]/.test(value)) {
    context.addIssue({ code: 'custom', message: `contains quotes (${JSON.stringify(value)}): values are taken as written, remove the quotes` });
    return z.NEVER;
  }
  const candidate = /^[a-z]+:\/\//i.test(value) ? value : `https://${value}`;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    context.addIssue({ code: 'custom', message: `is not a URL or host:port: ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    context.addIssue({ code: 'custom', message: `must use https:// or http://, got ${url.protocol}` });
    return z.NEVER;
  }
  if (url.username || url.password) {
    context.addIssue({ code: 'custom', message: 'must not carry credentials: use SCRYPTED_USER and SCRYPTED_PASSWORD' });
    return z.NEVER;
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || /[?#]$/.test(value)) {
    context.addIssue({
      code: 'custom',
      message: `has a path, query or fragment (${JSON.stringify(value)}) that would be ignored: the runner talks to the server's root, give only https://host:port`,
    });
    return z.NEVER;
  }
  return url.origin;
});

/** What GCS forbids in a bucket name (https://cloud.google.com/storage/docs/buckets#naming), or undefined. */
export function bucketNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(name) || name.includes('..')) {
    return 'is not a valid bucket name (3-63 characters, or up to 222 with dots: lowercase letters, digits, -, _ and ., starting and ending with a letter or digit)';
  }
  const dotted = name.includes('.');
  if (name.length < 3 || name.length > (dotted ? 222 : 63)) {
    return `is not a valid bucket name (3-63 characters, or up to 222 with dots: lowercase letters, digits, -, _ and .), it has ${name.length}`;
  }
  if (name.split('.').some((part) => part === '' || part.length > 63)) {
    return 'is not a valid bucket name (each dot-separated part must be 1-63 characters)';
  }
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'is not a valid bucket name (GCS refuses names that look like an IP address)';
  if (name.startsWith('goog')) return 'is not a valid bucket name (GCS refuses names that begin with "goog")';
  if (/g[o0]{2,}g[l1][e3]/.test(name)) return 'is not a valid bucket name (GCS refuses names that contain "google" or a close misspelling)';
  return undefined;
}

const bucketName = text('the GCS bucket name').superRefine((value, context) => {
  const problem = bucketNameProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

/** What Firestore forbids in a collection or document id (https://firebase.google.com/docs/firestore/quotas#collections_documents_and_fields). */
function firestoreIdProblem(id: string): string | undefined {
  if (/^__.*__$/.test(id)) return `uses the reserved id ${JSON.stringify(id)} (Firestore reserves ids matching __.*__)`;
  if (id === '.' || id === '..') return `uses the id ${JSON.stringify(id)}, which Firestore forbids`;
  if (Buffer.byteLength(id) > 1500) return 'has an id longer than 1500 bytes, which Firestore forbids';
  return undefined;
}

// Empty means the default (nvr-backup/{SITE_ID}), as .env.example leaves it.
const documentPath = optionalText.superRefine((value, context) => {
  if (!value) return;
  if (!/^[^/]+\/[^/]+(\/[^/]+\/[^/]+)*$/.test(value)) {
    context.addIssue({ code: 'custom', message: 'must be a document path with an even number of segments, e.g. nvr-backup/home' });
    return;
  }
  const problem = value.split('/').map(firestoreIdProblem).find((found) => found !== undefined);
  if (problem) context.addIssue({ code: 'custom', message: `${problem}; choose another, e.g. nvr-backup/home` });
});

/**
 * Why this process cannot read a file it may see: its owner and mode against this process's uid, and the fix.
 * In the container the runner is uid 1000 (user `node`), so a key made root-owned with mode 0400, as is usual on
 * a host, cannot be read through the mount (docs/container.md, "The key").
 */
export function unreadableProblem(path: string): string {
  const uid = process.getuid?.();
  let owner = '';
  try {
    const stats = statSync(path);
    owner = ` (owner uid ${stats.uid}, mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')})`;
  } catch {
    // A directory on the way is not searchable: no owner to report.
  }
  const who = uid === undefined ? 'this user' : `this user (uid ${uid})`;
  const fix = uid === undefined ? '' : `: on the host, chown ${uid} the file and chmod 0400 it (the container runs as uid 1000; docs/container.md)`;
  return `names a file ${who} cannot read: ${path}${owner}${fix}`;
}

/** Reads a file, or says why it cannot be read, without ever echoing its content. */
function readProblem(path: string): { problem: string } | { raw: string } {
  try {
    return { raw: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { problem: `names a file that does not exist: ${path}` };
    if (code === 'EACCES') return { problem: unreadableProblem(path) };
    return { problem: `names a file that cannot be read (${code ?? 'error'}): ${path}` };
  }
}

/**
 * What is wrong with a service-account key file, without ever echoing its content. A usable key's
 * private_key and private_key_id are registered as secrets, so no log line can carry them.
 */
function keyFileProblem(path: string): string | undefined {
  const read = readProblem(path);
  if ('problem' in read) return read.problem;
  let key: unknown;
  try {
    key = JSON.parse(read.raw);
  } catch {
    return `names a file that is not JSON: ${path}`;
  }
  const fields = (key ?? {}) as Record<string, unknown>;
  if (typeof fields.client_email !== 'string' || typeof fields.private_key !== 'string') {
    return `names a JSON file that is not a service-account key (no client_email/private_key): ${path}`;
  }
  registerSecret(fields.private_key);
  if (typeof fields.private_key_id === 'string') registerSecret(fields.private_key_id);
  return undefined;
}

const keyFile = optionalText.superRefine((value, context) => {
  const problem = value === undefined ? undefined : keyFileProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

const caFile = optionalText.superRefine((value, context) => {
  if (value === undefined) return;
  const read = readProblem(value);
  if ('problem' in read) context.addIssue({ code: 'custom', message: read.problem });
  else if (!read.raw.includes('-----BEGIN CERTIFICATE-----')) {
    context.addIssue({ code: 'custom', message: `names a file that is not a PEM certificate: ${value}` });
  }
});

/** The value as a URL, or undefined when it is not one. */
function parsedUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

const httpUrl = optionalText.superRefine((value, context) => {
  if (value === undefined) return;
  const url = parsedUrl(value);
  if (url && (url.username || url.password)) {
    context.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL without credentials (it carries some)' });
  } else if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    context.addIssue({ code: 'custom', message: `must be an http:// or https:// URL without credentials, e.g. http://127.0.0.1:4443, got ${JSON.stringify(value)}` });
  }
});

const firestoreDatabase = optionalText.refine(
  (value) => value === undefined || value === '(default)' || /^[a-z][a-z0-9-]{2,61}[a-z0-9]$/.test(value),
  { message: 'must be (default) or a database id of 4-63 lowercase letters, digits and hyphens' },
);

/** Longest object-name prefix (UTF-8 bytes, after sanitizing): leaves room for the rest of a 1024-byte name. */
const MAX_PREFIX_BYTES = 512;

const objectPrefix = optionalText.superRefine((value, context) => {
  if (value === undefined) return;
  const safe = sanitizePrefix(value);
  if (safe === '') context.addIssue({ code: 'custom', message: `has no usable path segment: ${JSON.stringify(value)}` });
  else if (Buffer.byteLength(safe) > MAX_PREFIX_BYTES) {
    context.addIssue({ code: 'custom', message: `is longer than ${MAX_PREFIX_BYTES} bytes once made safe for object names` });
  }
});

/** Where a file the runner writes may go: not a directory, in a directory that exists. */
function writableFileProblem(value: string): string | undefined {
  const isDirectory = (path: string) => {
    try {
      return statSync(path).isDirectory();
    } catch {
      return undefined;
    }
  };
  if (isDirectory(value) === true) return `names a directory, not a file: ${value}`;
  if (isDirectory(dirname(value)) !== true) return `is in a directory that does not exist: ${dirname(value)}`;
  return undefined;
}

/** The daemon's heartbeat; empty or unset means the default (the same file the container's health check reads). */
export const DEFAULT_HEARTBEAT_FILE = '/tmp/nvr-backup-heartbeat';

const heartbeatFile = optionalText
  .transform((value) => value ?? DEFAULT_HEARTBEAT_FILE)
  .superRefine((value, context) => {
    const problem = writableFileProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });

const metricsFile = optionalText.superRefine((value, context) => {
  if (value === undefined) return;
  if (!value.endsWith('.prom')) {
    context.addIssue({ code: 'custom', message: `must end in .prom (node_exporter's textfile collector reads only *.prom files), got ${JSON.stringify(value)}` });
    return;
  }
  const problem = writableFileProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

/** A healthchecks.io-style ping URL: its path holds the check's secret, so the whole URL is a secret. */
const healthcheckUrl = optionalText.superRefine((value, context) => {
  if (value === undefined) return;
  const url = parsedUrl(value);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    // The value is a secret: never echoed.
    context.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL, e.g. https://hc-ping.com/<uuid> (the value is not shown: it is a secret)' });
    return;
  }
  registerSecret(value);
  registerSecret(url.pathname);
  if (url.search.length > 1) registerSecret(url.search.slice(1));
});

// A cap on upload bytes per second across all uploads, optionally a daily schedule (gcs/upload-limit-schedule.ts).
const uploadLimit = optionalText.transform((value, context): UploadLimitSchedule | undefined => {
  if (value === undefined) return undefined;
  try {
    return parseUploadLimit(value);
  } catch (error) {
    context.addIssue({
      code: 'custom',
      message: `must be bytes per second (e.g. 4M, 500k, off) or a daily schedule in local time (e.g. 08:00,4M 23:00,off): ${(error as Error).message}`,
    });
    return z.NEVER;
  }
});

/** One word of a fixed list, case and surrounding space ignored; unset or empty means `fallback`. */
function oneOf<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  return z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((value) => (value === undefined || value === '' ? fallback : value))
    .pipe(z.enum(values, { error: `must be one of ${values.join(', ')}` }));
}

const schema = z.object({
  SCRYPTED_HOST: scryptedUrl,
  SCRYPTED_USER: text('the Scrypted user name'),
  SCRYPTED_PASSWORD: password,
  ALLOW_SELF_SIGNED: bool(false),
  SCRYPTED_CA_FILE: caFile,
  SCRYPTED_TIMEOUT_SECONDS: integer(30, 1, 600, 'seconds'),
  SCRYPTED_FETCH_RETRY_SECONDS: integer(60, 0, 600, 'seconds'),
  GCS_PROJECT_ID: text('the Google Cloud project id').refine((value) => /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(value), {
    message: 'is not a valid project id (6-30 characters: lowercase letters, digits, hyphens)',
  }),
  GCS_BUCKET_NAME: bucketName,
  GCS_KEYFILE_PATH: keyFile,
  GCS_ENDPOINT: httpUrl,
  GCS_RESUMABLE_THRESHOLD_MB: integer(8, 0, 5120, 'MB'),
  GCS_CHUNK_SIZE_MB: integer(0, 0, 1024, 'MB'),
  GCS_MAX_ATTEMPTS: integer(5, 1, 20, 'attempts'),
  UPLOAD_LIMIT: uploadLimit,
  FIRESTORE_DATABASE: firestoreDatabase,
  SITE_ID: optionalText.refine((value) => value === undefined || /^[A-Za-z0-9_-]{1,100}$/.test(value), {
    message: 'must be 1-100 letters, digits, - or _',
  }),
  STATE_DOCUMENT: documentPath,
  OBJECT_PREFIX: objectPrefix,
  CAMERAS_INCLUDE: list,
  CAMERAS_EXCLUDE: list,
  CAMERA_CONCURRENCY: integer(2, 1, 32, 'cameras'),
  UPLOAD_CONCURRENCY: integer(4, 1, 32, 'uploads'),
  LOOKBACK_MINUTES: integer(120, 0, 10080, 'minutes'),
  SETTLE_SECONDS: integer(30, 0, 86400, 'seconds'),
  CLIP_MAX_HOURS: integer(24, 1, 168, 'hours'),
  BACKFILL_HOURS: integer(168, 0, 8760, 'hours'),
  LEASE_SECONDS: integer(300, 30, 86400, 'seconds'),
  WATCH_POLL_SECONDS: integer(30, 2, 3600, 'seconds'),
  LOG_LEVEL: oneOf(LEVELS, 'info'),
  LOG_FORMAT: oneOf(LOG_FORMATS, 'auto'),
  HEARTBEAT_FILE: heartbeatFile,
  HEALTHCHECK_URL: healthcheckUrl,
  METRICS_FILE: metricsFile,
});

export interface RunnerConfig {
  scrypted: {
    baseUrl: string;
    username: string;
    password: string;
    allowSelfSigned: boolean;
    caFile: string | undefined;
    timeoutMs: number;
    /** How long one clip's bytes are retried through a Scrypted restart (separate from GCS_MAX_ATTEMPTS). */
    fetchRetryMs: number;
    include: string[];
    exclude: string[];
  };
  gcs: {
    projectId: string;
    bucket: string;
    keyFilename: string | undefined;
    apiEndpoint: string | undefined;
    resumableThresholdBytes: number;
    chunkSizeBytes: number;
    maxAttempts: number;
    /** UPLOAD_LIMIT: bytes per second shared by all uploads, by time of day; undefined: no cap. */
    uploadLimit: UploadLimitSchedule | undefined;
  };
  firestore: { projectId: string; databaseId: string; documentPath: string; keyFilename: string | undefined };
  siteId: string;
  objectPrefix: string;
  cameraConcurrency: number;
  uploadConcurrency: number;
  lookbackMs: number;
  settleMs: number;
  /** The longest plausible clip; a clip without a duration is still recording until it started this long ago. */
  clipMaxMs: number;
  backfillMs: number;
  leaseMs: number;
  /** `daemon --watch`: every camera is listed at least this often (ms), whatever Scrypted's events say. */
  watchPollMs: number;
  logLevel: (typeof LEVELS)[number];
  logFormat: (typeof LOG_FORMATS)[number];
  heartbeatFile: string;
  /** healthchecks.io-style ping URL (a secret), or undefined. */
  healthcheckUrl: string | undefined;
  /** Prometheus textfile for node_exporter, or undefined. */
  metricsFile: string | undefined;
}

export type ConfigResult = { ok: true; config: RunnerConfig } | { ok: false; problems: string[] };

const MB = 1024 * 1024;

/** Reads and validates the configuration; on failure, one line per problem, each naming its variable. */
export function loadConfig(env: NodeJS.ProcessEnv): ConfigResult {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'configuration');
      const message = issue.code === 'invalid_type' ? `is required` : issue.message;
      return `${variable} ${message}`;
    });
    return { ok: false, problems: [...new Set(problems)] };
  }
  const v = parsed.data;
  const siteId = v.SITE_ID ?? DEFAULT_SITE_ID;
  const chunkSizeBytes = v.GCS_CHUNK_SIZE_MB * MB;
  return {
    ok: true,
    config: {
      scrypted: {
        baseUrl: v.SCRYPTED_HOST,
        username: v.SCRYPTED_USER,
        password: v.SCRYPTED_PASSWORD,
        allowSelfSigned: v.ALLOW_SELF_SIGNED,
        caFile: v.SCRYPTED_CA_FILE,
        timeoutMs: v.SCRYPTED_TIMEOUT_SECONDS * 1000,
        fetchRetryMs: v.SCRYPTED_FETCH_RETRY_SECONDS * 1000,
        include: v.CAMERAS_INCLUDE,
        exclude: v.CAMERAS_EXCLUDE,
      },
      gcs: {
        projectId: v.GCS_PROJECT_ID,
        bucket: v.GCS_BUCKET_NAME,
        keyFilename: v.GCS_KEYFILE_PATH,
        apiEndpoint: v.GCS_ENDPOINT,
        resumableThresholdBytes: v.GCS_RESUMABLE_THRESHOLD_MB * MB,
        chunkSizeBytes,
        maxAttempts: v.GCS_MAX_ATTEMPTS,
        uploadLimit: v.UPLOAD_LIMIT,
      },
      firestore: {
        projectId: v.GCS_PROJECT_ID,
        databaseId: v.FIRESTORE_DATABASE ?? '(default)',
        documentPath: v.STATE_DOCUMENT ?? `nvr-backup/${siteId}`,
        keyFilename: v.GCS_KEYFILE_PATH,
      },
      siteId,
      objectPrefix: v.OBJECT_PREFIX ?? '',
      cameraConcurrency: v.CAMERA_CONCURRENCY,
      uploadConcurrency: v.UPLOAD_CONCURRENCY,
      lookbackMs: v.LOOKBACK_MINUTES * 60_000,
      settleMs: v.SETTLE_SECONDS * 1000,
      clipMaxMs: v.CLIP_MAX_HOURS * 3_600_000,
      backfillMs: v.BACKFILL_HOURS * 3_600_000,
      leaseMs: v.LEASE_SECONDS * 1000,
      watchPollMs: v.WATCH_POLL_SECONDS * 1000,
      logLevel: v.LOG_LEVEL,
      logFormat: v.LOG_FORMAT,
      heartbeatFile: v.HEARTBEAT_FILE,
      healthcheckUrl: v.HEALTHCHECK_URL,
      metricsFile: v.METRICS_FILE,
    },
  };
}

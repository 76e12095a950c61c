// The stack's settings, from the environment, validated before synth: every problem at once, naming the variable.
import { z } from 'zod';
import { READER_MEMBER } from './bucket-readers.js';

export interface StackConfig {
  projectId: string;
  region: string;
  bucketName: string;
  retentionDays: number;
  siteId: string;
  createKey: boolean;
  retentionLockDays: number | undefined;
  lockRetention: boolean;
  /** Principals granted roles/storage.objectViewer on the bucket (bucket-readers.ts). */
  readers?: string[];
  createReaderAccount?: boolean;
}

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .optional()
  .refine((v) => v === undefined || v === '' || ['true', 'false', '1', '0', 'yes', 'no'].includes(v), { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const days = (fallback: number | undefined) =>
  z
    .string()
    .trim()
    .optional()
    .refine((v) => v === undefined || v === '' || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 3650), { message: 'must be a whole number of days from 1 to 3650' })
    .transform((v) => (v === undefined || v === '' ? fallback : Number(v)));

const schema = z.object({
  NVR_BACKUP_PROJECT_ID: z.string({ error: 'is required (the Google Cloud project id)' }).trim().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'is not a valid project id (6-30 characters: lowercase letters, digits, hyphens)'),
  NVR_BACKUP_REGION: z.string().trim().regex(/^[a-z]+(-[a-z]+\d*)*\d*$/, 'is not a location such as us-central1 or europe-west1').optional(),
  NVR_BACKUP_BUCKET: z.string().trim().optional(),
  NVR_BACKUP_RETENTION_DAYS: days(7),
  NVR_BACKUP_SITE_ID: z.string().trim().regex(/^[a-z0-9-]{1,30}$/, 'must be 1-30 lowercase letters, digits or hyphens').optional(),
  NVR_BACKUP_CREATE_KEY: flag,
  NVR_BACKUP_RETENTION_LOCK_DAYS: days(undefined),
  NVR_BACKUP_LOCK_RETENTION: flag,
  NVR_BACKUP_READERS: z.string().optional().transform((v) => (v ?? '').split(',').map((m) => m.trim()).filter((m) => m !== ''))
    .refine((members) => members.every((m) => READER_MEMBER.test(m)), { message: 'must be a comma-separated list of user:EMAIL, group:EMAIL, serviceAccount:EMAIL or domain:DOMAIN' }),
  NVR_BACKUP_CREATE_READER_ACCOUNT: flag,
});

/** GCS bucket naming rules: https://cloud.google.com/storage/docs/buckets#naming */
export function bucketNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(name)) return 'must be 3-63 characters of lowercase letters, digits, -, _ and ., starting and ending with a letter or digit';
  if (name.startsWith('goog') || name.includes('google')) return 'must not start with "goog" or contain "google"';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not look like an IP address';
  return undefined;
}

export type ConfigResult = { ok: true; config: StackConfig } | { ok: false; problems: string[] };

export function loadStackConfig(env: NodeJS.ProcessEnv): ConfigResult {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => `${String(issue.path[0])} ${issue.code === 'invalid_type' ? 'is required (the Google Cloud project id)' : issue.message}`) };
  }
  const v = parsed.data;
  const siteId = v.NVR_BACKUP_SITE_ID ?? 'home';
  const bucketName = v.NVR_BACKUP_BUCKET || `${v.NVR_BACKUP_PROJECT_ID}-nvr-clips-${siteId}`;
  const problems: string[] = [];
  const bucketProblem = bucketNameProblem(bucketName);
  if (bucketProblem) problems.push(`NVR_BACKUP_BUCKET ${bucketProblem} (got ${JSON.stringify(bucketName)})`);
  if (v.NVR_BACKUP_LOCK_RETENTION && v.NVR_BACKUP_RETENTION_LOCK_DAYS === undefined) {
    problems.push('NVR_BACKUP_LOCK_RETENTION needs NVR_BACKUP_RETENTION_LOCK_DAYS (the retention period to lock)');
  }
  if (v.NVR_BACKUP_RETENTION_LOCK_DAYS !== undefined && v.NVR_BACKUP_RETENTION_LOCK_DAYS > (v.NVR_BACKUP_RETENTION_DAYS ?? 7)) {
    problems.push('NVR_BACKUP_RETENTION_LOCK_DAYS must not exceed NVR_BACKUP_RETENTION_DAYS (objects could not be deleted when the lifecycle rule fires)');
  }
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    config: {
      projectId: v.NVR_BACKUP_PROJECT_ID,
      region: v.NVR_BACKUP_REGION ?? 'us-central1',
      bucketName,
      retentionDays: v.NVR_BACKUP_RETENTION_DAYS ?? 7,
      siteId,
      createKey: v.NVR_BACKUP_CREATE_KEY,
      retentionLockDays: v.NVR_BACKUP_RETENTION_LOCK_DAYS,
      lockRetention: v.NVR_BACKUP_LOCK_RETENTION,
      readers: v.NVR_BACKUP_READERS,
      createReaderAccount: v.NVR_BACKUP_CREATE_READER_ACCOUNT,
    },
  };
}

// The deployed bucket's settings, from what the Google Cloud CLI prints. Answers are hostile until checked: only
// the fields read here, each checked for its type; a field the CLI did not report stays undefined ("not checked").
//
// gcloud: `gcloud storage buckets describe gs://B --format=json` prints the display keys of gcloud's bucket
// resource (googlecloudsdk/command_lib/storage/resources/full_resource_formatter.py, BucketDisplayTitlesAndDefaults;
// filled in api_lib/storage/gcs_json/metadata_util.py from the JSON API's bucket resource,
// https://cloud.google.com/storage/docs/json_api/v1/buckets#resource); None values are left out.
// gsutil (legacy, https://cloud.google.com/storage/docs/gsutil): one command per setting, text answers
// (gslib/commands/{lifecycle,ubla,pap,defstorageclass,versioning,iam}.py); it cannot show soft delete.
// Recorded answers of both, and how they were recorded: infra/test/fixtures/audit/README.md.

export interface BucketFacts {
  /** The lifecycle configuration as `gsutil lifecycle get` prints it; null: none. */
  lifecycle?: unknown;
  storageClass?: string;
  uniformAccess?: boolean;
  publicAccessPrevention?: string;
  softDeleteSeconds?: number;
  versioning?: boolean;
  /** null: no retention policy. */
  retention?: { periodSeconds: number; locked: boolean } | null;
}

export interface IamBinding {
  role: string;
  members: string[];
  condition?: { expression?: string };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const own = (record: Record<string, unknown>, key: string): unknown => (Object.hasOwn(record, key) ? record[key] : undefined);
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
const bool = (value: unknown) => (typeof value === 'boolean' ? value : undefined);
/** int64 fields come as decimal strings in Google's JSON. */
const int = (value: unknown) => (typeof value === 'number' && Number.isSafeInteger(value) ? value : typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : undefined);

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${what} did not print JSON: ${text.trim().slice(0, 200)}`);
  }
}

export function factsFromGcloudDescribe(answer: unknown): BucketFacts {
  if (!isRecord(answer)) throw new Error('gcloud storage buckets describe did not print a JSON object');
  const lifecycle = own(answer, 'lifecycle_config');
  const softDelete = own(answer, 'soft_delete_policy');
  const retention = own(answer, 'retention_policy');
  const versioning = own(answer, 'versioning_enabled');
  return {
    lifecycle: lifecycle === undefined ? null : lifecycle,
    storageClass: str(own(answer, 'default_storage_class')),
    uniformAccess: bool(own(answer, 'uniform_bucket_level_access')),
    publicAccessPrevention: str(own(answer, 'public_access_prevention')),
    softDeleteSeconds: isRecord(softDelete) ? int(own(softDelete, 'retentionDurationSeconds')) : undefined,
    // Never configured: gcloud leaves the key out, and versioning is off.
    versioning: versioning === undefined ? false : bool(versioning),
    retention: retention === undefined ? null : isRecord(retention) && int(own(retention, 'retentionPeriod')) !== undefined
      ? { periodSeconds: int(own(retention, 'retentionPeriod')) as number, locked: own(retention, 'isLocked') === true }
      : undefined,
  };
}

/** The gsutil commands the fallback runs, each with the bucket's URL as its last argument. */
export const GSUTIL_COMMANDS = ['lifecycle get', 'ubla get', 'pap get', 'defstorageclass get', 'versioning get'] as const;
export type GsutilAnswers = Partial<Record<(typeof GSUTIL_COMMANDS)[number], string>>;

export function factsFromGsutil(answers: GsutilAnswers): BucketFacts {
  const lifecycle = answers['lifecycle get'];
  const lastWord = (text: string | undefined) => text?.trim().match(/^gs:\/\/\S+: (\S+)$/)?.[1];
  const ubla = answers['ubla get']?.match(/^\s*Enabled: (True|False)\s*$/m)?.[1];
  const versioning = lastWord(answers['versioning get']);
  return {
    lifecycle: lifecycle === undefined ? undefined : /has no lifecycle configuration/.test(lifecycle) ? null : parseJson(lifecycle, 'gsutil lifecycle get'),
    storageClass: lastWord(answers['defstorageclass get']),
    uniformAccess: ubla === undefined ? undefined : ubla === 'True',
    publicAccessPrevention: lastWord(answers['pap get']),
    softDeleteSeconds: undefined,
    versioning: versioning === 'Enabled' ? true : versioning === 'Suspended' ? false : undefined,
    retention: undefined,
  };
}

/** The bindings of an IAM policy as printed by `gcloud ... get-iam-policy --format=json` or `gsutil iam get`. */
export function bindingsOf(policy: unknown): IamBinding[] {
  if (!isRecord(policy)) throw new Error('the IAM policy is not a JSON object');
  const bindings = own(policy, 'bindings');
  if (bindings === undefined) return [];
  if (!Array.isArray(bindings)) throw new Error('the IAM policy\'s bindings are not a list');
  return bindings.filter(isRecord).map((binding) => {
    const condition = own(binding, 'condition');
    const members = own(binding, 'members');
    return {
      role: str(own(binding, 'role')) ?? '',
      members: Array.isArray(members) ? members.filter((m): m is string => typeof m === 'string') : [],
      ...(isRecord(condition) ? { condition: { expression: str(own(condition, 'expression')) } } : {}),
    };
  });
}

// The audit's judgement, a pure function: the deployed bucket (and who may do what on it) against what the stack
// was configured with. Every check says what was expected and what was found; a setting the CLI could not
// show is "not checked", which is not a pass.
import type { BucketFacts, IamBinding } from './bucket-facts.js';
import type { ExpectedBucket } from './expected.js';

export interface Check {
  what: string;
  /** undefined: not checked (the CLI did not report it). */
  ok: boolean | undefined;
  expected: string;
  actual: string;
}

export type Verdict = 'ok' | 'FAILED' | 'INCOMPLETE';

/** JSON with sorted keys and Python's separators, the way `gsutil lifecycle get` prints a lifecycle. */
export function gsutilStyleJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(gsutilStyleJson).join(', ')}]`;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record).sort().map((key) => `${JSON.stringify(key)}: ${gsutilStyleJson(record[key])}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

const PUBLIC_MEMBERS = new Set(['allUsers', 'allAuthenticatedUsers']);

function check<T>(what: string, expected: T, actual: T | undefined, show: (value: T) => string = String): Check {
  if (actual === undefined) return { what, ok: undefined, expected: show(expected), actual: 'not reported' };
  return { what, ok: show(actual) === show(expected), expected: show(expected), actual: show(actual) };
}

const showRetention = (r: { periodSeconds: number; locked: boolean } | null | undefined) =>
  r ? `${r.periodSeconds} s${r.locked ? ', locked' : ', not locked'}` : 'none';
const showRoles = (roles: string[]) => (roles.length ? [...roles].sort().join(', ') : 'none');

function rolesOf(bindings: IamBinding[], member: string, withCondition: boolean): string[] {
  return bindings
    .filter((binding) => binding.members.includes(member))
    .map((binding) => (withCondition && binding.condition ? `${binding.role} if ${binding.condition.expression ?? '?'}` : binding.role));
}

export interface AuditInput {
  facts: BucketFacts;
  /** undefined: the bucket's IAM policy could not be read. */
  bucketBindings: IamBinding[] | undefined;
  /** undefined: the project's IAM policy was not read (gsutil cannot). */
  projectBindings: IamBinding[] | undefined;
}

export function auditBucket(expected: ExpectedBucket, input: AuditInput): Check[] {
  const { facts } = input;
  const checks: Check[] = [
    check('lifecycle', expected.lifecycle as unknown, facts.lifecycle, (v) => (v === null ? 'none' : gsutilStyleJson(v))),
    check('storage class', expected.storageClass as string, facts.storageClass),
    check('uniform bucket-level access', expected.uniformAccess as boolean, facts.uniformAccess),
    check('public access prevention', expected.publicAccessPrevention as string, facts.publicAccessPrevention),
    check('soft delete retention (seconds)', expected.softDeleteSeconds as number, facts.softDeleteSeconds),
    check('object versioning', expected.versioning as boolean, facts.versioning, (v) => (v ? 'on' : 'off')),
    check('retention policy', expected.retention ?? null, facts.retention, showRetention),
  ];
  const bucketBindings = input.bucketBindings;
  checks.push(
    check('the runner\'s roles on the bucket', expected.runnerBucketRoles, bucketBindings && rolesOf(bucketBindings, expected.runnerMember, false), showRoles),
    check('public members on the bucket', [] as string[], bucketBindings && bucketBindings.flatMap((b) => b.members.filter((m) => PUBLIC_MEMBERS.has(m)).map((m) => `${m} (${b.role})`)), showRoles),
    check('the runner\'s roles on the project', expected.runnerProjectRoles.map((r) => `${r.role} if ${r.condition}`), input.projectBindings && rolesOf(input.projectBindings, expected.runnerMember, true), showRoles),
  );
  return checks;
}

export function verdictOf(checks: Check[]): Verdict {
  if (checks.some((c) => c.ok === false)) return 'FAILED';
  return checks.some((c) => c.ok === undefined) ? 'INCOMPLETE' : 'ok';
}

/** The report: the lifecycle as `gsutil lifecycle get` prints it, expected and actual, then every check. */
export function renderAudit(bucket: string, checks: Check[], source: string): string {
  const lifecycle = checks.find((c) => c.what === 'lifecycle');
  const lines = [
    `audit of gs://${bucket} (${source})`,
    'lifecycle, as `gsutil lifecycle get` prints it:',
    `  expected: ${lifecycle?.expected ?? '?'}`,
    `  actual:   ${lifecycle?.actual ?? '?'}`,
  ];
  for (const c of checks) {
    const mark = c.ok === true ? 'ok         ' : c.ok === false ? 'FAILED     ' : 'not checked';
    lines.push(c.ok === true ? `${mark} ${c.what}: ${c.actual}` : `${mark} ${c.what}: expected ${c.expected}, actual ${c.actual}`);
  }
  const verdict = verdictOf(checks);
  lines.push(
    verdict === 'ok'
      ? `audit: ok, gs://${bucket} is as the stack configures it`
      : verdict === 'FAILED'
        ? `audit: FAILED, gs://${bucket} differs from the stack's settings (above); run \`make deploy\` with the same NVR_BACKUP_* settings, or fix the settings`
        : `audit: INCOMPLETE, some settings could not be read (above); install the current Google Cloud CLI (gcloud) and check again`,
  );
  return lines.join('\n');
}

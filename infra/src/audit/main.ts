// `make audit [BUCKET=...]`: reads the deployed bucket with the current Google Cloud CLI (gcloud storage; the
// legacy gsutil where gcloud is missing) and judges it against the NVR_BACKUP_* settings (./compare.ts).
// Exit 0: as configured; 1: differs; 2: could not check (bad settings, no CLI, Google unreachable, incomplete).
import { loadStackConfig } from '../config.js';
import { GSUTIL_COMMANDS, bindingsOf, factsFromGcloudDescribe, factsFromGsutil, parseJson, type BucketFacts, type GsutilAnswers, type IamBinding } from './bucket-facts.js';
import { auditBucket, renderAudit, verdictOf } from './compare.js';
import { expectedBucket } from './expected.js';
import { looksUnreachable, runCli, type CliResult } from './run-cli.js';

class CannotCheck extends Error {}

const timeoutSeconds = Number(process.env.NVR_AUDIT_TIMEOUT_SECONDS) > 0 ? Number(process.env.NVR_AUDIT_TIMEOUT_SECONDS) : 60;

async function ask(command: string, args: string[]): Promise<CliResult> {
  process.stderr.write(`audit: asking Google: ${command} ${args.join(' ')} (up to ${timeoutSeconds} s)\n`);
  const result = await runCli(command, args, timeoutSeconds * 1000);
  const what = `${command} ${args.join(' ')}`;
  if (result.kind === 'timeout') {
    throw new CannotCheck(`no answer within ${timeoutSeconds} s to \`${what}\`: this machine cannot reach Google's APIs (network, DNS or proxy?); nothing was judged`);
  }
  if (result.kind === 'done' && result.status !== 0 && looksUnreachable(result.stderr)) {
    const line = result.stderr.split('\n').find((l) => looksUnreachable(l))?.trim().slice(0, 300);
    throw new CannotCheck(`cannot reach Google's APIs for \`${what}\` (${line}): check this machine's network, DNS or proxy; nothing was judged`);
  }
  return result;
}

function answerOf(result: CliResult, what: string): string {
  if (result.kind !== 'done') throw new CannotCheck(`${what}: no answer`);
  if (result.status !== 0) {
    throw new CannotCheck(`\`${what}\` failed: ${result.stderr.trim().slice(-500)}\nlog in with \`gcloud auth login\` as someone who may read the bucket and its IAM policy (storage.buckets.get, storage.buckets.getIamPolicy)`);
  }
  return result.stdout;
}

async function readWithGcloud(bucket: string, projectId: string): Promise<{ facts: BucketFacts; bucketBindings: IamBinding[]; projectBindings: IamBinding[] | undefined } | undefined> {
  const url = `gs://${bucket}`;
  const describe = await ask('gcloud', ['storage', 'buckets', 'describe', url, '--format=json']);
  if (describe.kind === 'missing') return undefined;
  const facts = factsFromGcloudDescribe(parseJson(answerOf(describe, `gcloud storage buckets describe ${url}`), 'gcloud storage buckets describe'));
  const bucketPolicy = await ask('gcloud', ['storage', 'buckets', 'get-iam-policy', url, '--format=json']);
  const bucketBindings = bindingsOf(parseJson(answerOf(bucketPolicy, `gcloud storage buckets get-iam-policy ${url}`), 'gcloud storage buckets get-iam-policy'));
  const projectPolicy = await ask('gcloud', ['projects', 'get-iam-policy', projectId, '--format=json']);
  let projectBindings: IamBinding[] | undefined;
  if (projectPolicy.kind === 'done' && projectPolicy.status === 0) projectBindings = bindingsOf(parseJson(projectPolicy.stdout, 'gcloud projects get-iam-policy'));
  else process.stderr.write(`audit: could not read the project's IAM policy (needs resourcemanager.projects.getIamPolicy): ${projectPolicy.kind === 'done' ? projectPolicy.stderr.trim().slice(-300) : projectPolicy.kind}\n`);
  return { facts, bucketBindings, projectBindings };
}

async function readWithGsutil(bucket: string): Promise<{ facts: BucketFacts; bucketBindings: IamBinding[]; projectBindings: undefined } | undefined> {
  const url = `gs://${bucket}`;
  const answers: GsutilAnswers = {};
  for (const command of GSUTIL_COMMANDS) {
    const result = await ask('gsutil', [...command.split(' '), url]);
    if (result.kind === 'missing') return undefined;
    answers[command] = answerOf(result, `gsutil ${command} ${url}`);
  }
  const policy = await ask('gsutil', ['iam', 'get', url]);
  return { facts: factsFromGsutil(answers), bucketBindings: bindingsOf(parseJson(answerOf(policy, `gsutil iam get ${url}`), 'gsutil iam get')), projectBindings: undefined };
}

async function main(): Promise<number> {
  const bucketArgument = process.argv[2];
  const loaded = loadStackConfig(bucketArgument ? { ...process.env, NVR_BACKUP_BUCKET: bucketArgument } : process.env);
  if (!loaded.ok) {
    process.stderr.write(`audit: the settings the stack was deployed with are needed (the same NVR_BACKUP_* as for make deploy):\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return 2;
  }
  const expected = expectedBucket(loaded.config);
  try {
    let source = 'gcloud storage';
    let read = await readWithGcloud(expected.bucket, expected.projectId);
    if (!read) {
      source = 'gsutil (legacy; cannot show soft delete, retention or the project\'s policy)';
      read = await readWithGsutil(expected.bucket);
    }
    if (!read) throw new CannotCheck('neither gcloud nor gsutil is installed: install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install)');
    const checks = auditBucket(expected, read);
    process.stdout.write(`${renderAudit(expected.bucket, checks, source)}\n`);
    const verdict = verdictOf(checks);
    return verdict === 'ok' ? 0 : verdict === 'FAILED' ? 1 : 2;
  } catch (error) {
    process.stderr.write(`audit: ${(error as Error).message}\n`);
    return 2;
  }
}

process.exitCode = await main();

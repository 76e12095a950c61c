// The synthesized stack: every property the design asks for, and the runner's least privilege.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lifecycleJson } from '../src/clip-bucket.js';
import { resourcesOf, synth } from './support/synth.js';

const json = synth();
const bucket = resourcesOf(json, 'google_storage_bucket')[0] as Record<string, unknown>;

describe('the clip bucket', () => {
  it('is STANDARD, uniform access, public access prevention enforced, no versioning, no soft delete, not force-destroyed', () => {
    assert.equal(bucket.storage_class, 'STANDARD');
    assert.equal(bucket.uniform_bucket_level_access, true);
    assert.equal(bucket.public_access_prevention, 'enforced');
    assert.deepEqual(bucket.versioning, { enabled: false });
    assert.deepEqual(bucket.soft_delete_policy, { retention_duration_seconds: 0 });
    assert.equal(bucket.force_destroy, false);
    assert.deepEqual(bucket.labels, { app: 'nvr-backup', site: 'home' });
  });

  it('deletes objects at age 7, exactly as tools/gcs-lifecycle-7d.json says', () => {
    assert.deepEqual(bucket.lifecycle_rule, [{ action: { type: 'Delete' }, condition: { age: 7 } }]);
    const file = JSON.parse(readFileSync(fileURLToPath(new URL('../../tools/gcs-lifecycle-7d.json', import.meta.url)), 'utf8'));
    assert.deepEqual(file, lifecycleJson(7));
    assert.deepEqual({ rule: bucket.lifecycle_rule }, file);
  });

  it('takes another age, and an optional locked retention policy', () => {
    const custom = resourcesOf(synth({ retentionDays: 14, retentionLockDays: 3, lockRetention: true }), 'google_storage_bucket')[0] as Record<string, unknown>;
    assert.deepEqual(custom.lifecycle_rule, [{ action: { type: 'Delete' }, condition: { age: 14 } }]);
    assert.deepEqual(custom.retention_policy, { retention_period: 3 * 86_400, is_locked: true });
    assert.equal(bucket.retention_policy, undefined, 'no retention policy by default');
  });
});

describe('the runner\'s identity (least privilege)', () => {
  const bucketBindings = resourcesOf(json, 'google_storage_bucket_iam_member');
  const projectBindings = resourcesOf(json, 'google_project_iam_member');
  const customRoles = resourcesOf(json, 'google_project_iam_custom_role');

  it('holds roles/storage.objectCreator on the clip bucket only', () => {
    assert.equal(bucketBindings.length, 1);
    assert.equal(bucketBindings[0]?.role, 'roles/storage.objectCreator');
    assert.match(String(bucketBindings[0]?.bucket), /google_storage_bucket\.clips_bucket_.*\.name/);
  });

  it('holds no project-wide storage role, and no role that reads, overwrites or deletes objects', () => {
    for (const binding of projectBindings) assert.doesNotMatch(String(binding.role), /roles\/(storage|datastore)\.|owner|editor/i, String(binding.role));
    for (const binding of bucketBindings) assert.doesNotMatch(String(binding.role), /objectAdmin|objectViewer|objectUser|legacy|admin/i, String(binding.role));
    assert.equal(resourcesOf(json, 'google_project_iam_binding').length, 0);
    assert.equal(resourcesOf(json, 'google_storage_bucket_iam_binding').length, 0);
  });

  it('gets Firestore access only through the custom role, conditioned on the state database', () => {
    assert.equal(projectBindings.length, 1);
    assert.match(String(projectBindings[0]?.role), /google_project_iam_custom_role\..*\.name/);
    assert.deepEqual((projectBindings[0]?.condition as Record<string, unknown>).expression, 'resource.name == "projects/my-project-123/databases/nvr-backup"');
    assert.deepEqual(customRoles[0]?.permissions, ['datastore.databases.getMetadata', 'datastore.entities.get', 'datastore.entities.create', 'datastore.entities.update']);
    assert.ok(!(customRoles[0]?.permissions as string[]).some((p) => /delete|list|import|export|indexes/.test(p)));
  });

  it('makes no key unless asked (a key in Terraform state is a secret in state)', () => {
    assert.equal(resourcesOf(json, 'google_service_account_key').length, 0);
    const withKey = synth({ createKey: true });
    assert.equal(resourcesOf(withKey, 'google_service_account_key').length, 1);
    assert.equal((withKey.output as Record<string, { sensitive?: boolean }>).runner_key_base64?.sensitive, true);
  });
});

describe('the state', () => {
  it('is a native-mode database and a state document whose fields Terraform then leaves alone', () => {
    const database = resourcesOf(json, 'google_firestore_database')[0];
    assert.equal(database?.type, 'FIRESTORE_NATIVE');
    assert.equal(database?.deletion_policy, 'ABANDON');
    const document = resourcesOf(json, 'google_firestore_document')[0];
    assert.equal(document?.collection, 'nvr-backup');
    assert.equal(document?.document_id, 'home');
    assert.deepEqual(JSON.parse(String(document?.fields)), { lastTimestamp: { integerValue: '0' }, cameras: { mapValue: {} } });
    assert.deepEqual(document?.lifecycle, { ignore_changes: ['fields'] });
  });

  it('enables the APIs it needs and never disables them on destroy', () => {
    const services = resourcesOf(json, 'google_project_service');
    assert.deepEqual(services.map((s) => s.service).sort(), ['cloudresourcemanager.googleapis.com', 'firestore.googleapis.com', 'iam.googleapis.com', 'storage.googleapis.com']);
    assert.ok(services.every((s) => s.disable_on_destroy === false));
  });

  it('outputs the runner\'s environment lines', () => {
    const env = String(json.output.runner_env?.value);
    for (const line of ['GCS_PROJECT_ID=my-project-123', 'GCS_BUCKET_NAME=my-project-123-nvr-clips-home', 'FIRESTORE_DATABASE=nvr-backup', 'STATE_DOCUMENT=nvr-backup/home', 'SITE_ID=home']) {
      assert.ok(env.includes(line), line);
    }
    for (const name of ['bucket_name', 'service_account_email', 'firestore_database', 'state_document']) assert.ok(json.output[name], name);
  });
});

describe('configuration', () => {
  const main = fileURLToPath(new URL('../main.ts', import.meta.url));
  const run = (env: Record<string, string>) => spawnSync(process.execPath, ['--import', 'tsx', main], { env: { PATH: process.env.PATH ?? '', CDKTF_OUTDIR: '/tmp/nvr-synth-should-not-exist', ...env }, encoding: 'utf8' });

  it('refuses a bad configuration with exit code 2, naming each variable, before synth', () => {
    const result = run({ NVR_BACKUP_RETENTION_DAYS: 'a week', NVR_BACKUP_CREATE_KEY: 'maybe' });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /NVR_BACKUP_PROJECT_ID is required/);
    assert.match(result.stderr, /NVR_BACKUP_RETENTION_DAYS must be a whole number of days/);
    assert.match(result.stderr, /NVR_BACKUP_CREATE_KEY must be true or false/);
  });

  it('refuses a bucket name GCS would refuse', () => {
    const result = run({ NVR_BACKUP_PROJECT_ID: 'my-project-123', NVR_BACKUP_BUCKET: 'Has_Upper' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /NVR_BACKUP_BUCKET must be 3-63 characters/);
  });
});

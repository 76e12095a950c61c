// The synthesized stack: every property the design asks for, and the runner's least privilege.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lifecycleJson } from '../src/clip-bucket.js';
import { unquoteDependsOn } from '../src/synth-output.js';
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
    assert.ok(!(customRoles[0]?.permissions as string[]).some((p) => /delete|list|import|export|indexes/.test(p)));
  });

  it('the Firestore role holds exactly what runTransaction with get and set needs (docs/infra.md justifies each)', () => {
    // begin/rollback: databases.get; get/batchGet: entities.get; commit of a set() without precondition: create + update.
    assert.deepEqual(customRoles[0]?.permissions, ['datastore.databases.get', 'datastore.entities.get', 'datastore.entities.create', 'datastore.entities.update']);
    assert.ok(!(customRoles[0]?.permissions as string[]).includes('datastore.databases.getMetadata'), 'the runner never reads the database\'s metadata');
  });

  it('makes no key unless asked (a key in Terraform state is a secret in state)', () => {
    assert.equal(resourcesOf(json, 'google_service_account_key').length, 0);
    const withKey = synth({ createKey: true });
    assert.equal(resourcesOf(withKey, 'google_service_account_key').length, 1);
    assert.equal((withKey.output as Record<string, { sensitive?: boolean }>).runner_key_base64?.sensitive, true);
  });
});

describe('the state', () => {
  it('is a native-mode database that neither Google nor `destroy` deletes, and no document Terraform could reset', () => {
    const databases = resourcesOf(json, 'google_firestore_database');
    assert.equal(databases.length, 1);
    assert.equal(databases[0]?.type, 'FIRESTORE_NATIVE');
    assert.equal(databases[0]?.name, 'nvr-backup');
    assert.equal(databases[0]?.delete_protection_state, 'DELETE_PROTECTION_ENABLED');
    assert.equal(databases[0]?.deletion_policy, 'ABANDON');
    // The runner creates nvr-backup/<site> on its first read; a document resource would be deleted by destroy.
    assert.equal(resourcesOf(json, 'google_firestore_document').length, 0);
    assert.equal(json.import, undefined, 'nothing imported unless asked');
  });

  it('NVR_BACKUP_ADOPT_DATABASE takes over the database an earlier destroy left behind (an import block)', () => {
    const adopted = synth({ adoptDatabase: true });
    const name = Object.keys(adopted.resource.google_firestore_database ?? {})[0];
    assert.deepEqual(adopted.import, [{ to: `google_firestore_database.${name}`, id: 'projects/my-project-123/databases/nvr-backup' }]);
  });

  it('enables the APIs it needs and never disables them on destroy', () => {
    const services = resourcesOf(json, 'google_project_service');
    assert.deepEqual(services.map((s) => s.service).sort(), ['cloudresourcemanager.googleapis.com', 'firestore.googleapis.com', 'iam.googleapis.com', 'storage.googleapis.com']);
    assert.ok(services.every((s) => s.disable_on_destroy === false));
  });

  it('every resource waits, by static reference, for each API it calls', () => {
    const needs: Record<string, string[]> = {
      google_storage_bucket: ['storage.googleapis.com'],
      google_storage_bucket_iam_member: ['storage.googleapis.com'],
      google_firestore_database: ['firestore.googleapis.com'],
      google_service_account: ['iam.googleapis.com'],
      google_service_account_key: ['iam.googleapis.com'],
      google_project_iam_custom_role: ['iam.googleapis.com'],
      google_project_iam_member: ['cloudresourcemanager.googleapis.com', 'iam.googleapis.com'],
    };
    const full = synth({ createKey: true, readers: ['user:you@example.com'], createReaderAccount: true });
    const serviceOf = new Map(Object.entries(full.resource.google_project_service ?? {}).map(([name, block]) => [`google_project_service.${name}`, String(block.service)]));
    for (const [type, blocks] of Object.entries(full.resource)) {
      if (type === 'google_project_service') continue;
      assert.ok(needs[type], `${type}: which APIs does it need? (add it to this table and to its dependsOn)`);
      for (const [name, block] of Object.entries(blocks)) {
        const refs = (block.depends_on ?? []) as string[];
        for (const ref of refs) assert.match(ref, /^[a-z_]+\.[A-Za-z0-9_-]+$/, `${type}.${name}: depends_on must be a static reference, got ${ref}`);
        assert.deepEqual(refs.map((ref) => serviceOf.get(ref)).sort(), [...(needs[type] as string[])].sort(), `${type}.${name}`);
      }
    }
  });

  it('outputs the runner\'s environment, one line of runner/.env each', () => {
    assert.deepEqual(json.output.runner_env?.value, [
      'GCS_PROJECT_ID=my-project-123', 'GCS_BUCKET_NAME=my-project-123-nvr-clips-home', 'FIRESTORE_DATABASE=nvr-backup',
      'STATE_DOCUMENT=nvr-backup/home', 'SITE_ID=home', 'GCS_KEYFILE_PATH=/secrets/gcs-key.json',
    ]);
    for (const name of ['bucket_name', 'service_account_email', 'firestore_database', 'state_document']) assert.ok(json.output[name], name);
  });
});

describe('Terraform state', () => {
  it('is a local file beside cdktf.out by default, by a relative path (no absolute path of the checkout)', () => {
    assert.deepEqual(json.terraform.backend, { local: { path: '../../../terraform.nvr-backup.tfstate' } });
  });

  it('NVR_BACKUP_STATE_BUCKET keeps it in that GCS bucket, one prefix per site, and no local backend', () => {
    const remote = synth({ stateBucket: 'my-tf-state', siteId: 'cabin' });
    assert.deepEqual(remote.terraform.backend, { gcs: { bucket: 'my-tf-state', prefix: 'nvr-backup/cabin' } });
  });
});

describe('make hcl output', () => {
  it('unquotes the references in depends_on lists and nothing else', () => {
    const hcl = 'resource "a" "b" {\n  name = "google_x.y"\n  depends_on = [\n    "google_project_service.s_1",\n    "google_project_service.s-2",\n  ]\n}\n';
    assert.equal(unquoteDependsOn(hcl), 'resource "a" "b" {\n  name = "google_x.y"\n  depends_on = [\n    google_project_service.s_1,\n    google_project_service.s-2,\n  ]\n}\n');
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

  it('refuses a state bucket GCS would refuse, or the clip bucket as state bucket', () => {
    const bad = run({ NVR_BACKUP_PROJECT_ID: 'my-project-123', NVR_BACKUP_STATE_BUCKET: 'Bad Name' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /NVR_BACKUP_STATE_BUCKET must be 3-63 characters/);
    const same = run({ NVR_BACKUP_PROJECT_ID: 'my-project-123', NVR_BACKUP_STATE_BUCKET: 'my-project-123-nvr-clips-home' });
    assert.equal(same.status, 2);
    assert.match(same.stderr, /NVR_BACKUP_STATE_BUCKET must not be the clip bucket/);
  });

  it('refuses a bucket name GCS would refuse', () => {
    const result = run({ NVR_BACKUP_PROJECT_ID: 'my-project-123', NVR_BACKUP_BUCKET: 'Has_Upper' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /NVR_BACKUP_BUCKET must be 3-63 characters/);
  });
});

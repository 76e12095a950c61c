// The optional readers of the clip bucket (nvr-backup find/restore/browse): roles/storage.objectViewer on the
// bucket alone, for named principals and an optional reader service account; the runner stays create-only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadStackConfig } from '../src/config.js';
import { resourcesOf, synth } from './support/synth.js';

const viewerBindings = (json: ReturnType<typeof synth>) => resourcesOf(json, 'google_storage_bucket_iam_member').filter((b) => b.role === 'roles/storage.objectViewer');

describe('bucket readers', () => {
  it('grants no one read access by default', () => {
    assert.equal(viewerBindings(synth()).length, 0);
    assert.equal(resourcesOf(synth(), 'google_service_account').length, 1, 'only the runner\'s account');
  });

  it('grants roles/storage.objectViewer on the clip bucket alone to each named principal and the reader account', () => {
    const json = synth({ readers: ['user:alice@example.com', 'group:family@example.com'], createReaderAccount: true });
    const bindings = viewerBindings(json);
    assert.equal(bindings.length, 3);
    for (const binding of bindings) assert.match(String(binding.bucket), /google_storage_bucket\.clips_bucket_.*\.name/);
    assert.deepEqual(bindings.slice(0, 2).map((b) => b.member), ['user:alice@example.com', 'group:family@example.com']);
    assert.match(String(bindings[2]?.member), /^serviceAccount:\$\{google_service_account\.readers_account_.*\.email\}$/);
    const accounts = resourcesOf(json, 'google_service_account').map((a) => a.account_id);
    assert.deepEqual(accounts.sort(), ['nvr-backup-reader', 'nvr-backup-runner']);
    assert.ok(json.output.reader_service_account_email);
    // The runner's account is still create-only; no project-wide storage role for anyone; no key made.
    const runnerBindings = resourcesOf(json, 'google_storage_bucket_iam_member').filter((b) => String(b.member).includes('runner_account'));
    assert.deepEqual(runnerBindings.map((b) => b.role), ['roles/storage.objectCreator']);
    assert.ok(!resourcesOf(json, 'google_project_iam_member').some((b) => /storage/.test(String(b.role))));
    assert.equal(resourcesOf(json, 'google_service_account_key').length, 0);
  });

  it('takes NVR_BACKUP_READERS as a list of principals, and refuses anything else (allUsers included)', () => {
    const good = loadStackConfig({ NVR_BACKUP_PROJECT_ID: 'my-project-123', NVR_BACKUP_READERS: ' user:alice@example.com , serviceAccount:r@p.iam.gserviceaccount.com', NVR_BACKUP_CREATE_READER_ACCOUNT: 'true' });
    assert.ok(good.ok);
    assert.deepEqual(good.config.readers, ['user:alice@example.com', 'serviceAccount:r@p.iam.gserviceaccount.com']);
    assert.equal(good.config.createReaderAccount, true);
    for (const bad of ['allUsers', 'alice@example.com', 'user:alice@example.com,allAuthenticatedUsers']) {
      const result = loadStackConfig({ NVR_BACKUP_PROJECT_ID: 'my-project-123', NVR_BACKUP_READERS: bad });
      assert.equal(result.ok, false, bad);
      assert.match(String(!result.ok && result.problems[0]), /^NVR_BACKUP_READERS must be a comma-separated list of user:EMAIL, group:EMAIL, serviceAccount:EMAIL or domain:DOMAIN/);
    }
  });
});

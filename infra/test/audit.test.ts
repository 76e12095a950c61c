// make audit: the comparison (a pure function) on recorded gcloud and gsutil answers (fixtures/audit/README.md),
// and the deadline with the real gcloud against a loopback port that never answers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bindingsOf, factsFromGcloudDescribe, factsFromGsutil, type GsutilAnswers } from '../src/audit/bucket-facts.js';
import { auditBucket, gsutilStyleJson, renderAudit, verdictOf, type Check } from '../src/audit/compare.js';
import { expectedBucket } from '../src/audit/expected.js';
import { loadStackConfig } from '../src/config.js';
import { runCli } from '../src/audit/run-cli.js';
import { baseConfig } from './support/synth.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(fileURLToPath(new URL(`./fixtures/audit/${name}`, import.meta.url)), 'utf8'));
const gsutil = fixture('gsutil-answers.json') as Record<'ok' | 'drift', GsutilAnswers & { 'iam get': string }>;
const config = { ...baseConfig, projectId: 'my-project-123' };

function gcloudAudit(kind: 'ok' | 'drift', overrides: Partial<typeof config> = {}, describeAnswer = fixture(`gcloud-describe-${kind}.json`)): Check[] {
  return auditBucket(expectedBucket({ ...config, ...overrides }), {
    facts: factsFromGcloudDescribe(describeAnswer),
    bucketBindings: bindingsOf(fixture(`gcloud-bucket-iam-${kind}.json`)),
    projectBindings: bindingsOf(fixture(`gcloud-project-iam-${kind}.json`)),
  });
}
const failed = (checks: Check[]) => checks.filter((c) => c.ok === false).map((c) => c.what);

describe('the audit with gcloud answers', () => {
  it('passes the bucket the stack deploys with the default settings, every check made', () => {
    const checks = gcloudAudit('ok');
    assert.equal(checks.length, 10);
    assert.deepEqual(checks.filter((c) => c.ok !== true), []);
    assert.equal(verdictOf(checks), 'ok');
  });

  it('takes the lifecycle age from NVR_BACKUP_RETENTION_DAYS: 14 days fails a 7-day bucket and passes a 14-day one', () => {
    assert.deepEqual(failed(gcloudAudit('ok', { retentionDays: 14 })), ['lifecycle']);
    const fourteen = structuredClone(fixture('gcloud-describe-ok.json')) as { lifecycle_config: { rule: Array<{ condition: { age: number } }> } };
    fourteen.lifecycle_config.rule[0]!.condition.age = 14;
    assert.equal(verdictOf(gcloudAudit('ok', { retentionDays: 14 }, fourteen)), 'ok');
  });

  it('with no NVR_BACKUP_RETENTION_DAYS expects tools/gcs-lifecycle-7d.json, the default rule', () => {
    const loaded = loadStackConfig({ NVR_BACKUP_PROJECT_ID: 'my-project-123' });
    assert.ok(loaded.ok);
    const file = JSON.parse(readFileSync(fileURLToPath(new URL('../../tools/gcs-lifecycle-7d.json', import.meta.url)), 'utf8'));
    assert.deepEqual(expectedBucket(loaded.config).lifecycle, file);
  });

  it('expects the configured retention policy, locked or not', () => {
    const drift = gcloudAudit('drift', { retentionLockDays: 1, lockRetention: false });
    assert.equal(drift.find((c) => c.what === 'retention policy')?.ok, true);
    assert.equal(gcloudAudit('drift', { retentionLockDays: 1, lockRetention: true }).find((c) => c.what === 'retention policy')?.ok, false);
  });

  it('fails every setting changed by hand, and says what it expected and found', () => {
    const checks = gcloudAudit('drift');
    assert.deepEqual(failed(checks), [
      'lifecycle', 'storage class', 'uniform bucket-level access', 'public access prevention', 'soft delete retention (seconds)',
      'object versioning', 'retention policy', 'the runner\'s roles on the bucket', 'public members on the bucket', 'the runner\'s roles on the project',
    ]);
    const report = renderAudit('b-drift', checks, 'gcloud storage');
    assert.match(report, /FAILED +storage class: expected STANDARD, actual NEARLINE/);
    assert.match(report, /FAILED +the runner's roles on the bucket: expected roles\/storage.objectCreator, actual roles\/storage.objectAdmin/);
    assert.match(report, /public members on the bucket: expected none, actual allUsers \(roles\/storage.objectViewer\)/);
    assert.match(report, /roles\/storage.admin/);
    assert.match(report, /^audit: FAILED/m);
  });

  it('prints the lifecycle as `gsutil lifecycle get` does, expected and actual', () => {
    const report = renderAudit('b-nvr', gcloudAudit('ok'), 'gcloud storage');
    // gsutil's own answer for the same bucket is the reference for the format
    const printedByGsutil = (gsutil.ok['lifecycle get'] as string).trim();
    assert.ok(report.includes(`  expected: ${printedByGsutil}\n  actual:   ${printedByGsutil}\n`), report);
    assert.equal(gsutilStyleJson({ b: [1, { d: 'x', c: true }], a: null }), '{"a": null, "b": [1, {"c": true, "d": "x"}]}');
  });

  it('a missing lifecycle or soft delete policy is not a pass', () => {
    const bare = structuredClone(fixture('gcloud-describe-ok.json')) as Record<string, unknown>;
    delete bare.lifecycle_config;
    delete bare.soft_delete_policy;
    const checks = gcloudAudit('ok', {}, bare);
    assert.equal(checks.find((c) => c.what === 'lifecycle')?.actual, 'none');
    assert.deepEqual(failed(checks), ['lifecycle']);
    assert.equal(checks.find((c) => c.what.startsWith('soft delete'))?.ok, undefined);
    assert.equal(verdictOf(checks), 'FAILED');
  });
});

describe('the audit with gsutil answers (legacy fallback)', () => {
  const gsutilAudit = (kind: 'ok' | 'drift') => auditBucket(expectedBucket(config), {
    facts: factsFromGsutil(gsutil[kind]), bucketBindings: bindingsOf(JSON.parse(gsutil[kind]['iam get'])), projectBindings: undefined,
  });

  it('passes what gsutil can show, and calls the rest not checked (INCOMPLETE, not ok)', () => {
    const checks = gsutilAudit('ok');
    assert.deepEqual(checks.filter((c) => c.ok === undefined).map((c) => c.what), ['soft delete retention (seconds)', 'retention policy', 'the runner\'s roles on the project']);
    assert.deepEqual(failed(checks), []);
    assert.equal(verdictOf(checks), 'INCOMPLETE');
    assert.match(renderAudit('b-nvr', checks, 'gsutil'), /^not checked soft delete/m);
  });

  it('fails the drifted bucket on everything gsutil shows', () => {
    assert.deepEqual(failed(gsutilAudit('drift')), [
      'lifecycle', 'storage class', 'uniform bucket-level access', 'public access prevention', 'object versioning',
      'the runner\'s roles on the bucket', 'public members on the bucket',
    ]);
  });

  it('reads "has no lifecycle configuration" as none', () => {
    assert.equal(factsFromGsutil({ 'lifecycle get': 'gs://b-nvr/ has no lifecycle configuration.\n' }).lifecycle, null);
  });
});

describe('the audit\'s deadline, with the real gcloud', () => {
  it('kills a gcloud that gets no answer and says so, within the deadline', async (t) => {
    const probe = await runCli('gcloud', ['--version'], 30_000);
    if (probe.kind === 'missing') return t.skip('gcloud is not installed');
    // A loopback port that accepts connections and never answers: a silent network.
    const sockets: Socket[] = [];
    const server = createServer((socket) => { sockets.push(socket); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const gcloudConfig = mkdtempSync(join(tmpdir(), 'nvr-audit-gcloud-'));
    try {
      const audit = spawn(process.execPath, [fileURLToPath(new URL('../../tools/audit-lifecycle.mjs', import.meta.url)), 'b-nvr'], {
        env: {
          PATH: process.env.PATH ?? '', NVR_BACKUP_PROJECT_ID: 'my-project-123', NVR_AUDIT_TIMEOUT_SECONDS: '3',
          CLOUDSDK_CONFIG: gcloudConfig, CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
          CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE: `http://127.0.0.1:${port}/storage/v1/`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      audit.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
      const status = await new Promise<number | null>((resolve) => audit.on('close', resolve));
      assert.equal(status, 2, stderr);
      assert.match(stderr, /no answer within 3 s to `gcloud storage buckets describe gs:\/\/b-nvr --format=json`: this machine cannot reach Google's APIs/);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
      rmSync(gcloudConfig, { recursive: true, force: true });
    }
  });

  it('refuses to run without the settings the stack was deployed with', async () => {
    const audit = spawn(process.execPath, [fileURLToPath(new URL('../../tools/audit-lifecycle.mjs', import.meta.url)), 'b-nvr'], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    audit.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    assert.equal(await new Promise<number | null>((resolve) => audit.on('close', resolve)), 2);
    assert.match(stderr, /NVR_BACKUP_PROJECT_ID is required/);
  });
});

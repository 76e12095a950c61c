import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';

export const validEnv = {
  SCRYPTED_HOST: 'https://127.0.0.1:10443',
  SCRYPTED_USER: 'backup',
  SCRYPTED_PASSWORD: 'hunter2-very-secret',
  GCS_PROJECT_ID: 'demo-project',
  GCS_BUCKET_NAME: 'demo-bucket',
};

function problemsOf(env: Record<string, string>): string[] {
  const result = loadConfig(env);
  assert.equal(result.ok, false, 'expected the configuration to be refused');
  return result.ok ? [] : result.problems;
}

describe('loadConfig', () => {
  it('accepts the minimal configuration and fills the documented defaults', () => {
    const result = loadConfig(validEnv);
    assert.ok(result.ok);
    const { config } = result;
    assert.equal(config.scrypted.baseUrl, 'https://127.0.0.1:10443');
    assert.equal(config.scrypted.allowSelfSigned, false);
    assert.equal(config.firestore.databaseId, '(default)');
    assert.equal(config.firestore.documentPath, 'nvr-backup/home');
    assert.equal(config.cameraConcurrency, 2);
    assert.equal(config.lookbackMs, 120 * 60_000);
    assert.equal(config.settleMs, 30_000);
    assert.equal(config.logLevel, 'info');
  });

  it('reports every missing required variable at once, by name', () => {
    const problems = problemsOf({});
    for (const name of ['SCRYPTED_HOST', 'SCRYPTED_USER', 'SCRYPTED_PASSWORD', 'GCS_PROJECT_ID', 'GCS_BUCKET_NAME']) {
      assert.ok(problems.some((p) => p.startsWith(`${name} `)), `${name} missing from ${JSON.stringify(problems)}`);
    }
  });

  const malformed: Array<[string, string, RegExp]> = [
    ['SCRYPTED_HOST', 'ftp://nvr', /SCRYPTED_HOST must use https:\/\/ or http:\/\//],
    ['SCRYPTED_HOST', 'https://user:pw@nvr:10443', /SCRYPTED_HOST must not carry credentials/],
    ['SCRYPTED_HOST', 'http://[bad', /SCRYPTED_HOST is not a URL/],
    ['SCRYPTED_USER', '   ', /SCRYPTED_USER must not be empty/],
    ['ALLOW_SELF_SIGNED', 'maybe', /ALLOW_SELF_SIGNED must be true or false/],
    ['GCS_PROJECT_ID', 'Bad_Project', /GCS_PROJECT_ID is not a valid project id/],
    ['GCS_BUCKET_NAME', 'UPPER', /GCS_BUCKET_NAME is not a valid bucket name/],
    ['GCS_BUCKET_NAME', 'a..b', /GCS_BUCKET_NAME is not a valid bucket name/],
    ['CAMERA_CONCURRENCY', '0', /CAMERA_CONCURRENCY must be a whole number of cameras from 1 to 32, got "0"/],
    ['CAMERA_CONCURRENCY', '2.5', /CAMERA_CONCURRENCY must be a whole number/],
    ['LOOKBACK_MINUTES', 'ten', /LOOKBACK_MINUTES must be a whole number of minutes/],
    ['SETTLE_SECONDS', '-1', /SETTLE_SECONDS must be a whole number of seconds/],
    ['LEASE_SECONDS', '5', /LEASE_SECONDS must be a whole number of seconds from 30/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    ['STATE_DOCUMENT', 'only-a-collection', /STATE_DOCUMENT must be a document path/],
    ['SITE_ID', 'a/b', /SITE_ID must be 1-100 letters/],
    ['SCRYPTED_CA_FILE', '/nonexistent/ca.pem', /SCRYPTED_CA_FILE names a file that does not exist/],
    ['GCS_KEYFILE_PATH', '/nonexistent/key.json', /GCS_KEYFILE_PATH names a file that does not exist: \/nonexistent\/key.json/],
  ];
  for (const [name, value, expected] of malformed) {
    it(`refuses ${name}=${JSON.stringify(value)} with a message naming it`, () => {
      const problems = problemsOf({ ...validEnv, [name]: value });
      assert.ok(problems.some((p) => expected.test(p)), `${expected} not in ${JSON.stringify(problems)}`);
    });
  }

  it('refuses a key file that is not JSON, or JSON that is not a service-account key, without echoing it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nvr-config-'));
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '-----BEGIN PRIVATE KEY----- secret-material');
    const notKey = join(dir, 'other.json');
    writeFileSync(notKey, JSON.stringify({ hello: 'secret-material' }));
    const problemsA = problemsOf({ ...validEnv, GCS_KEYFILE_PATH: notJson });
    assert.ok(problemsA.some((p) => /GCS_KEYFILE_PATH names a file that is not JSON/.test(p)));
    const problemsB = problemsOf({ ...validEnv, GCS_KEYFILE_PATH: notKey });
    assert.ok(problemsB.some((p) => /GCS_KEYFILE_PATH names a JSON file that is not a service-account key/.test(p)));
    assert.ok(![...problemsA, ...problemsB].some((p) => p.includes('secret-material')));
  });

  it('refuses a key path that cannot be read as a file (a directory)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nvr-config-'));
    assert.ok(problemsOf({ ...validEnv, GCS_KEYFILE_PATH: dir }).some((p) => /GCS_KEYFILE_PATH names a file that cannot be read \(EISDIR\)/.test(p)));
  });

  it('never puts the password in a problem, even when other values are wrong', () => {
    const problems = problemsOf({ ...validEnv, SCRYPTED_HOST: 'ftp://x', CAMERA_CONCURRENCY: 'x' });
    assert.ok(!problems.join('\n').includes(validEnv.SCRYPTED_PASSWORD));
  });

  it('parses include/exclude lists and booleans', () => {
    const result = loadConfig({ ...validEnv, CAMERAS_INCLUDE: ' Front Door, 12 ,,', ALLOW_SELF_SIGNED: 'TRUE' });
    assert.ok(result.ok);
    assert.deepEqual(result.config.scrypted.include, ['Front Door', '12']);
    assert.equal(result.config.scrypted.allowSelfSigned, true);
  });
});

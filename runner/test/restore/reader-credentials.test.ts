// The read commands' credentials: never the runner's key (it cannot read, by design); the user's application
// default credentials, or a reader key named by READER_KEYFILE_PATH. Key contents never reach any output.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeFailure } from '../../src/restore/gcs-reader.js';
import { loadReaderConfig } from '../../src/restore/reader-config.js';
import { runCli } from '../support/cli-process.js';

const PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDfakefakefakefake\n-----END PRIVATE KEY-----\n';

describe('reader credentials', () => {
  let dir: string;
  let runnerKey: string;
  let readerKey: string;
  let userCredentials: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reader-credentials-'));
    runnerKey = join(dir, 'runner.json');
    readerKey = join(dir, 'reader.json');
    userCredentials = join(dir, 'adc.json');
    await writeFile(runnerKey, JSON.stringify({ type: 'service_account', client_email: 'nvr-backup-runner@p.iam.gserviceaccount.com', private_key: PRIVATE_KEY, private_key_id: 'runnerkeyid0123456789' }));
    await writeFile(readerKey, JSON.stringify({ type: 'service_account', client_email: 'nvr-reader@p.iam.gserviceaccount.com', private_key: PRIVATE_KEY, private_key_id: 'readerkeyid0123456789' }));
    await writeFile(userCredentials, JSON.stringify({ type: 'authorized_user', client_id: 'client-1.apps.googleusercontent.com', client_secret: 'user-client-secret-value', refresh_token: 'user-refresh-token-value' }));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const base = { GCS_BUCKET_NAME: 'my-clips' };

  it('uses application default credentials when no reader key is named, and never GCS_KEYFILE_PATH', () => {
    const result = loadReaderConfig({ ...base, GCS_KEYFILE_PATH: runnerKey });
    assert.ok(result.ok);
    assert.equal(result.config.keyFilename, undefined);
  });

  it('uses READER_KEYFILE_PATH when it names a reader\'s key or user credentials', () => {
    const key = loadReaderConfig({ ...base, GCS_KEYFILE_PATH: runnerKey, READER_KEYFILE_PATH: readerKey });
    assert.ok(key.ok);
    assert.equal(key.config.keyFilename, readerKey);
    const user = loadReaderConfig({ ...base, READER_KEYFILE_PATH: userCredentials });
    assert.ok(user.ok);
    assert.equal(user.config.keyFilename, userCredentials);
  });

  it('refuses the runner\'s key, named as the reader key or as the application default credentials', () => {
    const named = loadReaderConfig({ ...base, GCS_KEYFILE_PATH: runnerKey, READER_KEYFILE_PATH: runnerKey });
    assert.equal(named.ok, false);
    assert.match(String(!named.ok && named.problems[0]), /^READER_KEYFILE_PATH holds the runner's key \(nvr-backup-runner@p\.iam\.gserviceaccount\.com, the same account as GCS_KEYFILE_PATH\): it can only create objects/);
    const adc = loadReaderConfig({ ...base, GCS_KEYFILE_PATH: runnerKey, GOOGLE_APPLICATION_CREDENTIALS: runnerKey });
    assert.equal(adc.ok, false);
    assert.match(String(!adc.ok && adc.problems[0]), /^GOOGLE_APPLICATION_CREDENTIALS holds the runner's key .*gcloud auth application-default login/);
  });

  it('says what is wrong with a reader key file, a bucket name or an endpoint, all at once', () => {
    const result = loadReaderConfig({ GCS_BUCKET_NAME: 'Bad_Bucket!', GCS_ENDPOINT: 'ftp://x', READER_KEYFILE_PATH: join(dir, 'missing.json') });
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.problems.map((p) => p.split(' ')[0]), ['GCS_BUCKET_NAME', 'GCS_ENDPOINT', 'READER_KEYFILE_PATH']);
  });

  it('`find` with the runner\'s key exits 2 before contacting anything, and prints no key material', async () => {
    const result = await runCli(['find', '--since', '1h'], { ...base, GCS_KEYFILE_PATH: runnerKey, READER_KEYFILE_PATH: runnerKey, GCS_ENDPOINT: 'http://127.0.0.1:9' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /configuration error \(nothing was contacted\):\n {2}- READER_KEYFILE_PATH holds the runner's key/);
    for (const secret of ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDfakefakefakefake', 'runnerkeyid0123456789']) {
      assert.ok(!result.stderr.includes(secret) && !result.stdout.includes(secret));
    }
  });

  it('without any Google credentials, `find` says how to sign in (nothing sent anywhere)', async () => {
    // HOME without gcloud's credentials, no GOOGLE_APPLICATION_CREDENTIALS, no metadata server lookup.
    const result = await runCli(['find', '--since', '1h'], { GCS_BUCKET_NAME: 'my-clips', HOME: dir, METADATA_SERVER_DETECTION: 'none' });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^error: no Google credentials to read gs:\/\/my-clips: run `gcloud auth application-default login`, or set READER_KEYFILE_PATH to a reader key/);
  });

  it('a 401 says how to sign in; a 403 names the role and the bucket', () => {
    assert.match(describeFailure(401, 'my-clips', 'list objects', ''), /gcloud auth application-default login.*READER_KEYFILE_PATH/);
    assert.match(describeFailure(403, 'my-clips', 'list objects', 'x does not have storage.objects.list access'), /needs roles\/storage\.objectViewer on the bucket my-clips \(Google said: x does not have storage\.objects\.list access\)/);
  });
});

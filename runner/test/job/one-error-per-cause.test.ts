// One clear error per cause, through the real CLI against the local stack: a missing bucket or a refused write
// ends the run at the first clip with one message naming the bucket and the setting; SIGTERM mid-upload counts
// the uploads it stopped as abandoned, not failed; Firestore unreachable is named, with its settings, while the
// runner retries.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { logEvents, runCli } from '../support/cli-process.js';
import { startCli } from '../support/cli-child.js';
import { demoCameras, startLocalStack, type LocalStack } from '../support/local-stack.js';


describe('one error per cause (real CLI, local stack)', { timeout: 300_000 }, () => {
  let stack: LocalStack;
  before(async () => {
    stack = await startLocalStack(demoCameras(3, 12));
  });
  after(async () => {
    await stack?.stop();
  });

  it('a bucket that does not exist: the run stops at the first clip, one message names it and GCS_BUCKET_NAME', async () => {
    const result = await runCli(['run'], { ...stack.env, SITE_ID: 'missing-bucket', UPLOAD_CONCURRENCY: '1', GCS_BUCKET_NAME: 'no-such-bucket' });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(logEvents(result.stdout, 'clip.failed').length, 1, result.stdout);
    assert.equal(logEvents(result.stdout, 'clip.start').length, 1, 'no other clip is tried');
    assert.match(result.stderr, /^stopped: the bucket "no-such-bucket" does not exist \(GCS answered 404\): check GCS_BUCKET_NAME/m);
    assert.match(result.stderr, /backup incomplete: .* 1 failed/);
  });

  it('a refused write (403): the run stops at the first clip, naming the bucket and the key', async () => {
    stack.gcs.injectFaults({ status: 403, count: 1000 });
    try {
      const result = await runCli(['run'], { ...stack.env, SITE_ID: 'refused', UPLOAD_CONCURRENCY: '1' });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(logEvents(result.stdout, 'clip.failed').length, 1, result.stdout);
      assert.match(result.stderr, /^stopped: GCS refused to write to the bucket "demo-nvr-clips" \(403\): the key in GCS_KEYFILE_PATH needs roles\/storage.objectCreator/m);
    } finally {
      stack.gcs.clearFaults();
    }
  });

  it('SIGTERM mid-upload: the stopped uploads are abandoned, not failed, and the next run uploads them', async () => {
    stack.gcs.injectFaults({ slowMs: 4000, count: 1000, match: 'upload-data' });
    const env = { ...stack.env, SITE_ID: 'sigterm', UPLOAD_CONCURRENCY: '2' };
    const run = startCli(['run'], env);
    try {
      await run.waitFor(/"event":"clip.start"/);
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 1, run.output());
    } finally {
      stack.gcs.clearFaults();
    }
    const output = run.output();
    assert.match(output, /backup incomplete: .* 0 failed, .*, [12] abandoned \(stopped; the next run uploads them\)/);
    assert.equal(logEvents(output, 'clip.failed').length, 0);
    assert.ok(logEvents(output, 'clip.abandoned').length >= 1);
    const again = await runCli(['run'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /backup complete: 3 camera\(s\), 13 clip\(s\) uploaded/);
  });

  it('Firestore unreachable: a log line names its settings and says the runner is retrying', async () => {
    const run = startCli(['run'], { ...stack.env, SITE_ID: 'no-firestore', FIRESTORE_EMULATOR_HOST: '127.0.0.1:9' });
    try {
      // A refused connection takes the client ~45 s to report: the runner says meanwhile what it waits for.
      const line = await run.waitFor(/"event":"state.waiting"/, 90_000);
      assert.match(line, /Firestore has not answered for 10 s .*still trying. If it stays so: Firestore is unreachable: check GCS_PROJECT_ID, FIRESTORE_DATABASE and this host's network \(and FIRESTORE_EMULATOR_HOST, if set\)/);
    } finally {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  });
});

describe('the state belongs to its bucket (real CLI, local stack)', { timeout: 300_000 }, () => {
  let stack: LocalStack;
  before(async () => {
    stack = await startLocalStack(demoCameras(2, 4));
  });
  after(async () => {
    await stack?.stop();
  });

  it('a changed GCS_BUCKET_NAME is refused (exit 2, nothing written), naming both buckets and the way to start over', async () => {
    const env = { ...stack.env, SITE_ID: 'bound' };
    assert.equal((await runCli(['run'], env)).code, 0);
    const uploads = stack.gcs.requests.upload ?? 0;
    const moved = await runCli(['run'], { ...env, GCS_BUCKET_NAME: 'new-bucket' });
    assert.equal(moved.code, 2, moved.stderr);
    assert.match(moved.stderr, /^GCS_BUCKET_NAME is "new-bucket", but the state document's watermarks are about the bucket "demo-nvr-clips": .*set STATE_DOCUMENT to a new document, e\.g\. nvr-backup\/bound-new-bucket; or set GCS_BUCKET_NAME back to "demo-nvr-clips"$/m);
    assert.equal(stack.gcs.requests.upload ?? 0, uploads, 'nothing uploaded');
    const dry = await runCli(['run', '--dry-run'], { ...env, GCS_BUCKET_NAME: 'new-bucket' });
    assert.equal(dry.code, 2);
  });
});

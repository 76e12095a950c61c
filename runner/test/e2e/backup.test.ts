// End to end: the real CLI against the Scrypted test server (real MP4 clips), the GCS test server and the
// official Firestore emulator, all on loopback.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clipEnd } from '../../src/core/clip-time.js';
import { objectName } from '../../src/core/object-name.js';
import { runCli } from '../support/cli-process.js';
import { fileSha256 } from '../support/stack-state.js';
import { demoCameras, readSiteState, startLocalStack, type LocalStack } from '../support/local-stack.js';
import type { TestCamera } from '../scrypted-server/server.js';

let stack: LocalStack;
let cameras: TestCamera[];
const now = Date.now();

before(async () => {
  cameras = demoCameras(3, 20, now);
  stack = await startLocalStack(cameras);
});
after(async () => {
  await stack?.stop();
});


function expectedObjects(): Map<string, { clipId: string }> {
  const names = new Map<string, { clipId: string }>();
  for (const camera of cameras) {
    for (const clip of camera.clips) {
      names.set(objectName({ id: camera.id, name: camera.name }, { id: clip.id, cameraId: camera.id, startTime: clip.startTime, duration: clip.duration }), { clipId: clip.id });
    }
  }
  return names;
}

const readState = () => readSiteState(stack);

describe('a backup run end to end', { timeout: 540_000 }, () => {
  it('--dry-run lists every clip and writes nothing', async () => {
    const result = await runCli(['run', '--dry-run'], stack.env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /dry run: 21 clip\(s\) would be uploaded/);
    assert.deepEqual(await stack.gcs.listObjects(stack.bucket), []);
    assert.equal(stack.gcs.requests.upload ?? 0, 0);
  });

  it('puts every clip in the bucket, byte-identical, under its documented name', async () => {
    const result = await runCli(['run'], stack.env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /backup complete: 3 camera\(s\), 21 clip\(s\) uploaded/);
    const expected = expectedObjects();
    const listed = await stack.gcs.listObjects(stack.bucket);
    assert.deepEqual([...listed].sort(), [...expected.keys()].sort());
    for (const [name, { clipId }] of expected) {
      const path = stack.gcs.objectPath(stack.bucket, name);
      assert.ok(path, name);
      assert.equal(await fileSha256(path), await stack.scrypted.clipSha256(clipId), name);
    }
    assert.ok(listed.some((name) => name.startsWith('Back_Yard/')), 'camera "Back/Yard .." is sanitized');
    const stored = await stack.gcs.readObject(stack.bucket, [...expected.keys()][0] as string);
    assert.equal(stored?.contentType, 'video/mp4');
    assert.equal(stored?.metadata.cameraId, cameras[0]?.id);
  });

  it('leaves each camera\'s watermark at its last clip\'s end, and the document at their minimum', async () => {
    const state = await readSiteState(stack);
    const ends: number[] = [];
    for (const camera of cameras) {
      const last = Math.max(...camera.clips.map((clip) => clipEnd({ id: clip.id, cameraId: camera.id, startTime: clip.startTime, duration: clip.duration })));
      assert.equal(state.cameras.get(camera.id)?.lastTimestamp, last, camera.name);
      ends.push(last);
    }
    assert.equal(state.lastTimestamp, Math.min(...ends));
    assert.equal(state.lastRun?.uploaded, 21);
    assert.equal(state.lease, undefined);
  });

  it('a second run sends no GCS request and makes one Firestore transaction, with no write', async () => {
    const gcsBefore = Object.values(stack.gcs.requests).reduce((sum, n) => sum + n, 0);
    const result = await runCli(['run'], { ...stack.env, LOG_LEVEL: 'info' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /0 clip\(s\) uploaded \(0 B\), 0 already in bucket, 0 failed/);
    assert.equal(Object.values(stack.gcs.requests).reduce((sum, n) => sum + n, 0), gcsBefore);
    const requests = result.stdout.split('\n').filter((line) => line.includes('"run.requests"')).map((line) => JSON.parse(line) as Record<string, number>);
    assert.equal(requests.length, 1, result.stdout);
    assert.equal(requests[0]?.firestoreTransactions, 1);
    assert.equal(requests[0]?.firestoreWrites, 0);
  });

  it('picks up a clip that was listed late inside the lookback window', async () => {
    const camera = cameras[1] as TestCamera;
    const late = { id: 'late-clip', startTime: now - 80 * 60_000, duration: 15_000, generate: { sizeBytes: 123_456, seed: 4242 } };
    stack.scrypted.addClip(camera.id, late);
    camera.clips.push(late);
    const result = await runCli(['run'], stack.env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /1 clip\(s\) uploaded/);
    const name = objectName({ id: camera.id, name: camera.name }, { ...late, cameraId: camera.id });
    assert.equal(await fileSha256(stack.gcs.objectPath(stack.bucket, name) as string), await stack.scrypted.clipSha256('late-clip'));
  });

  it('status prints the watermark per camera as a table, and as JSON', async () => {
    const table = await runCli(['status'], stack.env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /state document: nvr-backup\/home/);
    assert.match(table.stdout, /camera\s+id\s+lastTimestamp \(UTC\)\s+age\s+recent clips/);
    for (const camera of cameras) assert.ok(table.stdout.includes(camera.name), camera.name);
    const json = await runCli(['status', '--json'], stack.env);
    assert.equal(Object.keys(JSON.parse(json.stdout).cameras).length, 3);
  });

  it('check reports each preflight line ok', async () => {
    const result = await runCli(['check'], stack.env);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /ok\s+scrypted\s+logged in .*; 3 camera\(s\)/);
    assert.match(result.stdout, /ok\s+bucket/);
    assert.match(result.stdout, /ok\s+state/);
  });

  it('never logs the password or the token', async () => {
    const result = await runCli(['run'], { ...stack.env, LOG_LEVEL: 'trace' });
    const all = result.stdout + result.stderr;
    assert.ok(all.length > 0);
    assert.ok(!all.includes(stack.scrypted.password));
    assert.ok(!all.includes(stack.scrypted.longLivedToken()));
  });

  it('check fails clearly, exit 1, when the bucket does not exist or the password is wrong', async () => {
    const result = await runCli(['check'], { ...stack.env, GCS_BUCKET_NAME: 'no-such-bucket', SCRYPTED_PASSWORD: 'wrong-password-9' });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /FAILED\s+scrypted\s+Scrypted login failed/);
    assert.match(result.stdout, /FAILED\s+bucket/);
    assert.ok(!result.stdout.includes('wrong-password-9'));
  });
});

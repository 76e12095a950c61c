// The clip kinds a real Scrypted server gives (docs/scrypted-protocol.md §8, §11), through the real CLI, the real
// GCS sink on the GCS test server and the Firestore emulator: clips with an href, file- and buffer-backed clips
// without one (their local URI comes back as a Buffer, as on server 0.144.2), and clips that are only an ffmpeg
// input. Then a Scrypted restart in the middle of a large clip.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clipEnd } from '../../src/core/clip-time.js';
import { objectName } from '../../src/core/object-name.js';
import { logEvents, runCli } from '../support/cli-process.js';
import { fileSha256 } from '../support/stack-state.js';
import { readSiteState, startLocalStack, type LocalStack } from '../support/local-stack.js';
import type { TestCamera, TestClip } from '../scrypted-server/server.js';

const now = Date.now();
const ago = (minutes: number) => now - minutes * 60_000;
const clip = (id: string, minutes: number, bytePath: TestClip['bytePath'], sizeBytes: number, seed: number): TestClip =>
  ({ id, startTime: ago(minutes), duration: 20_000, bytePath, generate: { sizeBytes, seed } });

// The fixture: 7 clips on three cameras; 5 can be had as a file or a buffer, 2 only as an ffmpeg input.
const cameras: TestCamera[] = [
  { id: '201', name: 'Front Door', clips: [clip('href-1', 50, 'href', 180_000, 1), clip('href-2', 45, 'href', 2_500_000, 2), clip('file-1', 40, 'local-uri', 300_000, 3)] },
  { id: '202', name: 'Garage', clips: [clip('buffer-1', 35, 'buffer', 700_000, 4), clip('buffer-2', 30, 'buffer', 9_500_000, 5)] },
  { id: '203', name: 'Doorbell', clips: [clip('ffmpeg-1', 25, 'ffmpeg-only', 0, 6), clip('ffmpeg-2', 20, 'ffmpeg-only', 0, 7)] },
  { id: '204', name: 'Driveway', clips: [] },
];
const streamable = ['href-1', 'href-2', 'file-1', 'buffer-1', 'buffer-2'];

let stack: LocalStack;
before(async () => {
  stack = await startLocalStack(cameras, 'clip-kinds');
});
after(async () => {
  await stack?.stop();
});

function nameOf(clipId: string): string {
  const camera = cameras.find((candidate) => candidate.clips.some((c) => c.id === clipId)) as TestCamera;
  const found = camera.clips.find((c) => c.id === clipId) as TestClip;
  return objectName({ id: camera.id, name: camera.name }, { id: found.id, cameraId: camera.id, startTime: found.startTime, duration: found.duration });
}

async function storedSha(clipId: string): Promise<string | undefined> {
  const path = stack.gcs.objectPath(stack.bucket, nameOf(clipId));
  return path ? fileSha256(path) : undefined;
}

const readState = () => readSiteState(stack);


describe('clips as a real Scrypted gives them, through the CLI and the GCS sink', { timeout: 300_000 }, () => {
  it('--dry-run lists the 5 clips that can be backed up and counts the 2 ffmpeg-only clips as unsupported, writing nothing', async () => {
    const result = await runCli(['run', '--dry-run'], stack.env);
    assert.match(result.stdout, /dry run: 5 clip\(s\) would be uploaded/, result.stdout + result.stderr);
    assert.match(result.stdout, /dry run: 2 clip\(s\) cannot be backed up/);
    for (const id of streamable) assert.ok(result.stdout.includes(`  ${nameOf(id)}\n`), id);
    for (const id of ['ffmpeg-1', 'ffmpeg-2']) assert.ok(!result.stdout.includes(`  ${nameOf(id)}\n`), `${id} listed as would be uploaded`);
    assert.match(result.stderr, /0 failed, 2 unsupported/);
    assert.deepEqual(await stack.gcs.listObjects(stack.bucket), []);
    assert.equal(stack.scrypted.conversions.size, 0, 'the dry run converted no clip (no copy held on the NVR)');
  });

  it('uploads the 5 byte-exact, counts the 2 ffmpeg-only clips unsupported (not failed), exit 1, and the watermark passes them', async () => {
    const result = await runCli(['run'], stack.env);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /5 clip\(s\) uploaded .*, 0 already in bucket, 0 failed, 2 unsupported/);
    assert.deepEqual((await stack.gcs.listObjects(stack.bucket)).sort(), streamable.map(nameOf).sort());
    for (const id of streamable) assert.equal(await storedSha(id), await stack.scrypted.clipSha256(id), id);
    const unsupported = logEvents(result.stdout, 'clip.unsupported');
    assert.deepEqual(unsupported.map((line) => line.clipId).sort(), ['ffmpeg-1', 'ffmpeg-2']);
    assert.match(String(unsupported[0]?.err), /ffmpeg/);
    assert.deepEqual(logEvents(result.stdout, 'clip.failed'), []);
    // One conversion per clip without an href: each one is a copy of the clip held by the NVR's core for 10 minutes.
    assert.deepEqual(Object.fromEntries(stack.scrypted.conversions), { 'file-1': 1, 'buffer-1': 1, 'buffer-2': 1 });
    const state = await readState();
    for (const camera of cameras.filter((c) => c.clips.length > 0)) {
      const last = Math.max(...camera.clips.map((c) => clipEnd({ id: c.id, cameraId: camera.id, startTime: c.startTime, duration: c.duration })));
      assert.equal(state.cameras.get(camera.id)?.lastTimestamp, last, camera.name);
    }
  });

  it('a second run uploads nothing, meets no unsupported clip again, and exits 0', async () => {
    const uploadsBefore = stack.gcs.requests.upload ?? 0;
    const result = await runCli(['run'], stack.env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /0 clip\(s\) uploaded \(0 B\), 0 already in bucket, 0 failed, 0 unsupported/);
    assert.equal(stack.gcs.requests.upload ?? 0, uploadsBefore);
  });

  it('a Scrypted restart (2 s down, then 1 s of 500s) in the middle of a large clip costs no clip, with GCS_MAX_ATTEMPTS=2', async () => {
    const big = clip('big-1', 15, 'href', 24_000_000, 8);
    const after = clip('buffer-3', 14, 'buffer', 3_000_000, 9);
    const camera = cameras[3] as TestCamera;
    for (const added of [big, after]) {
      camera.clips.push(added);
      stack.scrypted.addClip(camera.id, added);
    }
    stack.scrypted.injectFaults({ restartDuring: { clipId: 'big-1', afterBytes: 6_000_000, downMs: 2000, warmupMs: 1000, warmupStatus: 500 } });
    const result = await runCli(['run'], { ...stack.env, GCS_MAX_ATTEMPTS: '2', UPLOAD_CONCURRENCY: '1' });
    await stack.scrypted.restarted();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /2 clip\(s\) uploaded .*, 0 failed, 0 unsupported/);
    for (const id of ['big-1', 'buffer-3']) assert.equal(await storedSha(id), await stack.scrypted.clipSha256(id), id);
    // The log gives the real reasons: the cut stream, then the refused connections and 500s while it restarts.
    const uploadRetries = logEvents(result.stdout, 'upload.retry');
    assert.equal(uploadRetries.length, 1, result.stdout);
    assert.match(String(uploadRetries[0]?.reason), /clip\/big-1\.mp4 is not a whole MP4 clip: Scrypted closed the connection in the middle of the clip/);
    const fetchRetries = logEvents(result.stdout, 'scrypted.retry').map((line) => String(line.reason));
    assert.ok(fetchRetries.some((reason) => /ECONNREFUSED/.test(reason)), fetchRetries.join('\n'));
    assert.ok(fetchRetries.some((reason) => /HTTP 401/.test(reason)), 'the restarted server forgot the token: one re-login');
    assert.ok(fetchRetries.every((reason) => reason !== 'aborted'));
  });

  it('control: the same restart with SCRYPTED_FETCH_RETRY_SECONDS=0 (only the upload\'s 2 attempts) fails the clip', async () => {
    const big = clip('big-2', 10, 'href', 24_000_000, 10);
    const camera = cameras[3] as TestCamera;
    camera.clips.push(big);
    stack.scrypted.addClip(camera.id, big);
    stack.scrypted.injectFaults({ restartDuring: { clipId: 'big-2', afterBytes: 6_000_000, downMs: 2000, warmupMs: 1000, warmupStatus: 500 } });
    const result = await runCli(['run'], { ...stack.env, GCS_MAX_ATTEMPTS: '2', UPLOAD_CONCURRENCY: '1', SCRYPTED_FETCH_RETRY_SECONDS: '0' });
    await stack.scrypted.restarted();
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /0 clip\(s\) uploaded .*, 1 failed/);
    assert.equal(await storedSha('big-2'), undefined);
  });
});

// Bad-input table for clip answers (issue 18 rows 4, 5, 6): the real CLI against a Scrypted test server that
// answers one clip per camera with something that is not that clip (an HTML page, an empty body, a cut body, a
// length that lies, junk after the MP4, Scrypted's own 412). Each such clip must fail: no object in the bucket,
// counted failed, the camera's watermark left before it, exit 1. The clips around it land. Answers a real
// Scrypted gives (application/octet-stream, no content type, chunked) land. When the server answers properly
// again, the next run lands every clip that failed, byte-identical.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clipEnd } from '../../src/core/clip-time.js';
import { objectName } from '../../src/core/object-name.js';
import { runCli } from '../support/cli-process.js';
import { fileSha256 } from '../support/stack-state.js';
import { readSiteState, startLocalStack, type LocalStack } from '../support/local-stack.js';
import type { ClipAnswer } from '../scrypted-server/hostile.js';
import type { TestCamera, TestClip } from '../scrypted-server/server.js';

const MINUTE = 60_000;
const now = Date.now();

/** Answers that must never land as the clip, and what the run must say about them. */
const refused: Array<{ answer: ClipAnswer; says: RegExp }> = [
  { answer: 'html-page', says: /content type "text\/html; charset=utf-8", not a video/ },
  { answer: 'html-as-mp4', says: /does not start with an MP4 ftyp box/ },
  { answer: 'json-error', says: /content type "application\/json", not a video/ },
  { answer: 'empty', says: /the body is empty, not an MP4/ },
  { answer: 'truncated-no-length', says: /before the end of its last box \(mdat\).*cut short/ },
  { answer: 'declares-shorter', says: /before the end of its last box \(mdat\).*cut short/ },
  { answer: 'declares-longer', says: /closed .*after \d+ of the \d+ bytes its Content-Length declares/ },
  { answer: 'junk-appended', says: /no valid type|inside a box header|cut short|less than its own header|declares \d+ bytes/ },
  { answer: 'status-412', says: /Scrypted answered HTTP 412/ },
];
/** Answers a real Scrypted gives for a clip file: they land. */
const accepted: ClipAnswer[] = ['octet-stream', 'no-content-type', 'chunked'];

const clipOf = (id: string, minutesAgo: number, seed: number, sizeBytes: number): TestClip => ({
  id, startTime: now - minutesAgo * MINUTE, duration: 20_000, generate: { sizeBytes, seed },
});

const cameras: TestCamera[] = [...refused.map((row) => row.answer), ...accepted].map((answer, index) => ({
  id: String(300 + index),
  name: `cam ${answer}`,
  clips: [
    clipOf(`${answer}-a`, 40, index * 10 + 1, 30_000),
    clipOf(`${answer}-b`, 30, index * 10 + 2, 45_000 + index * 1000),
    clipOf(`${answer}-c`, 20, index * 10 + 3, 25_000),
  ],
}));
const answers = new Map<string, ClipAnswer>(cameras.map((camera) => [`${camera.name.slice(4)}-b`, camera.name.slice(4) as ClipAnswer]));

let stack: LocalStack;
before(async () => {
  stack = await startLocalStack(cameras, 'hostile-clips');
});
after(async () => {
  await stack?.stop();
});

const nameOf = (camera: TestCamera, clip: TestClip) =>
  objectName({ id: camera.id, name: camera.name }, { id: clip.id, cameraId: camera.id, startTime: clip.startTime, duration: clip.duration });


async function assertStored(camera: TestCamera, clip: TestClip): Promise<void> {
  const path = stack.gcs.objectPath(stack.bucket, nameOf(camera, clip));
  assert.ok(path, `${clip.id} is not in the bucket`);
  assert.equal(await fileSha256(path), await stack.scrypted.clipSha256(clip.id), `${clip.id} is stored with other bytes`);
}


describe('clip answers that are not the clip, through the real CLI', { timeout: 120_000 }, () => {
  const env = () => ({ ...stack.env, GCS_MAX_ATTEMPTS: '2', SCRYPTED_TIMEOUT_SECONDS: '5', LOOKBACK_MINUTES: '120' });

  it('run 1: every refused answer fails its clip (no object, counted, watermark before it, exit 1); the rest land', async () => {
    stack.scrypted.hostile.set({ clips: answers });
    const result = await runCli(['run'], env(), 90_000);
    const out = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.code, 1, out);
    const uploaded = cameras.length * 3 - refused.length;
    assert.match(result.stderr, new RegExp(`backup incomplete: ${cameras.length} camera\\(s\\), ${uploaded} clip\\(s\\) uploaded .*, 0 already in bucket, ${refused.length} failed`));
    const listed = new Set(await stack.gcs.listObjects(stack.bucket));
    const state = await readSiteState(stack);
    for (const [index, camera] of cameras.entries()) {
      const [a, b, c] = camera.clips as [TestClip, TestClip, TestClip];
      await assertStored(camera, a);
      await assertStored(camera, c);
      const refusedRow = refused[index];
      if (refusedRow) {
        assert.ok(!listed.has(nameOf(camera, b)), `${b.id}: an object was stored for a refused answer`);
        const failure = result.stdout.split('\n').find((line) => line.includes('"clip.failed"') && line.includes(`"${b.id}"`));
        assert.ok(failure, `${b.id}: no clip.failed line`);
        assert.match((JSON.parse(failure) as { err: string }).err, refusedRow.says, b.id);
        const watermark = state.cameras.get(camera.id)?.lastTimestamp ?? 0;
        assert.ok(watermark < clipEnd({ ...b, cameraId: camera.id }), `${camera.name}: the watermark passed the failed clip`);
        assert.ok(watermark >= clipEnd({ ...a, cameraId: camera.id }), `${camera.name}: the watermark did not pass the clip before`);
      } else {
        await assertStored(camera, b);
      }
    }
  });

  it('run 2: Scrypted answers properly again: every clip that failed lands, byte-identical, exit 0', async () => {
    stack.scrypted.hostile.set({});
    const result = await runCli(['run'], env(), 90_000);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stderr, new RegExp(`backup complete: .* ${refused.length} clip\\(s\\) uploaded .*, 0 failed`));
    for (const camera of cameras) for (const clip of camera.clips) await assertStored(camera, clip);
    const state = await readSiteState(stack);
    for (const camera of cameras) {
      const last = camera.clips.at(-1) as TestClip;
      assert.equal(state.cameras.get(camera.id)?.lastTimestamp, clipEnd({ ...last, cameraId: camera.id }), camera.name);
    }
  });
});

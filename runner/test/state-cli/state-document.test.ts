// The state document against hostile ids, tampered documents, wrong clocks, wrong objects and unsupported clips,
// through the real CLI (`run`, `status`) against the Scrypted and GCS test servers and the Firestore emulator.
// One stack for the file; each case uses its own cameras (CAMERAS_INCLUDE), state document (SITE_ID) and
// object prefix, so the cases never see each other's state or objects.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Firestore } from '@google-cloud/firestore';
import { clipEnd } from '../../src/core/clip-time.js';
import { objectName } from '../../src/core/object-name.js';
import type { Clip } from '../../src/core/ports.js';
import { runCli } from '../support/cli-process.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';
import type { TestCamera, TestClip } from '../scrypted-server/server.js';

const MIN = 60_000;
const now = Date.now();
let stack: LocalStack;
let db: Firestore;

const clipAt = (id: string, minutesAgo: number, seed: number, extra: Partial<TestClip> = {}): TestClip => ({
  id, startTime: now - minutesAgo * MIN, duration: 20_000, bytePath: 'href', generate: { sizeBytes: 30_000, seed }, ...extra,
});

/**
 * Clip ids a plain object or Firestore field names get wrong. (A lone surrogate is tested against the store in
 * runner/test/firestore: the Scrypted test server cannot put one in a clip's href.)
 */
const HOSTILE_IDS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', '__x__', 'x'.repeat(5000), 'a.b.c', '`tick`'];
const cameras: TestCamera[] = [
  { id: 'hostile-ids', name: 'Hostile Ids', clips: HOSTILE_IDS.map((id, i) => clipAt(id, 60 - i, i + 1)) },
  { id: '__y__.constructor', name: 'Odd Camera Id', clips: [clipAt('odd-1', 50, 21)] },
  { id: 'clock', name: 'Clock Camera', clips: [clipAt('clock-1', 40, 31), clipAt('clock-2', 30, 32)] },
  { id: 'tamper', name: 'Tamper Camera', clips: [clipAt('tamper-1', 40, 41), clipAt('tamper-2', 30, 42)] },
  { id: 'mismatch', name: 'Mismatch Camera', clips: [clipAt('mm-1', 40, 51), clipAt('mm-2', 30, 52, { generate: { sizeBytes: 200_000, seed: 53 } }), clipAt('mm-3', 20, 54)] },
  { id: 'ffmpeg', name: 'Ffmpeg Camera', clips: [clipAt('ff-1', 40, 61), clipAt('ff-2', 30, 62, { bytePath: 'ffmpeg-only' }), clipAt('ff-3', 20, 63)] },
];
const cameraOf = (id: string) => cameras.find((camera) => camera.id === id) as TestCamera;
const asClip = (camera: TestCamera, clip: TestClip): Clip => ({ id: clip.id, cameraId: camera.id, startTime: clip.startTime, duration: clip.duration });
const lastEnd = (camera: TestCamera) => Math.max(...camera.clips.map((clip) => clipEnd(asClip(camera, clip))));

before(async () => {
  stack = await startLocalStack(cameras, 'state-bucket');
  db = new Firestore({ projectId: 'demo-project', host: stack.firestore.host, ssl: false });
});
after(async () => {
  await db?.terminate();
  await stack?.stop();
});

function env(site: string, cameraIds: string[], extra: Record<string, string> = {}): Record<string, string> {
  return { ...stack.env, SITE_ID: site, OBJECT_PREFIX: site, CAMERAS_INCLUDE: cameraIds.join(','), LOG_LEVEL: 'info', ...extra };
}

const doc = (site: string) => db.doc(`nvr-backup/${site}`);
const events = (stdout: string) =>
  stdout.split('\n').filter(Boolean).flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

async function sha(bytes: Buffer | undefined): Promise<string> {
  return createHash('sha256').update(bytes ?? Buffer.alloc(0)).digest('hex');
}

/** Every clip of the camera is in the bucket under its name (or `name` overrides), byte-identical. */
async function assertAllStored(site: string, camera: TestCamera, names = new Map<string, string>()): Promise<void> {
  for (const clip of camera.clips) {
    const name = names.get(clip.id) ?? objectName(camera, asClip(camera, clip), site);
    const stored = await stack.gcs.readObject(stack.bucket, name);
    assert.ok(stored, `missing: ${name}`);
    assert.equal(await sha(stored.bytes), await stack.scrypted.clipSha256(clip.id), name);
  }
}

async function cameraState(site: string, cameraId: string): Promise<Record<string, unknown> | undefined> {
  const data = (await doc(site).get()).data() ?? {};
  const entries = Object.values((data.cameras ?? {}) as Record<string, Record<string, unknown>>);
  return entries.find((entry) => entry.id === cameraId);
}

describe('state document through the CLI', { timeout: 300_000 }, () => {
  it('row 3 and 7: clip ids such as __proto__, constructor, __x__, or 5,000 characters are uploaded and recorded; a second run uploads nothing', async () => {
    const site = 'hostile-ids';
    const ids = ['hostile-ids', '__y__.constructor'];
    const first = await runCli(['run'], env(site, ids));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /backup complete: 2 camera\(s\), 9 clip\(s\) uploaded/);
    await assertAllStored(site, cameraOf('hostile-ids'));
    await assertAllStored(site, cameraOf('__y__.constructor'));
    const stored = await cameraState(site, 'hostile-ids');
    assert.equal(stored?.lastTimestamp, lastEnd(cameraOf('hostile-ids')));
    const data = (await doc(site).get()).data() ?? {};
    assert.equal(data.schema, 2);
    for (const key of Object.keys(data.cameras as object)) assert.match(key, /^c[0-9a-f]{24}$/, 'camera field names are hashes');
    const second = await runCli(['run'], env(site, ids));
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /0 clip\(s\) uploaded/);
    const status = await runCli(['status'], env(site, ids));
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /Odd Camera Id\s+__y__\.constructor/);
  });

  it('row 1: a clock two days ahead on the first run stores no watermark in the future, says so, exit 1; the next run with the right clock backs up everything', async () => {
    const site = 'clock-ahead';
    const ahead = await runCli(['run'], env(site, ['clock'], { NVR_BACKUP_TEST_CLOCK_OFFSET_MS: String(2 * 24 * 60 * MIN) }));
    assert.equal(ahead.code, 1, ahead.stderr);
    assert.match(ahead.stderr, /clock is \d+ min ahead of Firestore's.*set the clock right \(NTP\)/);
    assert.ok(events(ahead.stdout).some((line) => line.event === 'clock.skewed'));
    const stored = await cameraState(site, 'clock');
    assert.ok(stored === undefined || (stored.lastTimestamp as number) <= Date.now(), 'no watermark in the future');
    const right = await runCli(['run'], env(site, ['clock']));
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stderr, /2 clip\(s\) uploaded/);
    assert.equal((await cameraState(site, 'clock'))?.lastTimestamp, lastEnd(cameraOf('clock')));
  });

  it('rows 1, 2, 17: a tampered document (watermark and lease in 2030, 1e300, a malformed watermark, a removed camera, a field the runner does not own) is reported, repaired and kept', async () => {
    const camera = cameraOf('tamper');
    const year2030 = Date.UTC(2030, 0, 1);
    const cases = [
      { site: 'tamper-future', watermark: year2030, lease: { owner: 'ghost:1', expiresAt: year2030 } },
      { site: 'tamper-1e300', watermark: 1e300, lease: { owner: 'ghost:2', expiresAt: 1e300 } },
      { site: 'tamper-malformed', watermark: 'yesterday', lease: { owner: 'ghost:3', expiresAt: 'soon' } },
    ];
    for (const { site, watermark, lease } of cases) {
      await doc(site).set({
        lastTimestamp: 1e300,
        cameras: {
          tamper: { name: 'Tamper Camera', lastTimestamp: watermark, recentClips: {} },
          gone: { name: 'Removed Camera', lastTimestamp: now - 60 * 24 * 60 * MIN, listedAt: now - 30 * 24 * 60 * MIN, recentClips: {} },
        },
        lease,
        note: 'kept by hand',
        other: { tool: 'not ours' },
      });
      const status = await runCli(['status'], env(site, ['tamper']));
      assert.equal(status.code, 0, `${site}: status must not crash\n${status.stderr}`);
      assert.doesNotMatch(status.stderr, /Invalid time value/);
      assert.match(status.stdout, /not honoured|not a time|in the future/, site);
      const run = await runCli(['run'], env(site, ['tamper']));
      assert.equal(run.code, 0, `${site}\n${run.stderr}`);
      assert.doesNotMatch(run.stderr, /Invalid time value|holds the lease/);
      assert.match(run.stderr, /2 clip\(s\) uploaded/, site);
      const repaired = events(run.stdout).filter((line) => line.event === 'state.repaired').map((line) => String(line.what));
      assert.ok(repaired.some((what) => /watermark .*(in the future|not a time)/.test(what)), `${site}: ${repaired.join(' | ')}`);
      await assertAllStored(site, camera);
      const data = (await doc(site).get()).data() ?? {};
      assert.equal(data.note, 'kept by hand', 'a field the runner does not own is kept');
      assert.deepEqual(data.other, { tool: 'not ours' });
      assert.equal((await cameraState(site, 'tamper'))?.lastTimestamp, lastEnd(camera));
      assert.equal(data.lastTimestamp, lastEnd(camera), 'the removed camera no longer holds the site watermark back');
      const after = await runCli(['status'], env(site, ['tamper']));
      assert.equal(after.code, 0, after.stderr);
      assert.match(after.stdout, /state repairs:/);
    }
  });

  it('rows 7, 8: a document in the old format (ids as keys) is read, its recorded clips are not uploaded again, and it is rewritten as format 2', async () => {
    const site = 'old-format';
    const camera = cameraOf('tamper');
    const [first] = camera.clips as [TestClip];
    const firstEnd = clipEnd(asClip(camera, first));
    await doc(site).set({ lastTimestamp: firstEnd, cameras: { tamper: { name: 'Tamper Camera', lastTimestamp: firstEnd - 30 * MIN, recentClips: { [first.id]: firstEnd } } }, lease: null, lastRun: null });
    const run = await runCli(['run'], env(site, ['tamper']));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /1 clip\(s\) uploaded/, 'only the clip the old document does not record');
    const data = (await doc(site).get()).data() ?? {};
    assert.equal(data.schema, 2);
    assert.equal((data.cameras as Record<string, unknown>).tamper, undefined, 'the old key is gone');
    assert.equal((await cameraState(site, 'tamper'))?.lastTimestamp, lastEnd(camera));
  });

  it('issue 15: an object stored with wrong bytes is recorded, holds the watermark, and the clip is copied under a new name by the next run', async () => {
    const site = 'mismatch';
    const camera = cameraOf('mismatch');
    const bad = camera.clips[0] as TestClip;
    const badName = objectName(camera, asClip(camera, bad), site);
    const sessions = { GCS_RESUMABLE_THRESHOLD_MB: '0' };
    // One upload at a time, so the first upload (the camera's first clip) is the one whose byte is flipped.
    stack.gcs.injectFaults({ flipByteAt: 20_000, count: 1, match: 'upload-data' });
    const first = await runCli(['run'], env(site, ['mismatch'], { ...sessions, UPLOAD_CONCURRENCY: '1' }));
    stack.gcs.clearFaults();
    assert.equal(first.code, 1, first.stderr);
    const wrong = await stack.gcs.readObject(stack.bucket, badName);
    assert.ok(wrong && (await sha(wrong.bytes)) !== (await stack.scrypted.clipSha256(bad.id)), 'the scenario is real: the wrong object is there');
    assert.ok(events(first.stdout).some((line) => line.event === 'clip.mismatch' && line.object === badName));
    const held = await cameraState(site, 'mismatch');
    assert.ok((held?.lastTimestamp as number) < clipEnd(asClip(camera, bad)), 'the watermark stops before the clip');
    let status = await runCli(['status'], env(site, ['mismatch']));
    assert.match(status.stdout, new RegExp(`clip mm-1: wrong bytes in ${badName.replace(/[.]/g, '\\.')}.*no right copy yet`));

    const second = await runCli(['run'], env(site, ['mismatch'], sessions));
    assert.equal(second.code, 0, second.stderr);
    const copy = badName.replace(/\.mp4$/, '_r1.mp4');
    await assertAllStored(site, camera, new Map([[bad.id, copy]]));
    assert.equal((await cameraState(site, 'mismatch'))?.lastTimestamp, lastEnd(camera), 'the watermark passes the clip once its right copy landed');
    status = await runCli(['status'], env(site, ['mismatch']));
    assert.match(status.stdout, new RegExp(`wrong bytes in ${badName.replace(/[.]/g, '\\.')}.*right copy: ${copy.replace(/[.]/g, '\\.')}`));
    const third = await runCli(['run'], env(site, ['mismatch'], sessions));
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stderr, /0 clip\(s\) uploaded/);
  });

  it('issue 13: an unsupported (ffmpeg-only) clip is counted, recorded and shown; the next run does not retry it and exits 0', async () => {
    const site = 'unsupported';
    const camera = cameraOf('ffmpeg');
    const first = await runCli(['run'], env(site, ['ffmpeg']));
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stderr, /2 clip\(s\) uploaded.*1 unsupported/);
    assert.equal((await cameraState(site, 'ffmpeg'))?.lastTimestamp, lastEnd(camera), 'an unsupported clip does not block the watermark');
    const status = await runCli(['status'], env(site, ['ffmpeg']));
    assert.match(status.stdout, /Ffmpeg Camera \(ffmpeg\): 1 clip\(s\) cannot be backed up \(not retried\); last: ff-2/);
    const second = await runCli(['run'], env(site, ['ffmpeg']));
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /0 clip\(s\) uploaded.*0 unsupported/);
  });
});

// Names, sites and odd clips through the real CLI against the loopback peers (Scrypted test server, GCS test
// server, Firestore emulator), one stack for the file; each scenario picks its cameras with CAMERAS_INCLUDE and
// has its own state document (SITE_ID).
//  - issue 18 row 14: two sites back up into one bucket without distinct OBJECT_PREFIXes: both sites' clips land,
//    none is counted as already there.
//  - row 16: camera names with ESC, C1 and bidi characters reach no terminal raw (run, status, check), and the
//    JSON log lines still carry the name.
//  - row 18: a Devanagari name keeps its vowel signs in the folder; look-alike names get a warning naming both.
//  - row 12: with LOOKBACK_MINUTES=5 a clip listed without a duration is still backed up after a later clip lands.
//  - row 13: a 10-year clip and a clip with a blank id are counted, reported (log event and summary) and the run
//    exits 1.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { objectName } from '../../src/core/object-name.js';
import { logEvents, runCli, type CliResult } from '../support/cli-process.js';
import { readSiteState, startLocalStack, type LocalStack } from '../support/local-stack.js';
import type { TestCamera, TestClip } from '../scrypted-server/server.js';

const MINUTE = 60_000;
const YEAR = 365 * 24 * 60 * MINUTE;
const now = Date.now();

const ESCAPED_NAME = 'Gate\u001b[2J\u001b[31mRED\u0007\u009b31m\u202eevil\r\nx';
let seed = 1;
const finished = (id: string, minutesAgo: number): TestClip => ({
  id,
  startTime: now - minutesAgo * MINUTE,
  duration: 20_000,
  generate: { sizeBytes: 20_000, seed: seed++ },
});

const openClip: TestClip = {
  id: 'porch-open',
  startTime: now - 20 * MINUTE,
  // Listed without a duration (VideoClip.duration is optional): the clip is still being recorded.
  duration: undefined as unknown as number,
  generate: { sizeBytes: 30_000, seed: 900 },
};

const cameras: TestCamera[] = [
  { id: '301', name: 'Front Door', clips: [finished('fd-1', 30), finished('fd-2', 25)] },
  { id: '302', name: 'Front/Door', clips: [finished('fd2-1', 28)] },
  { id: '303', name: 'कैमरा', clips: [finished('hi-1', 27)] },
  { id: '304', name: ESCAPED_NAME, clips: [finished('esc-1', 26)] },
  { id: '305', name: 'Porch', clips: [openClip, finished('porch-later', 15)] },
  {
    id: '306',
    name: 'Odd',
    listingIgnoresWindow: true,
    clips: [
      // A day ahead of now: a provider with a wrong clock, or one that ignores the window it was asked for.
      { ...finished('odd-future', -24 * 60) },
      { ...finished('odd-forever', 60), duration: 10 * YEAR },
      { ...finished('odd-ok', 20) },
      { ...finished('   ', 18) },
    ],
  },
];
const SITE_CAMERAS = '301,302,303,304';

let stack: LocalStack;
/** A peer whose every answer is an error text full of escape codes, standing in for a buggy or hostile server. */
let hostile: Server;
let hostileUrl = '';

before(async () => {
  stack = await startLocalStack(cameras, 'names-and-clips');
  hostile = createServer((_request, response) => {
    response.writeHead(403, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { code: 403, message: 'denied \u001b]0;pwned\u0007\u001b[2J\u009b1m\u202eboom' } }));
  });
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => hostile?.close(() => resolve()));
  await stack?.stop();
});

const RAW_TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function assertNoRawControls(result: CliResult, what: string): void {
  assert.doesNotMatch(result.stdout, RAW_TERMINAL_CONTROL, `${what}: raw control character on stdout`);
  assert.doesNotMatch(result.stderr, RAW_TERMINAL_CONTROL, `${what}: raw control character on stderr`);
  // stdout is log lines (JSON) and, for status and check, text lines: no CR anywhere.
  assert.ok(!result.stdout.includes('\r') && !result.stderr.includes('\r'), `${what}: raw CR`);
}

const env = (changes: Record<string, string>) => ({ ...stack.env, ...changes });

describe('two sites in one bucket, camera names on the terminal', { timeout: 300_000 }, () => {
  let homeObjects: string[] = [];

  it('site home: every clip lands; a look-alike name is warned about; the Devanagari folder keeps its marks; no raw escape on the terminal', async () => {
    const result = await runCli(['run'], env({ SITE_ID: 'home', CAMERAS_INCLUDE: SITE_CAMERAS }));
    assert.equal(result.code, 0, result.stderr);
    assertNoRawControls(result, 'run');
    assert.match(result.stderr, /backup complete: 4 camera\(s\), 5 clip\(s\) uploaded .*, 0 already in bucket, 0 failed, 0 unsupported, 0 invalid/);
    const events = logEvents(result.stdout);
    // JSON stays JSON and carries the real name.
    assert.ok(events.some((event) => event.camera === ESCAPED_NAME), 'the log lines lost the camera name');
    const shared = events.filter((event) => event.event === 'camera.shared_folder');
    assert.equal(shared.length, 1, 'one warning for Front Door and Front/Door');
    assert.match(String(shared[0]?.msg), /"Front Door" \(id 301\), "Front\/Door" \(id 302\) share the folder Front_Door\//);
    homeObjects = await stack.gcs.listObjects(stack.bucket);
    assert.equal(homeObjects.length, 5);
    assert.ok(homeObjects.some((name) => name.startsWith('कैमरा/')), homeObjects.join('\n'));
    assert.equal(homeObjects.filter((name) => name.startsWith('Front_Door/')).length, 3);
  });

  it('site cabin, same bucket, same camera and clip ids, no OBJECT_PREFIX: its clips land too, none counted as already there', async () => {
    const result = await runCli(['run'], env({ SITE_ID: 'cabin', CAMERAS_INCLUDE: SITE_CAMERAS }));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /backup complete: 4 camera\(s\), 5 clip\(s\) uploaded .*, 0 already in bucket,/);
    const all = await stack.gcs.listObjects(stack.bucket);
    assert.equal(all.length, 10, all.join('\n'));
    const cabin = all.filter((name) => !homeObjects.includes(name));
    assert.equal(cabin.length, 5);
    // Same layout: the folder and time part are the same, the tag differs.
    assert.deepEqual(cabin.map((name) => name.slice(0, -13)).sort(), homeObjects.map((name) => name.slice(0, -13)).sort());
    const stored = await stack.gcs.readObject(stack.bucket, cabin[0] as string);
    assert.equal(stored?.metadata.site, 'cabin');
  });

  it('status shows the camera names escaped (table) and as JSON (--json)', async () => {
    const table = await runCli(['status'], env({ SITE_ID: 'cabin' }));
    assert.equal(table.code, 0, table.stderr);
    assertNoRawControls(table, 'status');
    assert.ok(table.stdout.includes('Gate\\u001b[2J\\u001b[31mRED\\u0007\\u009b31m\\u202eevil\\u000d\\u000ax'), table.stdout);
    const json = await runCli(['status', '--json'], env({ SITE_ID: 'cabin' }));
    assert.equal(json.code, 0, json.stderr);
    assertNoRawControls(json, 'status --json');
    const parsed = JSON.parse(json.stdout) as { cameras: Record<string, { name: string }> | Array<{ name: string }> };
    assert.ok(JSON.stringify(parsed).includes(JSON.stringify(ESCAPED_NAME).slice(1, -1)), 'status --json lost the camera name');
  });

  it('check shows a server error text with escape codes escaped', async () => {
    const result = await runCli(['check'], env({ SITE_ID: 'cabin', GCS_ENDPOINT: hostileUrl, GCS_MAX_ATTEMPTS: '1' }));
    assert.equal(result.code, 1);
    assertNoRawControls(result, 'check');
    assert.match(result.stdout, /^FAILED {2}bucket {4}.*\\u001b/m);
    assert.match(result.stdout, /^ok {6}scrypted/m);
  });
});

describe('clips without a duration and unusable clips, LOOKBACK_MINUTES=5', { timeout: 300_000 }, () => {
  const clipsEnv = () => env({ SITE_ID: 'clips', LOOKBACK_MINUTES: '5', SETTLE_SECONDS: '60' });

  it('a clip starting a day ahead, a 10-year clip and a blank id are counted as invalid, reported, and the run exits 1, every run', async () => {
    for (const run of [1, 2]) {
      const result = await runCli(['run'], { ...clipsEnv(), CAMERAS_INCLUDE: 'Odd' });
      assert.equal(result.code, 1, `run ${run}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`^backup incomplete: 1 camera\\(s\\), ${run === 1 ? 1 : 0} clip\\(s\\) uploaded .* 3 invalid, 0 still recording`, 'm'));
      const invalid = logEvents(result.stdout).filter((event) => event.event === 'clip.invalid');
      assert.deepEqual(invalid.map((event) => event.clipId).sort(), ['   ', 'odd-forever', 'odd-future'], `run ${run}`);
      assert.match(String(invalid.find((event) => event.clipId === 'odd-forever')?.reason), /^implausible duration \(87600 h, more than CLIP_MAX_HOURS=24 h\)$/);
      assert.match(String(invalid.find((event) => event.clipId === 'odd-future')?.reason), /^starts in the future \(startTime \d+, 24(\.\d+)? h after now: is a clock wrong\?\)$/);
    }
    // Nothing of the future clip is in the bucket, and the camera's watermark stays behind now.
    const odd = cameras.find((camera) => camera.id === '306') as TestCamera;
    const stored = new Set(await stack.gcs.listObjects(stack.bucket));
    for (const clip of odd.clips) {
      const name = objectName({ id: odd.id, name: odd.name }, { id: clip.id, cameraId: odd.id, startTime: clip.startTime, duration: clip.duration }, '', 'clips');
      assert.equal(stored.has(name), clip.id === 'odd-ok', `${JSON.stringify(clip.id)} in the bucket`);
    }
    const watermark = (await readSiteState(stack, 'clips')).cameras.get('306')?.lastTimestamp ?? 0;
    assert.ok(watermark > 0 && watermark <= Date.now(), `the watermark ${watermark} stays behind now`);
  });

  it('a clip listed without a duration holds the watermark: after a later clip lands it is still found and backed up', async () => {
    const first = await runCli(['run'], { ...clipsEnv(), CAMERAS_INCLUDE: 'Porch' });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /1 clip\(s\) uploaded .* 1 still recording/);
    // The recording ends: Scrypted now lists the clip with its duration.
    openClip.duration = 2 * MINUTE;
    const second = await runCli(['run'], { ...clipsEnv(), CAMERAS_INCLUDE: 'Porch' });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /backup complete: 1 camera\(s\), 1 clip\(s\) uploaded .* 0 still recording/);
    const uploaded = logEvents(second.stdout).filter((event) => event.event === 'clip.uploaded').map((event) => event.clipId);
    assert.deepEqual(uploaded, ['porch-open']);
  });
});

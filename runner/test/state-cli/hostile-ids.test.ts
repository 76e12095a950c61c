// Hostile ids and the old document format through the real CLI: clip ids that name prototype members or that
// Firestore cannot hold as field names, a camera id with dots and underscores, and a document written by an
// earlier version (ids as keys), which must be read, honoured and rewritten.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clipEnd } from '../../src/core/clip-time.js';
import { runCli } from '../support/cli-process.js';
import type { TestClip } from '../scrypted-server/server.js';
import { MIN, asClip, clipAt, lastEnd, stateCliFixture } from './fixture.js';

/**
 * Clip ids a plain object or Firestore field names get wrong. (A lone surrogate is tested against the store in
 * runner/test/firestore: the Scrypted test server cannot put one in a clip's href.)
 */
const HOSTILE_IDS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', '__x__', 'x'.repeat(5000), 'a.b.c', '`tick`'];
const f = stateCliFixture([
  { id: 'hostile-ids', name: 'Hostile Ids', clips: HOSTILE_IDS.map((id, i) => clipAt(id, 60 - i, i + 1)) },
  { id: '__y__.constructor', name: 'Odd Camera Id', clips: [clipAt('odd-1', 50, 21)] },
  { id: 'old', name: 'Old Format Camera', clips: [clipAt('old-1', 40, 41), clipAt('old-2', 30, 42)] },
]);

describe('hostile ids and the old format through the CLI', { timeout: 300_000 }, () => {
  it('row 3 and 7: clip ids such as __proto__, constructor, __x__, or 5,000 characters are uploaded and recorded; a second run uploads nothing', async () => {
    const site = 'hostile-ids';
    const ids = ['hostile-ids', '__y__.constructor'];
    const first = await runCli(['run'], f.env(site, ids));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /backup complete: 2 camera\(s\), 9 clip\(s\) uploaded/);
    await f.assertAllStored(site, f.camera('hostile-ids'));
    await f.assertAllStored(site, f.camera('__y__.constructor'));
    const stored = await f.cameraState(site, 'hostile-ids');
    assert.equal(stored?.lastTimestamp, lastEnd(f.camera('hostile-ids')));
    const data = (await f.doc(site).get()).data() ?? {};
    assert.equal(data.schema, 2);
    for (const key of Object.keys(data.cameras as object)) assert.match(key, /^c[0-9a-f]{24}$/, 'camera field names are hashes');
    const second = await runCli(['run'], f.env(site, ids));
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /0 clip\(s\) uploaded/);
    const status = await runCli(['status'], f.env(site, ids));
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /Odd Camera Id\s+__y__\.constructor/);
  });

  it('rows 7, 8: a document in the old format (ids as keys) is read, its recorded clips are not uploaded again, and it is rewritten as format 2', async () => {
    const site = 'old-format';
    const camera = f.camera('old');
    const [first] = camera.clips as [TestClip];
    const firstEnd = clipEnd(asClip(camera, first));
    await f.doc(site).set({ lastTimestamp: firstEnd, cameras: { old: { name: 'Old Format Camera', lastTimestamp: firstEnd - 30 * MIN, recentClips: { [first.id]: firstEnd } } }, lease: null, lastRun: null });
    const run = await runCli(['run'], f.env(site, ['old']));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /1 clip\(s\) uploaded/, 'only the clip the old document does not record');
    const data = (await f.doc(site).get()).data() ?? {};
    assert.equal(data.schema, 2);
    assert.equal((data.cameras as Record<string, unknown>).old, undefined, 'the old key is gone');
    assert.equal((await f.cameraState(site, 'old'))?.lastTimestamp, lastEnd(camera));
  });
});

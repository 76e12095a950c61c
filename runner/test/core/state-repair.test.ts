// The checks on a stored state that no clock or edit may defeat (pure): future and malformed watermarks, leases
// beyond the TTL, the document codec's reading of format 1 and of hostile values, and the document's bounds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyName } from '../../src/core/clip-issues.js';
import { boundedText, clipKey, isoOrRaw, MAX_RECENT_CLIPS_PER_CAMERA } from '../../src/core/state-limits.js';
import { repairFutureWatermarks, untrustworthyLease } from '../../src/core/state-repair.js';
import { emptyCamera, mergeCameraAdvance } from '../../src/core/watermark.js';
import { decodeSiteState, encodeSiteState, fitToBudget, storageSize } from '../../src/firestore/document-codec.js';

const NOW = Date.UTC(2026, 10, 30, 12);
const DAY = 24 * 3_600_000;

describe('future watermarks and leases', () => {
  it('resets a watermark far in the future to now - backfill and says so; leaves a sane one alone', () => {
    const cameras = new Map([['a', emptyCamera('A', NOW + 2 * DAY)], ['b', emptyCamera('B', NOW - DAY)]]);
    const { state, repairs } = repairFutureWatermarks({ lastTimestamp: 1e300, cameras, lease: undefined, lastRun: undefined, repairs: [] }, { now: NOW, backfillMs: 7 * DAY });
    assert.equal(state.cameras.get('a')?.lastTimestamp, NOW - 7 * DAY);
    assert.equal(state.cameras.get('b')?.lastTimestamp, NOW - DAY);
    assert.equal(state.lastTimestamp, NOW - 7 * DAY);
    assert.equal(repairs.length, 2);
    assert.match(repairs[0]?.what ?? '', /camera A: watermark 2026-12-02T12:00:00.000Z was in the future/);
    assert.match(repairs[1]?.what ?? '', /1e\+300 \(not a date\)/);
  });

  it('a lease beyond now + TTL is not a lease; one within it is', () => {
    assert.equal(untrustworthyLease({ owner: 'x', expiresAt: NOW + 60_000 }, NOW, 600_000), undefined);
    assert.match(untrustworthyLease({ owner: 'x', expiresAt: Date.UTC(2030, 0, 1) }, NOW, 600_000) ?? '', /later than now \+ LEASE_SECONDS/);
    assert.match(untrustworthyLease({ owner: 'x', expiresAt: 1e300 }, NOW, 600_000) ?? '', /not a date/);
  });

  it('isoOrRaw never throws', () => {
    for (const value of [1e300, -1e300, Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1]) assert.doesNotThrow(() => isoOrRaw(value));
  });
});

describe('document codec', () => {
  it('reads format 1 (ids as keys), a malformed watermark with a repair, and never a prototype member', () => {
    const { state, repairs } = decodeSiteState(
      {
        lastTimestamp: 500,
        cameras: { constructor: { name: 'C', lastTimestamp: 'yesterday', recentClips: { toString: 400, __x: 'bad' } } },
        lease: { owner: 'o', expiresAt: 'soon' },
      },
      { initialWatermark: 0, now: NOW },
    );
    const camera = state.cameras.get('constructor');
    assert.equal(camera?.lastTimestamp, 500, "a malformed watermark reads as the site's");
    assert.deepEqual([...(camera?.recentClips ?? [])], [[clipKey('toString'), 400]]);
    assert.equal(state.cameras.get('toString'), undefined);
    assert.equal(state.lease, undefined);
    assert.deepEqual(repairs.map((repair) => /not a time|no usable expiry/.test(repair.what)), [true, true]);
  });

  it('format 2 round-trips, with hashed keys only', () => {
    const camera = mergeCameraAdvance(undefined, { cameraId: 'x', name: 'X', lastTimestamp: 10, landed: new Map([['__proto__', 10], ['a.b', 9]]), forgetBefore: 0 });
    const site = { lastTimestamp: 10, cameras: new Map([['lone\uD800', camera]]), lease: undefined, lastRun: undefined, repairs: [] };
    const encoded = encodeSiteState(site);
    for (const key of Object.keys(encoded.cameras as object)) assert.match(key, /^c[0-9a-f]{24}$/);
    const decoded = decodeSiteState(JSON.parse(JSON.stringify(encoded)) as Record<string, unknown>, { initialWatermark: 0, now: NOW }).state;
    assert.deepEqual([...decoded.cameras.keys()], ['lone\uD800']);
    assert.deepEqual(decoded.cameras.get('lone\uD800')?.recentClips, camera.recentClips);
  });

  it('keeps a camera to MAX_RECENT_CLIPS_PER_CAMERA records (the oldest) and the document to its budget', () => {
    const landed = new Map(Array.from({ length: 3000 }, (_, i) => [`clip-${i}`, i] as [string, number]));
    const camera = mergeCameraAdvance(undefined, { cameraId: 'x', name: 'X', lastTimestamp: 0, landed, forgetBefore: 0 });
    assert.equal(camera.recentClips.size, MAX_RECENT_CLIPS_PER_CAMERA);
    assert.equal(Math.max(...camera.recentClips.values()), MAX_RECENT_CLIPS_PER_CAMERA - 1);
    const cameras = new Map(Array.from({ length: 40 }, (_, i) => [`cam-${i}`, camera] as [string, typeof camera]));
    const fitted = fitToBudget({ lastTimestamp: 0, cameras, lease: undefined, lastRun: undefined, repairs: [] }, 500_000);
    assert.ok(storageSize(encodeSiteState(fitted)) <= 500_000);
    assert.equal(fitted.cameras.size, 40);
  });

  it('copy names and bounded text', () => {
    assert.equal(copyName('p/Cam/2026/11/30/12-00-00_ab12cd34.mp4', 1), 'p/Cam/2026/11/30/12-00-00_ab12cd34_r1.mp4');
    assert.equal(copyName('p/v.1/clip', 2), 'p/v.1/clip_r2');
    assert.equal(boundedText('a\uD800b'), 'a\uFFFDb');
    assert.equal(boundedText('😀'.repeat(300)).length <= 200, true);
    assert.doesNotMatch(boundedText(`${'x'.repeat(198)}😀😀`), /[\uD800-\uDBFF]…$/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CameraState, Clip } from '../../src/core/ports.js';
import { clipKey } from '../../src/core/state-limits.js';
import { advanceOverLanded, emptyCamera, markListed, mergeCameraAdvance, siteWatermark, type ClipOutcome } from '../../src/core/watermark.js';

/** recentClips as the state keeps it: keyed by clipKey(id). */
const recent = (byId: Record<string, number>) => new Map(Object.entries(byId).map(([id, end]) => [clipKey(id), end]));

const clip = (id: string, startTime: number, duration: number): Clip => ({ id, cameraId: 'cam', startTime, duration });
const planned = [clip('a', 100, 10), clip('b', 200, 10), clip('c', 300, 10)];
const outcomes = (entries: Array<[string, ClipOutcome]>) => new Map(entries);

describe('advanceOverLanded', () => {
  it('advances to the end of the last clip of a contiguous landed run', () => {
    assert.equal(advanceOverLanded(50, planned, outcomes([['a', 'landed'], ['b', 'landed']])), 210);
    assert.equal(advanceOverLanded(50, planned, outcomes([['a', 'landed'], ['b', 'landed'], ['c', 'landed']])), 310);
  });

  it('stops at a failed clip even when later clips landed', () => {
    assert.equal(advanceOverLanded(50, planned, outcomes([['a', 'landed'], ['b', 'failed'], ['c', 'landed']])), 110);
    assert.equal(advanceOverLanded(50, planned, outcomes([['a', 'failed'], ['b', 'landed']])), 50);
  });

  it('stops at a clip with no outcome yet and never goes below the current watermark', () => {
    assert.equal(advanceOverLanded(50, planned, outcomes([['b', 'landed']])), 50);
    assert.equal(advanceOverLanded(1000, planned, outcomes([['a', 'landed']])), 1000);
  });
});

describe('mergeCameraAdvance', () => {
  it('never moves a camera backwards and keeps landed ids inside the window', () => {
    const previous = { ...emptyCamera('old', 500), recentClips: recent({ x: 450, old: 100 }) };
    const merged = mergeCameraAdvance(previous, { cameraId: 'cam', name: 'new', lastTimestamp: 300, landed: new Map([['y', 300]]), forgetBefore: 200 });
    assert.deepEqual(merged, { ...emptyCamera('new', 500), recentClips: recent({ x: 450, y: 300 }) });
  });

  it('starts a camera seen for the first time', () => {
    assert.deepEqual(mergeCameraAdvance(undefined, { cameraId: 'c', name: 'n', lastTimestamp: 10, landed: new Map([['a', 10]]), forgetBefore: 0 }), {
      ...emptyCamera('n', 10),
      recentClips: recent({ a: 10 }),
    });
  });
});

describe('markListed', () => {
  it('marks the listed cameras, and starts the clock of an unlisted camera that has none', () => {
    const cameras = new Map([['a', emptyCamera('A', 1)], ['b', { ...emptyCamera('B', 1), listedAt: 50 }], ['c', emptyCamera('C', 1)]]);
    const marked = markListed(cameras, ['a'], 100);
    assert.deepEqual([...marked].map(([id, camera]) => [id, camera.listedAt]), [['a', 100], ['b', 50], ['c', 100]]);
  });
});

describe('siteWatermark', () => {
  const camera = (lastTimestamp: number) => emptyCamera('n', lastTimestamp);
  const cameras = (byId: Record<string, CameraState>) => new Map(Object.entries(byId));
  it('is the minimum over cameras', () => {
    assert.equal(siteWatermark(0, cameras({ a: camera(300), b: camera(200) })), 200);
  });
  it('never moves backwards, even when a camera joins with an older watermark', () => {
    assert.equal(siteWatermark(250, cameras({ a: camera(300), b: camera(100) })), 250);
    assert.equal(siteWatermark(250, new Map()), 250);
  });
});

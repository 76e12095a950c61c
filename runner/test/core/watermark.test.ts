import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clip } from '../../src/core/ports.js';
import { advanceOverLanded, mergeCameraAdvance, siteWatermark, type ClipOutcome } from '../../src/core/watermark.js';

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
    const previous = { name: 'old', lastTimestamp: 500, recentClips: { x: 450, old: 100 } };
    const merged = mergeCameraAdvance(previous, { cameraId: 'cam', name: 'new', lastTimestamp: 300, landed: { y: 300 }, forgetBefore: 200 });
    assert.deepEqual(merged, { name: 'new', lastTimestamp: 500, recentClips: { x: 450, y: 300 } });
  });

  it('starts a camera seen for the first time', () => {
    assert.deepEqual(mergeCameraAdvance(undefined, { cameraId: 'c', name: 'n', lastTimestamp: 10, landed: { a: 10 }, forgetBefore: 0 }), {
      name: 'n',
      lastTimestamp: 10,
      recentClips: { a: 10 },
    });
  });
});

describe('siteWatermark', () => {
  const camera = (lastTimestamp: number) => ({ name: 'n', lastTimestamp, recentClips: {} });
  it('is the minimum over cameras', () => {
    assert.equal(siteWatermark(0, { a: camera(300), b: camera(200) }), 200);
  });
  it('never moves backwards, even when a camera joins with an older watermark', () => {
    assert.equal(siteWatermark(250, { a: camera(300), b: camera(100) }), 250);
    assert.equal(siteWatermark(250, {}), 250);
  });
});

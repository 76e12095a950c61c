import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listingWindow, planCameraClips, type PlanSettings } from '../../src/core/clip-plan.js';
import type { CameraState, Clip } from '../../src/core/ports.js';
import { clipKey } from '../../src/core/state-limits.js';
import { emptyCamera } from '../../src/core/watermark.js';

const settings: PlanSettings = { lookbackMs: 60 * 60_000, settleMs: 60_000, openClipMaxMs: 60 * 60_000 };
const now = Date.UTC(2026, 5, 1, 12, 0, 0);
const minute = 60_000;
const clip = (id: string, startMinutesAgo: number, durationMinutes = 1): Clip => ({
  id,
  cameraId: 'cam',
  startTime: now - startMinutesAgo * minute,
  duration: durationMinutes * minute,
});
const ids = (clips: Clip[]) => clips.map((c) => c.id);

describe('listingWindow', () => {
  it('reaches lookback before the watermark, up to now, never below 0', () => {
    assert.deepEqual(listingWindow(now - 10 * minute, now, settings), { startTime: now - 70 * minute, endTime: now });
    assert.deepEqual(listingWindow(1000, now, settings), { startTime: 0, endTime: now });
  });
});

describe('planCameraClips', () => {
  it('returns new finished clips in chronological order', () => {
    const plan = planCameraClips([clip('c', 10), clip('a', 30), clip('b', 20)], undefined, now - 40 * minute, now, settings);
    assert.deepEqual(ids(plan.toBackup), ['a', 'b', 'c']);
  });

  it('orders clips that start together by end, then id', () => {
    const plan = planCameraClips([clip('z', 30, 2), clip('y', 30, 1), clip('x', 30, 1)], undefined, 0, now, settings);
    assert.deepEqual(ids(plan.toBackup), ['x', 'y', 'z']);
  });

  it('dedupes clips listed twice (overlapping windows) by id', () => {
    const plan = planCameraClips([clip('a', 30), clip('a', 30), clip('b', 20)], undefined, 0, now, settings);
    assert.deepEqual(ids(plan.toBackup), ['a', 'b']);
    assert.equal(plan.duplicates, 1);
  });

  it('leaves clips that ended less than settle ago, or have no duration yet, for the next run', () => {
    const recording = clip('rec', 5, 4.5); // ends 30 s ago, settle is 60 s
    const open: Clip = { ...clip('open', 5), duration: undefined };
    const plan = planCameraClips([clip('done', 10), recording, open], undefined, 0, now, settings);
    assert.deepEqual(ids(plan.toBackup), ['done']);
    assert.deepEqual(ids(plan.stillRecording), ['rec', 'open']);
  });

  it('takes a clip without a duration once it started longer ago than openClipMaxMs', () => {
    const plan = planCameraClips([{ ...clip('old-open', 61), duration: undefined }], undefined, 0, now, settings);
    assert.deepEqual(ids(plan.toBackup), ['old-open']);
  });

  it('includes a clip that arrived late inside the lookback window before the watermark', () => {
    const watermark = now - 20 * minute;
    const late = clip('late', 50); // ended 49 minutes ago: before the watermark, inside the 60-minute lookback
    const tooOld = clip('too-old', 90); // ended 89 minutes ago: before the window
    const plan = planCameraClips([late, tooOld, clip('new', 10)], undefined, watermark, now, settings);
    assert.deepEqual(ids(plan.toBackup), ['late', 'new']);
  });

  it('skips clips the state records as already in the bucket', () => {
    const state: CameraState = { ...emptyCamera('cam', now - 20 * minute), recentClips: new Map([[clipKey('done'), now - 29 * minute]]) };
    const plan = planCameraClips([clip('done', 30), clip('new', 10)], state, state.lastTimestamp, now, settings);
    assert.deepEqual(ids(plan.toBackup), ['new']);
    assert.deepEqual(ids(plan.alreadyInBucket), ['done']);
  });

  it('reports clips with an empty id or unusable times instead of planning them', () => {
    const bad: Clip[] = [
      { ...clip('', 10) },
      { ...clip('nan', 10), startTime: Number.NaN },
      { ...clip('neg', 10), startTime: -5 },
      { ...clip('negdur', 10), duration: -1 },
      { ...clip('infdur', 10), duration: Number.POSITIVE_INFINITY },
    ];
    const plan = planCameraClips([...bad, clip('ok', 10)], undefined, 0, now, settings);
    assert.deepEqual(ids(plan.toBackup), ['ok']);
    assert.equal(plan.invalid.length, 5);
    assert.match(plan.invalid[0]?.reason ?? '', /empty clip id/);
    assert.match(plan.invalid[1]?.reason ?? '', /unusable times/);
  });
});

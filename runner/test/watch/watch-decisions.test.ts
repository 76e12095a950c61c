// The watch's pure decisions: which events are hints, which cameras are due, when each camera is listed next;
// and the recovery point kept per camera.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CameraState, Clip, SiteState } from '../../src/core/ports.js';
import { addToBatch, mergeRecovery, recoveryPointMs, utcDayOf, worstOfToday } from '../../src/core/recovery-point.js';
import { emptyCamera, mergeCameraAdvance } from '../../src/core/watermark.js';
import { planCamera } from '../../src/job/camera-backup.js';
import {
  camerasToList, DEFAULT_WATCH_TIMING, dueCameras, HINT_GAP_MS, isClipHint, nextListingAt, nextWakeAt, settlesAt, withHint, type CameraWatch,
} from '../../src/watch/watch-decisions.js';

const NOW = Date.UTC(2026, 10, 30, 20, 0, 0);
const plan = { lookbackMs: 3_600_000, settleMs: 30_000, openClipMaxMs: 86_400_000 };
const timing = { ...DEFAULT_WATCH_TIMING, pollMs: 30_000 };
const camera = { id: '101', name: 'Front Door' };
const clip = (id: string, endsAgoMs: number, duration: number | undefined = 20_000): Clip => ({
  id, cameraId: camera.id, startTime: NOW - endsAgoMs - (duration ?? 0), duration,
});
const stored = (lastTimestamp: number, landed: string[] = []): CameraState => {
  const state = emptyCamera(camera.name, lastTimestamp);
  return mergeCameraAdvance(state, { cameraId: camera.id, name: camera.name, lastTimestamp, landed: new Map(landed.map((id) => [id, lastTimestamp])), forgetBefore: 0 });
};
const site = (state: CameraState | undefined): SiteState => ({
  lastTimestamp: 0, cameras: new Map(state ? [[camera.id, state]] : []), lease: undefined, lastRun: undefined, repairs: [],
});
const planned = (clips: Clip[], state: CameraState | undefined) =>
  planCamera({ camera, window: { startTime: 0, endTime: NOW }, clips, listedAt: NOW }, state, 7 * 86_400_000, plan);

describe('which device events are hints', () => {
  it('motion, detections and a clip provider\'s change are; a name or battery change is not', () => {
    assert.equal(isClipHint({ eventInterface: 'MotionSensor', property: 'motionDetected' }), true);
    assert.equal(isClipHint({ eventInterface: 'ObjectDetector', property: undefined }), true);
    assert.equal(isClipHint({ eventInterface: 'VideoClips', property: undefined }), true);
    assert.equal(isClipHint({ eventInterface: undefined, property: 'motionDetected' }), true);
    assert.equal(isClipHint({ eventInterface: 'ScryptedDevice', property: 'name' }), false);
    assert.equal(isClipHint({ eventInterface: 'Battery', property: 'batteryLevel' }), false);
    assert.equal(isClipHint({ eventInterface: undefined, property: undefined }), false);
  });
});

describe('which cameras are due', () => {
  const watermark = NOW - 600_000;
  it('a camera with a settled clip not in the bucket is due', () => {
    assert.deepEqual(dueCameras([planned([clip('a', 31_000)], stored(watermark))], site(stored(watermark))), ['101']);
  });
  it('a clip that ended less than SETTLE_SECONDS ago is not yet due, and tells when it settles', () => {
    const p = planned([clip('a', 10_000)], stored(watermark));
    assert.deepEqual(dueCameras([p], site(stored(watermark))), []);
    assert.equal(settlesAt(p, plan.settleMs), NOW - 10_000 + 30_000);
  });
  it('a clip the state records as in the bucket (and passed by the watermark) is not due: a quiet site', () => {
    const end = NOW - 100_000;
    const state = stored(end, ['a']);
    assert.deepEqual(dueCameras([planned([clip('a', 100_000)], state)], site(state)), []);
  });
  it('a camera the state does not know is due, even without clips (the run records it)', () => {
    assert.deepEqual(dueCameras([planned([], undefined)], site(undefined)), ['101']);
    assert.deepEqual(dueCameras([planned([], undefined)], undefined), ['101']);
  });
  it('a clip without a duration has no settle time (the regular listing takes it)', () => {
    const open: Clip = { id: 'a', cameraId: camera.id, startTime: NOW - 5_000, duration: undefined };
    const p = planned([open], stored(watermark));
    assert.equal(p.plan.stillRecording.length, 1);
    assert.equal(settlesAt(p, plan.settleMs), undefined);
  });
});

describe('when a camera is listed', () => {
  const quiet: CameraWatch = { listedAt: NOW, hotUntil: undefined, settlesAt: undefined };
  it('a camera never listed is listed at once; a quiet one every poll', () => {
    assert.equal(nextListingAt({ listedAt: undefined, hotUntil: undefined, settlesAt: undefined }, timing), Number.NEGATIVE_INFINITY);
    assert.equal(nextListingAt(quiet, timing), NOW + 30_000);
  });
  it('a hint lists the camera at once, then every hotPollMs while hot, then every poll', () => {
    const hinted = withHint({ listedAt: NOW - 5_000, hotUntil: undefined, settlesAt: undefined }, NOW, timing);
    assert.equal(nextListingAt(hinted, timing), NOW);
    const listedAfter = { ...hinted, listedAt: NOW + 1, settlesAt: undefined };
    assert.equal(nextListingAt(listedAfter, timing), NOW + 1 + timing.hotPollMs);
    const cooled = { ...listedAfter, listedAt: NOW + timing.hotForMs + 1 };
    assert.equal(nextListingAt(cooled, timing), cooled.listedAt + timing.pollMs);
  });
  it('a burst of hints right after a listing makes one listing HINT_GAP_MS later', () => {
    let watch: CameraWatch = { listedAt: NOW, hotUntil: undefined, settlesAt: undefined };
    for (let i = 0; i < 100; i++) watch = withHint(watch, NOW + i, timing);
    assert.equal(nextListingAt(watch, timing), NOW + HINT_GAP_MS);
  });
  it('a clip that settles before the next poll is listed when it settles', () => {
    assert.equal(nextListingAt({ ...quiet, settlesAt: NOW + 7_000 }, timing), NOW + 7_000);
  });
  it('camerasToList and nextWakeAt pick the cameras whose time came and the earliest next one', () => {
    const cameras = new Map<string, CameraWatch>([
      ['a', quiet],
      ['b', { ...quiet, listedAt: NOW - 30_000 }],
      ['c', { ...quiet, settlesAt: NOW + 2_000 }],
    ]);
    assert.deepEqual(camerasToList(cameras, NOW, timing), ['b']);
    assert.equal(nextWakeAt(new Map([['a', quiet], ['c', { ...quiet, settlesAt: NOW + 2_000 }]]), NOW, timing), NOW + 2_000);
    assert.equal(nextWakeAt(new Map(), NOW, timing), NOW + timing.pollMs);
  });
});

describe('the recovery point per camera', () => {
  it('is the time from the clip end to its object, never negative', () => {
    assert.equal(recoveryPointMs(NOW - 40_000, NOW), 40_000);
    assert.equal(recoveryPointMs(NOW + 5_000, NOW), 0);
  });
  it('keeps the last and the worst of the UTC day; a new day starts a new worst', () => {
    let batch = addToBatch(undefined, 45_000, NOW);
    batch = addToBatch(batch, 12_000, NOW + 1_000);
    assert.deepEqual(batch, { lastMs: 12_000, worstMs: 45_000, at: NOW + 1_000 });
    let record = mergeRecovery(undefined, batch);
    assert.deepEqual(record, { lastMs: 12_000, lastAt: NOW + 1_000, day: utcDayOf(NOW), worstOfDayMs: 45_000 });
    record = mergeRecovery(record, { lastMs: 20_000, worstMs: 20_000, at: NOW + 60_000 });
    assert.equal(record?.worstOfDayMs, 45_000);
    assert.equal(record?.lastMs, 20_000);
    const tomorrow = NOW + 86_400_000;
    record = mergeRecovery(record, { lastMs: 9_000, worstMs: 9_000, at: tomorrow });
    assert.deepEqual(record, { lastMs: 9_000, lastAt: tomorrow, day: utcDayOf(tomorrow), worstOfDayMs: 9_000 });
    assert.equal(worstOfToday(record, tomorrow + 1), 9_000);
    assert.equal(worstOfToday(record, tomorrow + 86_400_000), undefined);
  });
  it('an older batch arriving late keeps the newer last but counts toward the worst of its day', () => {
    const record = mergeRecovery(undefined, { lastMs: 5_000, worstMs: 5_000, at: NOW + 10_000 });
    assert.deepEqual(mergeRecovery(record, { lastMs: 70_000, worstMs: 70_000, at: NOW }), { lastMs: 5_000, lastAt: NOW + 10_000, day: utcDayOf(NOW), worstOfDayMs: 70_000 });
  });
  it('is merged into the camera state with an advance, and left alone by an advance without one', () => {
    const base = mergeCameraAdvance(undefined, { cameraId: '1', name: 'x', lastTimestamp: NOW, landed: new Map(), forgetBefore: 0, recovery: { lastMs: 3_000, worstMs: 8_000, at: NOW } });
    assert.equal(base.recovery?.worstOfDayMs, 8_000);
    const next = mergeCameraAdvance(base, { cameraId: '1', name: 'x', lastTimestamp: NOW + 1, landed: new Map(), forgetBefore: 0 });
    assert.deepEqual(next.recovery, base.recovery);
    assert.equal(Object.hasOwn(mergeCameraAdvance(undefined, { cameraId: '1', name: 'x', lastTimestamp: NOW, landed: new Map(), forgetBefore: 0 }), 'recovery'), false);
  });
});

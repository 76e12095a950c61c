import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listingWindow, planCameraClips, type PlanSettings } from '../../src/core/clip-plan.js';
import type { CameraState, Clip } from '../../src/core/ports.js';
import { clipKey } from '../../src/core/state-limits.js';
import { advanceOverLanded, emptyCamera } from '../../src/core/watermark.js';

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

  it('reports clips that start in the future (beyond 5 minutes of clock skew) or last longer than openClipMaxMs', () => {
    const future = { ...clip('future', 0), startTime: now + 6 * minute };
    const skewed: Clip = { ...clip('skewed', 0), startTime: now + 4 * minute, duration: undefined };
    const long = clip('long', 90, 61); // 61 minutes, openClipMaxMs is 60
    const plan = planCameraClips([future, skewed, long, clip('ok', 10)], undefined, 0, now, settings);
    assert.deepEqual(plan.invalid.map((entry) => entry.clip.id), ['future', 'long']);
    assert.match(plan.invalid[0]?.reason ?? '', /^starts in the future/);
    assert.match(plan.invalid[1]?.reason ?? '', /^implausible duration \(1\.02 h, more than CLIP_MAX_HOURS=1 h\)$/);
    assert.deepEqual(ids(plan.stillRecording), ['skewed']);
  });
});

describe('still-recording clips hold the watermark (LOOKBACK_MINUTES under an hour)', () => {
  const short: PlanSettings = { lookbackMs: 5 * minute, settleMs: minute, openClipMaxMs: 24 * 60 * minute };
  const landedAll = (clips: readonly Clip[]) => new Map(clips.map((c) => [c.id, 'landed' as const]));

  it('puts a clip without a duration in the watermark sequence, so a later landed clip cannot carry the watermark past it', () => {
    const open: Clip = { ...clip('open', 20), duration: undefined };
    const later = clip('later', 15, 0.5);
    const watermark = now - 30 * minute;
    const plan = planCameraClips([open, later], undefined, watermark, now, short);
    assert.deepEqual(ids(plan.toBackup), ['later']);
    assert.deepEqual(ids(plan.stillRecording), ['open']);
    assert.deepEqual(ids(plan.watermarkSequence), ['open', 'later']);
    // `later` lands; `open` never does this run: the watermark stays before the open clip's start.
    const next = advanceOverLanded(watermark, plan.watermarkSequence, landedAll(plan.toBackup));
    assert.ok(next <= open.startTime, `the watermark passed the open clip: ${next} > ${open.startTime}`);
    // So the next listing window still reaches the open clip's start.
    assert.ok(listingWindow(next, now, short).startTime <= open.startTime);
  });

  it('over several runs: the open clip is listed until it has a duration, then backed up, then the watermark moves on', () => {
    let watermark = now - 30 * minute;
    const open: Clip = { ...clip('open', 20), duration: undefined };
    const listedBy = (start: number, clips: Clip[]) => clips.filter((c) => c.startTime >= start);
    // Run 1: `later` lands, `open` is still recording.
    let all = [open, clip('later', 15, 0.5)];
    let plan = planCameraClips(listedBy(listingWindow(watermark, now, short).startTime, all), undefined, watermark, now, short);
    const landed = new Set(ids(plan.toBackup));
    watermark = advanceOverLanded(watermark, plan.watermarkSequence, landedAll(plan.toBackup));
    // Run 2, 10 minutes on: `open` has its duration now.
    const later = now + 10 * minute;
    all = [{ ...open, duration: 2 * minute }, clip('later', 15, 0.5)];
    const state: CameraState = { ...emptyCamera('cam', watermark), recentClips: new Map([...landed].map((id) => [clipKey(id), now - 14 * minute])) };
    plan = planCameraClips(listedBy(listingWindow(watermark, later, short).startTime, all), state, watermark, later, short);
    assert.deepEqual(ids(plan.toBackup), ['open'], 'the clip listed without a duration was dropped');
    assert.deepEqual(ids(plan.alreadyInBucket), ['later']);
    const after = advanceOverLanded(watermark, plan.watermarkSequence, landedAll([...plan.toBackup, ...plan.alreadyInBucket]));
    assert.equal(after, now - 14.5 * minute, 'once both landed the watermark passes both');
  });

  it('a clip that ends within settle also holds the watermark', () => {
    const recording = clip('rec', 3, 2.5); // ends 30 s ago
    const overlapped = clip('short', 2.8, 0.1); // starts after it, ended over a minute ago
    const plan = planCameraClips([recording, overlapped], undefined, now - 10 * minute, now, short);
    const next = advanceOverLanded(now - 10 * minute, plan.watermarkSequence, landedAll(plan.toBackup));
    assert.equal(next, now - 10 * minute);
  });

  it('an invalid clip never holds it', () => {
    const forever = clip('forever', 10, 10 * 365 * 24 * 60);
    const plan = planCameraClips([forever, clip('ok', 5)], undefined, now - 30 * minute, now, short);
    assert.deepEqual(ids(plan.watermarkSequence), ['ok']);
    assert.equal(plan.invalid.length, 1);
  });
});


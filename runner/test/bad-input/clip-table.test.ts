// Bad-input table for clip planning: clips as a buggy or hostile source could list them (NaN, negative, absent
// or mistyped times, empty ids, duplicates, absurd sizes). Each row states where planCameraClips puts the clip
// and why; every row also checks the invariants that protect the bucket and the watermark: nothing unusable
// reaches toBackup, every planned clip has an object name, and no planned clip ends after now - settle (so the
// watermark, which moves over planned clips, can never jump into the future).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planCameraClips, type CameraPlan, type PlanSettings } from '../../src/core/clip-plan.js';
import { clipEnd } from '../../src/core/clip-time.js';
import { objectName } from '../../src/core/object-name.js';
import type { Camera, CameraState, Clip } from '../../src/core/ports.js';
import { clipKey } from '../../src/core/state-limits.js';
import { emptyCamera } from '../../src/core/watermark.js';

const MINUTE = 60_000;
const YEAR = 365 * 24 * 60 * MINUTE;
const HOUR = 60 * MINUTE;
/** CLIP_MAX_HOURS at its default: 24 h. */
const settings: PlanSettings = { lookbackMs: 60 * MINUTE, settleMs: MINUTE, openClipMaxMs: 24 * HOUR };
const now = Date.UTC(2026, 10, 24, 4, 0, 0);
const camera: Camera = { id: 'cam-1', name: 'Front Door' };
/** The watermark of a camera whose last clip ended 30 minutes ago: the window starts 90 minutes ago. */
const watermark = now - 30 * MINUTE;

/** A clip as a source could list it; fields a type-lying RPC peer could send are cast through unknown. */
const clip = (id: unknown, startTime: unknown, duration: unknown): Clip =>
  ({ id, cameraId: camera.id, startTime, duration }) as unknown as Clip;
const tenMinutesAgo = now - 10 * MINUTE;
const good = (id: string, minutesAgo = 10): Clip => clip(id, now - minutesAgo * MINUTE, 30_000);

type Where = 'invalid' | 'toBackup' | 'stillRecording' | 'alreadyInBucket' | 'outsideWindow';

interface ClipRow {
  name: string;
  listed: Clip[];
  state?: CameraState;
  watermark?: number;
  /** Where the first listed clip lands. */
  where: Where;
  /** For `invalid`: what the reason must say. */
  reason?: RegExp;
  duplicates?: number;
  /** Extra checks on the plan. */
  check?: (plan: CameraPlan) => void;
}

const rows: ClipRow[] = [
  // startTime
  { name: 'startTime NaN', listed: [clip('a', Number.NaN, 30_000)], where: 'invalid', reason: /^unusable times \(startTime NaN, duration 30000\)$/ },
  { name: 'startTime absent', listed: [clip('a', undefined, 30_000)], where: 'invalid', reason: /startTime undefined/ },
  { name: 'startTime null', listed: [clip('a', null, 30_000)], where: 'invalid', reason: /startTime null/ },
  { name: 'startTime a numeric string', listed: [clip('a', String(tenMinutesAgo), 30_000)], where: 'invalid', reason: /unusable times \(startTime \d+/ },
  { name: 'startTime negative', listed: [clip('a', -1, 30_000)], where: 'invalid', reason: /startTime -1,/ },
  { name: 'startTime -Infinity', listed: [clip('a', Number.NEGATIVE_INFINITY, 30_000)], where: 'invalid', reason: /startTime -Infinity/ },
  { name: 'startTime Infinity', listed: [clip('a', Number.POSITIVE_INFINITY, 30_000)], where: 'invalid', reason: /startTime Infinity/ },
  { name: 'startTime an object', listed: [clip('a', { valueOf: () => tenMinutesAgo }, 30_000)], where: 'invalid', reason: /unusable times/ },
  // duration
  { name: 'duration NaN', listed: [clip('a', tenMinutesAgo, Number.NaN)], where: 'invalid', reason: /duration NaN\)$/ },
  { name: 'duration negative', listed: [clip('a', tenMinutesAgo, -30_000)], where: 'invalid', reason: /duration -30000\)$/ },
  { name: 'duration Infinity', listed: [clip('a', tenMinutesAgo, Number.POSITIVE_INFINITY)], where: 'invalid', reason: /duration Infinity\)$/ },
  { name: 'duration null (JSON from RPC)', listed: [clip('a', tenMinutesAgo, null)], where: 'invalid', reason: /duration null\)$/ },
  { name: 'duration a numeric string', listed: [clip('a', tenMinutesAgo, '30000')], where: 'invalid', reason: /duration 30000\)$/ },
  { name: 'both times NaN', listed: [clip('a', Number.NaN, Number.NaN)], where: 'invalid', reason: /startTime NaN, duration NaN/ },
  // absent duration: documented as still recording (holding the watermark) until CLIP_MAX_HOURS after its start
  { name: 'duration absent, started 10 minutes ago', listed: [clip('a', tenMinutesAgo, undefined)], where: 'stillRecording' },
  { name: 'duration absent, started 23 hours ago', listed: [clip('a', now - 23 * HOUR, undefined)], where: 'stillRecording', watermark: now - 24 * HOUR },
  { name: 'duration absent, started 24 hours and a minute ago', listed: [clip('a', now - 24 * HOUR - MINUTE, undefined)], where: 'toBackup', watermark: now - 25 * HOUR },
  { name: 'duration 0', listed: [clip('a', tenMinutesAgo, 0)], where: 'toBackup' },
  // ids
  { name: 'empty id', listed: [clip('', tenMinutesAgo, 30_000)], where: 'invalid', reason: /^empty clip id$/ },
  { name: 'whitespace id', listed: [clip(' \t\n ', tenMinutesAgo, 30_000)], where: 'invalid', reason: /^empty clip id$/ },
  { name: 'absent id', listed: [clip(undefined, tenMinutesAgo, 30_000)], where: 'invalid', reason: /clip id/ },
  { name: 'numeric id', listed: [clip(42, tenMinutesAgo, 30_000)], where: 'invalid', reason: /clip id/ },
  { name: 'empty id and NaN time: the id is reported first', listed: [clip('', Number.NaN, 30_000)], where: 'invalid', reason: /^empty clip id$/ },
  // duplicates
  {
    name: 'the same clip listed twice',
    listed: [good('a'), good('a')],
    where: 'toBackup',
    duplicates: 1,
    check: (plan) => assert.deepEqual(plan.toBackup.map((c) => c.id), ['a']),
  },
  {
    name: 'one id listed three times with different times: the first listing wins',
    listed: [good('a', 20), good('a', 10), good('a', 5)],
    where: 'toBackup',
    duplicates: 2,
    check: (plan) => assert.deepEqual(plan.toBackup.map((c) => c.startTime), [now - 20 * MINUTE]),
  },
  {
    name: 'an invalid listing does not reserve its id: a later valid one is planned',
    listed: [clip('a', Number.NaN, 30_000), good('a')],
    where: 'invalid',
    duplicates: 0,
    check: (plan) => assert.deepEqual(plan.toBackup.map((c) => c.id), ['a']),
  },
  {
    name: 'a duplicate of a clip already in the bucket',
    listed: [good('a', 40), good('a', 40)],
    state: { ...emptyCamera('Front Door', watermark), recentClips: new Map([[clipKey('a'), now - 40 * MINUTE + 30_000]]) },
    where: 'alreadyInBucket',
    duplicates: 1,
    check: (plan) => assert.equal(plan.alreadyInBucket.length, 1),
  },
  {
    name: 'duplicate ids that differ only in case are two clips',
    listed: [good('a'), good('A')],
    where: 'toBackup',
    duplicates: 0,
    check: (plan) => assert.equal(plan.toBackup.length, 2),
  },
  // ids that name members of Object.prototype or that Firestore cannot hold as field names: planned like any
  // other, whether or not the state records other clips (row 3 of issue 18: `recentClips` was a plain object)
  ...['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__x__', 'x'.repeat(5000), 'lone\uD800', 'a.b.c'].flatMap((id): ClipRow[] => [
    { name: `id ${JSON.stringify(id.slice(0, 20))}, empty state`, listed: [good(id)], state: emptyCamera('Front Door', watermark), where: 'toBackup' },
    {
      name: `id ${JSON.stringify(id.slice(0, 20))}, the state records another clip`,
      listed: [good(id)],
      state: { ...emptyCamera('Front Door', watermark), recentClips: new Map([[clipKey('other'), now - 40 * MINUTE]]) },
      where: 'toBackup',
    },
    {
      name: `id ${JSON.stringify(id.slice(0, 20))}, recorded as landed`,
      listed: [good(id)],
      state: { ...emptyCamera('Front Door', watermark), recentClips: new Map([[clipKey(id), now - 10 * MINUTE + 30_000]]) },
      where: 'alreadyInBucket',
    },
  ]),
  // absurd sizes and times: reported as invalid (counted, the run exits 1), never "still recording" for ever
  { name: 'a duration of 10 years that started an hour ago', listed: [clip('a', now - 60 * MINUTE, 10 * YEAR)], where: 'invalid', reason: /^implausible duration \(87600 h, more than CLIP_MAX_HOURS=24 h\)$/ },
  { name: 'a duration of Number.MAX_VALUE', listed: [clip('a', tenMinutesAgo, Number.MAX_VALUE)], where: 'invalid', reason: /^implausible duration/ },
  { name: 'a duration just over CLIP_MAX_HOURS', listed: [clip('a', now - 25 * HOUR, 24 * HOUR + 1000)], where: 'invalid', reason: /^implausible duration/, watermark: now - 2 * HOUR },
  { name: 'a duration of exactly CLIP_MAX_HOURS is planned', listed: [clip('a', now - 24 * HOUR - 10 * MINUTE, 24 * HOUR)], where: 'toBackup' },
  { name: 'a start in the far future (year 2200)', listed: [clip('a', Date.UTC(2200, 0, 1), 30_000)], where: 'invalid', reason: /^starts in the future \(startTime \d+, [\d.e+]+ h after now: is a clock wrong\?\)$/ },
  { name: 'a start beyond the Date range (9e15 ms)', listed: [clip('a', 9e15, 30_000)], where: 'invalid', reason: /^starts in the future/ },
  { name: 'a start at Number.MAX_SAFE_INTEGER, no duration', listed: [clip('a', Number.MAX_SAFE_INTEGER, undefined)], where: 'invalid', reason: /^starts in the future/ },
  { name: 'a start at Number.MAX_VALUE', listed: [clip('a', Number.MAX_VALUE, 30_000)], where: 'invalid', reason: /^starts in the future/ },
  { name: 'a start 6 minutes ahead (beyond the 5-minute skew allowance)', listed: [clip('a', now + 6 * MINUTE, undefined)], where: 'invalid', reason: /^starts in the future/ },
  { name: 'a start 2 minutes ahead (clock skew): still recording', listed: [clip('a', now + 2 * MINUTE, undefined)], where: 'stillRecording' },
  { name: 'a 10-year clip that ended 10 years ago', listed: [clip('a', now - 20 * YEAR, 10 * YEAR)], where: 'invalid', reason: /^implausible duration/ },
  { name: 'startTime 0 (the epoch) with a watermark', listed: [clip('a', 0, 30_000)], where: 'outsideWindow' },
  {
    name: 'startTime 0 with watermark 0 is planned, named in 1970',
    listed: [clip('a', 0, 30_000)],
    watermark: 0,
    where: 'toBackup',
    check: (plan) => assert.match(objectName(camera, plan.toBackup[0] as Clip), /^Front_Door\/1970\/01\/01\/00-00-00_[0-9a-f]{8}\.mp4$/),
  },
  {
    name: 'a clip that started long ago and ends inside the window (a 2-hour clip)',
    listed: [clip('a', now - 150 * MINUTE, 120 * MINUTE)],
    where: 'toBackup',
  },
];

function whereIs(plan: CameraPlan, target: Clip): Where {
  if (plan.invalid.some((entry) => entry.clip === target)) return 'invalid';
  if (plan.toBackup.includes(target)) return 'toBackup';
  if (plan.stillRecording.includes(target)) return 'stillRecording';
  if (plan.alreadyInBucket.includes(target)) return 'alreadyInBucket';
  return 'outsideWindow';
}

function assertInvariants(plan: CameraPlan, listed: readonly Clip[]): void {
  for (const planned of plan.toBackup) {
    assert.ok(Number.isFinite(planned.startTime) && planned.startTime >= 0, `unusable start planned: ${String(planned.startTime)}`);
    assert.ok(planned.duration === undefined || (Number.isFinite(planned.duration) && planned.duration >= 0));
    assert.ok(typeof planned.id === 'string' && planned.id.trim() !== '', 'a clip without an id was planned');
    assert.ok(clipEnd(planned) <= now - settings.settleMs, `a planned clip ends after now - settle: ${clipEnd(planned)}`);
    assert.doesNotThrow(() => objectName(camera, planned));
  }
  const sorted = [...plan.toBackup].sort((a, b) => a.startTime - b.startTime);
  assert.deepEqual(plan.toBackup.map((c) => c.id), sorted.map((c) => c.id), 'toBackup is not chronological');
  for (const entry of plan.invalid) assert.ok(entry.reason.length > 0 && listed.includes(entry.clip));
  // The watermark moves over exactly the planned, landed and still-recording clips, in order; never an invalid one.
  const expected = [...plan.toBackup, ...plan.alreadyInBucket, ...plan.stillRecording];
  assert.equal(plan.watermarkSequence.length, expected.length);
  for (const held of expected) assert.ok(plan.watermarkSequence.includes(held), `${held.id} missing from the watermark sequence`);
  for (const [index, entry] of plan.watermarkSequence.entries()) {
    const next = plan.watermarkSequence[index + 1];
    if (next) assert.ok(entry.startTime <= next.startTime, 'the watermark sequence is not chronological');
  }
  const placed = plan.toBackup.length + plan.stillRecording.length + plan.alreadyInBucket.length + plan.invalid.length + plan.duplicates;
  assert.ok(placed <= listed.length, 'a clip was counted twice');
}

describe('clip planning bad-input table', () => {
  for (const row of rows) {
    it(`${row.name}: ${row.where}${row.reason ? ` (${row.reason.source})` : ''}`, () => {
      const plan = planCameraClips(row.listed, row.state, row.watermark ?? watermark, now, settings);
      const first = row.listed[0] as Clip;
      assert.equal(whereIs(plan, first), row.where, JSON.stringify(plan, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));
      if (row.reason) {
        const entry = plan.invalid.find((candidate) => candidate.clip === first);
        assert.match(entry?.reason ?? '', row.reason);
      }
      assert.equal(plan.duplicates, row.duplicates ?? 0);
      assertInvariants(plan, row.listed);
      row.check?.(plan);
    });
  }

  it('every bad clip of the table listed together with good ones: only the good ones are planned, in order', () => {
    const bad = rows.filter((row) => row.where === 'invalid').map((row) => row.listed[0] as Clip);
    // Still-recording rows of the table's default watermark (the others are only inside their own window).
    const absurd = rows.filter((row) => row.where === 'stillRecording' && row.watermark === undefined).map((row, index) => ({ ...(row.listed[0] as Clip), id: `absurd-${index}` }));
    const listed = [good('late', 5), ...bad, good('early', 30), ...absurd, good('mid', 20)];
    const plan = planCameraClips(listed, undefined, watermark, now, settings);
    assert.deepEqual(plan.toBackup.map((c) => c.id), ['early', 'mid', 'late']);
    assert.equal(plan.invalid.length, bad.length);
    assert.equal(plan.stillRecording.length, absurd.length);
    assertInvariants(plan, listed);
  });
});

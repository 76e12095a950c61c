// The selection's times: local by default, UTC with --utc, explicit zones as given, dates as whole days, and
// times that do not exist refused.
process.env.TZ = 'Australia/Adelaide';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileTime, formatDuration, formatTime, parseTime, selectRange, SelectionError } from '../../src/restore/time-range.js';

describe('time range', () => {
  it('reads local time (a half-hour zone here), UTC with --utc, and explicit zones as they are', () => {
    // Adelaide is UTC+10:30 in November (daylight saving).
    assert.equal(parseTime('2026-11-29 14:30', '--from', false), Date.parse('2026-11-29T04:00:00Z'));
    assert.equal(parseTime('2026-11-29T14:30:05', '--from', true), Date.parse('2026-11-29T14:30:05Z'));
    assert.equal(parseTime('2026-11-29 14:30Z', '--from', false), Date.parse('2026-11-29T14:30:00Z'));
    assert.equal(parseTime('2026-11-29 14:30+01:00', '--from', false), Date.parse('2026-11-29T13:30:00Z'));
    assert.equal(formatTime(Date.parse('2026-11-29T04:00:00Z'), false), '2026-11-29 14:30:00 +10:30');
    assert.equal(fileTime(Date.parse('2026-11-29T04:00:05Z'), false), '2026-11-29_14-30-05');
  });

  it('takes a date alone as the start of the day for --from and its end for --to', () => {
    const range = selectRange({ from: '2026-11-29', to: '2026-11-29' }, Date.parse('2026-12-01T00:00:00Z'));
    assert.equal(range.fromMs, Date.parse('2026-11-28T13:30:00Z'));
    assert.equal(range.toMs, Date.parse('2026-11-29T13:30:00Z') - 1);
  });

  it('--since counts back from now; --to defaults to now', () => {
    const now = Date.parse('2026-11-29T10:00:00Z');
    assert.deepEqual(selectRange({ since: '3h' }, now), { fromMs: now - 3 * 3_600_000, toMs: now });
    assert.throws(() => selectRange({ since: '3h', from: '2026-11-29' }, now), /either --since or --from/);
    assert.throws(() => selectRange({ since: 'three hours' }, now), /--since: not a duration/);
    assert.throws(() => selectRange({ from: '2026-10-01' }, now), /longer than 31 days/);
  });

  it('refuses dates and times that do not exist', () => {
    assert.throws(() => parseTime('2026-02-30', '--from', false), SelectionError);
    assert.throws(() => parseTime('2026-11-29 24:00', '--from', true), /is not a time that exists$/);
    // Adelaide's clocks jump from 02:00 to 03:00 on 2026-10-04.
    assert.throws(() => parseTime('2026-10-04 02:30', '--from', false), /is not a time that exists in local time/);
    assert.throws(() => parseTime('yesterday 3pm', '--from', false), /is not a time/);
  });

  it('shows durations as people read them', () => {
    assert.deepEqual([formatDuration(undefined), formatDuration(42_000), formatDuration(65_000), formatDuration(15 * 60_000)], ['-', '42s', '1m05s', '15m00s']);
  });
});

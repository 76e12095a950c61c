// UPLOAD_LIMIT's forms (a rate, off, a daily schedule) and the cap they give at each time of day, plus the
// configuration's refusal of bad values naming the variable.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { describeUploadLimit, limitAt, limitAtMinute, parseRate, parseUploadLimit } from '../../src/gcs/upload-limit-schedule.js';

const at = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

describe('UPLOAD_LIMIT rates', () => {
  it('reads bytes per second with 1024-based k, M, G suffixes (as rclone), and off', () => {
    assert.equal(parseRate('1500000'), 1_500_000);
    assert.equal(parseRate('500k'), 500 * 1024);
    assert.equal(parseRate('4M'), 4 * 1024 * 1024);
    assert.equal(parseRate('4MB'), 4 * 1024 * 1024);
    assert.equal(parseRate('4M/s'), 4 * 1024 * 1024);
    assert.equal(parseRate('1.5m'), 1.5 * 1024 * 1024);
    assert.equal(parseRate('1G'), 1024 ** 3);
    assert.equal(parseRate('off'), undefined);
    assert.equal(parseRate('OFF'), undefined);
  });

  it('refuses what is not a rate, and caps below 1k', () => {
    for (const bad of ['4X', '-1M', 'fast', '', '4 M B', '1e6', '0', '100']) assert.throws(() => parseRate(bad), Error, bad);
    assert.throws(() => parseRate('100'), /smallest cap, 1k/);
  });
});

describe('UPLOAD_LIMIT schedules', () => {
  it('a single rate holds all day; off and empty mean no cap', () => {
    const schedule = parseUploadLimit('4M');
    assert.deepEqual(schedule, [{ minute: 0, bytesPerSecond: 4 * 1024 * 1024 }]);
    assert.equal(limitAtMinute(schedule!, 0), 4 * 1024 * 1024);
    assert.equal(limitAtMinute(schedule!, 1439), 4 * 1024 * 1024);
    assert.equal(parseUploadLimit('off'), undefined);
    assert.equal(parseUploadLimit('  '), undefined);
    assert.equal(parseUploadLimit('08:00,off 20:00,off'), undefined);
  });

  it('each entry holds until the next; before the first, the day before\'s last one holds', () => {
    const schedule = parseUploadLimit('23:00,off 08:00,4M;12:30,500k')!; // out of order and ; are accepted
    assert.deepEqual(schedule.map((entry) => entry.minute), [at('08:00'), at('12:30'), at('23:00')]);
    assert.equal(limitAtMinute(schedule, at('07:59')), undefined);
    assert.equal(limitAtMinute(schedule, at('08:00')), 4 * 1024 * 1024);
    assert.equal(limitAtMinute(schedule, at('12:29')), 4 * 1024 * 1024);
    assert.equal(limitAtMinute(schedule, at('12:30')), 500 * 1024);
    assert.equal(limitAtMinute(schedule, at('22:59')), 500 * 1024);
    assert.equal(limitAtMinute(schedule, at('23:00')), undefined);
    assert.equal(limitAtMinute(schedule, at('00:00')), undefined);
    assert.equal(describeUploadLimit(schedule), '08:00 4194304 B/s, 12:30 512000 B/s, 23:00 off');
    const overnight = parseUploadLimit('08:00,4M 23:00,1M')!;
    assert.equal(limitAtMinute(overnight, at('03:00')), 1024 * 1024);
  });

  it('reads the schedule in local time', () => {
    const schedule = parseUploadLimit('08:00,4M 23:00,off')!;
    const morning = new Date(2026, 10, 30, 9, 15).getTime(); // 09:15 local, whatever TZ the machine has
    const night = new Date(2026, 10, 30, 23, 30).getTime();
    assert.equal(limitAt(schedule, morning), 4 * 1024 * 1024);
    assert.equal(limitAt(schedule, night), undefined);
  });

  it('refuses bad entries with what is wrong', () => {
    assert.throws(() => parseUploadLimit('8:00-4M'), /not a rate/);
    assert.throws(() => parseUploadLimit('08:00,4M 24:00,off'), /"24:00" is not a time of day/);
    assert.throws(() => parseUploadLimit('08:00,4M 08:00,1M'), /names the time 08:00 twice/);
    assert.throws(() => parseUploadLimit('08:00,4M,1M'), /not TIME,RATE/);
    assert.throws(() => parseUploadLimit('08:00,4Q 23:00,off'), /"4Q" is not a rate/);
    assert.throws(() => parseUploadLimit('08:00,4M 23:00'), /not TIME,RATE/);
  });
});

describe('UPLOAD_LIMIT in the configuration', () => {
  const env = { SCRYPTED_HOST: 'https://127.0.0.1:10443', SCRYPTED_USER: 'backup', SCRYPTED_PASSWORD: 'pw', GCS_PROJECT_ID: 'demo-project', GCS_BUCKET_NAME: 'demo-bucket' };

  it('is off by default and parsed into the GCS settings', () => {
    const plain = loadConfig(env);
    assert.ok(plain.ok);
    assert.equal(plain.config.gcs.uploadLimit, undefined);
    const capped = loadConfig({ ...env, UPLOAD_LIMIT: '08:00,4M 23:00,off' });
    assert.ok(capped.ok);
    assert.equal(capped.config.gcs.uploadLimit?.length, 2);
  });

  it('a bad value is a problem naming UPLOAD_LIMIT and what was wrong', () => {
    const result = loadConfig({ ...env, UPLOAD_LIMIT: '4 megs' });
    assert.equal(result.ok, false);
    const problems = result.ok ? [] : result.problems;
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^UPLOAD_LIMIT must be bytes per second \(e\.g\. 4M, 500k, off\) or a daily schedule .*"megs"|^UPLOAD_LIMIT must be bytes per second .*not TIME,RATE|^UPLOAD_LIMIT must be .*"4 megs"/);
  });
});

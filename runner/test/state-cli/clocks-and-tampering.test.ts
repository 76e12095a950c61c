// Wrong clocks and tampered state documents through the real CLI: a clock two days ahead on the first run;
// watermarks and leases in 2030, at 1e300 or malformed; a camera removed a month ago; fields of another tool.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logEvents, runCli } from '../support/cli-process.js';
import { MIN, clipAt, lastEnd, now, stateCliFixture } from './fixture.js';

const f = stateCliFixture([
  { id: 'clock', name: 'Clock Camera', clips: [clipAt('clock-1', 40, 31), clipAt('clock-2', 30, 32)] },
  { id: 'tamper', name: 'Tamper Camera', clips: [clipAt('tamper-1', 40, 41), clipAt('tamper-2', 30, 42)] },
]);

describe('clocks and tampered documents through the CLI', { timeout: 300_000 }, () => {
  it('row 1: a clock two days ahead on the first run stores no watermark in the future, says so, exit 1; the next run with the right clock backs up everything', async () => {
    const site = 'clock-ahead';
    const ahead = await runCli(['run'], f.env(site, ['clock'], { NVR_BACKUP_TEST_CLOCK_OFFSET_MS: String(2 * 24 * 60 * MIN) }));
    assert.equal(ahead.code, 1, ahead.stderr);
    assert.match(ahead.stderr, /clock is \d+ min ahead of Firestore's.*set the clock right \(NTP\)/);
    assert.ok(logEvents(ahead.stdout).some((line) => line.event === 'clock.skewed'));
    const stored = await f.cameraState(site, 'clock');
    assert.ok(stored === undefined || (stored.lastTimestamp as number) <= Date.now(), 'no watermark in the future');
    const right = await runCli(['run'], f.env(site, ['clock']));
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stderr, /2 clip\(s\) uploaded/);
    assert.equal((await f.cameraState(site, 'clock'))?.lastTimestamp, lastEnd(f.camera('clock')));
  });

  it('rows 1, 2, 17: a tampered document (watermark and lease in 2030, 1e300, a malformed watermark, a removed camera, a field the runner does not own) is reported, repaired and kept', async () => {
    const camera = f.camera('tamper');
    const year2030 = Date.UTC(2030, 0, 1);
    const cases = [
      { site: 'tamper-future', watermark: year2030, lease: { owner: 'ghost:1', expiresAt: year2030 } },
      { site: 'tamper-1e300', watermark: 1e300, lease: { owner: 'ghost:2', expiresAt: 1e300 } },
      { site: 'tamper-malformed', watermark: 'yesterday', lease: { owner: 'ghost:3', expiresAt: 'soon' } },
    ];
    for (const { site, watermark, lease } of cases) {
      await f.doc(site).set({
        lastTimestamp: 1e300,
        cameras: {
          tamper: { name: 'Tamper Camera', lastTimestamp: watermark, recentClips: {} },
          gone: { name: 'Removed Camera', lastTimestamp: now - 60 * 24 * 60 * MIN, listedAt: now - 30 * 24 * 60 * MIN, recentClips: {} },
        },
        lease,
        note: 'kept by hand',
        other: { tool: 'not ours' },
      });
      const status = await runCli(['status'], f.env(site, ['tamper']));
      assert.equal(status.code, 0, `${site}: status must not crash\n${status.stderr}`);
      assert.doesNotMatch(status.stderr, /Invalid time value/);
      assert.match(status.stdout, /not honoured|not a time|in the future/, site);
      const run = await runCli(['run'], f.env(site, ['tamper']));
      assert.equal(run.code, 0, `${site}\n${run.stderr}`);
      assert.doesNotMatch(run.stderr, /Invalid time value|holds the lease/);
      assert.match(run.stderr, /2 clip\(s\) uploaded/, site);
      const repaired = logEvents(run.stdout).filter((line) => line.event === 'state.repaired').map((line) => String(line.what));
      assert.ok(repaired.some((what) => /watermark .*(in the future|not a time)/.test(what)), `${site}: ${repaired.join(' | ')}`);
      const leaseReported = logEvents(run.stdout).some((line) => line.event === 'lease.untrusted') || repaired.some((what) => /lease .*not honoured/.test(what));
      assert.ok(leaseReported, `${site}: the lease that is not one is reported`);
      await f.assertAllStored(site, camera);
      const data = (await f.doc(site).get()).data() ?? {};
      assert.equal(data.note, 'kept by hand', 'a field the runner does not own is kept');
      assert.deepEqual(data.other, { tool: 'not ours' });
      assert.equal((await f.cameraState(site, 'tamper'))?.lastTimestamp, lastEnd(camera));
      assert.equal(data.lastTimestamp, lastEnd(camera), 'the removed camera no longer holds the site watermark back');
      const after = await runCli(['status'], f.env(site, ['tamper']));
      assert.equal(after.code, 0, after.stderr);
      assert.match(after.stdout, /state repairs:/);
    }
  });
});

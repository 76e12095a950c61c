// The container's health check (runner/healthcheck.mjs) and `status --max-age`: healthy only while runs succeed,
// whatever the loop does; run as the image runs them (node on the script, the real CLI) against real files and
// the local stack.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/cli-process.js';
import { startCli } from '../support/cli-child.js';
import { demoCameras, startLocalStack, type LocalStack } from '../support/local-stack.js';

const HEALTHCHECK = fileURLToPath(new URL('../../healthcheck.mjs', import.meta.url));

function healthcheck(env: Record<string, string>): { code: number | null; output: string } {
  const result = spawnSync(process.execPath, [HEALTHCHECK], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nvr-health-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('healthcheck.mjs', () => {
  it('is healthy with a fresh heartbeat and a recent success', async () => {
    const file = join(dir, 'ok');
    await writeFile(file, JSON.stringify({ at: iso(0), state: 'complete', since: iso(86_400_000), lastSuccessAt: iso(600_000), successWithinSeconds: 7200 }));
    const result = healthcheck({ HEARTBEAT_FILE: file });
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /^healthy: .*last success 10 min ago/);
  });

  it('is unhealthy when runs keep failing though the loop runs (fresh heartbeat, old success)', async () => {
    const file = join(dir, 'failing');
    await writeFile(file, JSON.stringify({ at: iso(0), state: 'incomplete', since: iso(86_400_000), lastSuccessAt: iso(3 * 3_600_000), successWithinSeconds: 7200 }));
    const result = healthcheck({ HEARTBEAT_FILE: file });
    assert.equal(result.code, 1);
    assert.match(result.output, /^unhealthy: the last successful run ended 180 min ago \(limit 120 min; last run: incomplete\)/);
  });

  it('is unhealthy when no run succeeded since the start, once the limit has passed; HEALTHY_WITHIN_SECONDS overrides it', async () => {
    const file = join(dir, 'never');
    await writeFile(file, JSON.stringify({ at: iso(0), state: 'failed', since: iso(30 * 60_000), successWithinSeconds: 7200 }));
    assert.equal(healthcheck({ HEARTBEAT_FILE: file }).code, 0, 'within the first 2 h');
    const result = healthcheck({ HEARTBEAT_FILE: file, HEALTHY_WITHIN_SECONDS: '600' });
    assert.equal(result.code, 1);
    assert.match(result.output, /no run succeeded since the daemon started 30 min ago \(limit 10 min/);
  });

  it('is unhealthy when the heartbeat is old (a stuck loop) or missing', async () => {
    const file = join(dir, 'stuck');
    await writeFile(file, JSON.stringify({ at: iso(0), state: 'complete', since: iso(0), lastSuccessAt: iso(0), successWithinSeconds: 7200 }));
    const old = (Date.now() - 4 * 3_600_000) / 1000;
    await utimes(file, old, old);
    assert.match(healthcheck({ HEARTBEAT_FILE: file }).output, /^unhealthy: heartbeat .* is 14\d{3} s old \(limit 10800 s\): the daemon's loop is stuck/);
    assert.match(healthcheck({ HEARTBEAT_FILE: join(dir, 'none') }).output, /^unhealthy: no heartbeat file/);
  });

  it('an empty HEARTBEAT_FILE means the default file, not "no file"', () => {
    const result = healthcheck({ HEARTBEAT_FILE: '', HEARTBEAT_MAX_AGE_SECONDS: '' });
    // Whether or not the default file exists on this machine, the check looked at the default path (before, an
    // empty value made it look for a file named "").
    assert.match(result.output, /^unhealthy: (no heartbeat file|the heartbeat file) \/tmp\/nvr-backup-heartbeat |^healthy: heartbeat/);
  });
});

/** Starts `daemon --every 1m`, waits until the first run's heartbeat is written, stops it with SIGTERM. */
async function daemonOnce(env: Record<string, string>, heartbeatFile: string): Promise<{ heartbeat: Record<string, unknown>; output: string }> {
  const daemon = startCli(['daemon', '--every', '1m'], { ...env, HEARTBEAT_FILE: heartbeatFile });
  try {
    for (let waited = 0; waited < 120_000; waited += 200) {
      const text = await readFile(heartbeatFile, 'utf8').catch(() => '');
      const beat = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      if (beat && beat.state !== 'starting') return { heartbeat: beat, output: daemon.output() };
      await sleep(200);
    }
    throw new Error(`the daemon wrote no heartbeat after a run:\n${daemon.output()}`);
  } finally {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }
}

describe('the daemon and status --max-age (real CLI, local stack)', { timeout: 300_000 }, () => {
  let stack: LocalStack;
  before(async () => {
    stack = await startLocalStack(demoCameras(2, 6));
  });
  after(async () => {
    await stack?.stop();
  });

  it('a daemon whose runs fail (wrong password) writes no success, and the health check says unhealthy', async () => {
    const file = join(dir, 'daemon-failing');
    const { heartbeat } = await daemonOnce({ ...stack.env, SITE_ID: 'health', SCRYPTED_PASSWORD: 'wrong-password-1234' }, file);
    assert.equal(heartbeat.state, 'failed');
    assert.equal(heartbeat.lastSuccessAt, undefined);
    assert.equal(heartbeat.successWithinSeconds, 120);
    const result = healthcheck({ HEARTBEAT_FILE: file, HEALTHY_WITHIN_SECONDS: '0.001' });
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /no run succeeded since the daemon started/);
  });

  it('a daemon whose run succeeds records the success, and the health check says healthy', async () => {
    const file = join(dir, 'daemon-ok');
    const { heartbeat } = await daemonOnce({ ...stack.env, SITE_ID: 'health' }, file);
    assert.equal(heartbeat.state, 'complete');
    assert.ok(typeof heartbeat.lastSuccessAt === 'string');
    const result = healthcheck({ HEARTBEAT_FILE: file });
    assert.equal(result.code, 0, result.output);
  });

  it('status --max-age exits 0 when the run and every watermark are fresh enough, 3 naming what is older', async () => {
    const env = { ...stack.env, SITE_ID: 'health' };
    // The newest demo clip ended about 75 min ago: each camera's watermark is that old.
    const fresh = await runCli(['status', '--max-age', '3h'], env);
    assert.equal(fresh.code, 0, fresh.stderr);
    const stale = await runCli(['status', '--max-age', '30m'], env);
    assert.equal(stale.code, 3, stale.stderr);
    assert.match(stale.stderr, /^stale: camera Front Door \(101\): its watermark is 1h\d+m\d*s? old .*more than 30m$/m);
    assert.match(stale.stderr, /^stale: camera Garage \(102\): its watermark is/m);
    assert.doesNotMatch(stale.stderr, /newest successful run/);
    const none = await runCli(['status', '--max-age', '1h'], { ...stack.env, SITE_ID: 'never-ran' });
    assert.equal(none.code, 3);
    assert.match(none.stderr, /^stale: no backup run is recorded in the state document$/m);
    const bad = await runCli(['status', '--max-age', 'soon'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a duration/);
  });
});

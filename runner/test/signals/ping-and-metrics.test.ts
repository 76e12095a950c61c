// HEALTHCHECK_URL and METRICS_FILE: the pieces against a real loopback HTTP server and real files, then the real
// CLI against the local stack (Scrypted test server, GCS test server, Firestore emulator).
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/log.js';
import { pingUrl, sendPing } from '../../src/signals/healthcheck-ping.js';
import { RunSignals } from '../../src/signals/run-signals.js';
import { formatMetrics, previousSuccess, writeMetricsFile, type RunMetrics } from '../../src/signals/metrics-file.js';
import { runCli } from '../support/cli-process.js';
import { demoCameras, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { startPingServer, type PingServer } from './ping-server.js';

const SECRET = '3f1c2a9e-secret-check-uuid';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

const metrics = (over: Partial<RunMetrics> = {}): RunMetrics => ({
  finishedAt: 1_700_000_000_000, success: true, lastSuccessAt: 1_700_000_000_000, uploaded: 3, bytes: 12345, failed: 0, unsupported: 1,
  abandoned: 0, durationMs: 4200, cameras: [{ id: '101', name: 'Front "Door"\\x\nnext', lastTimestamp: 1_699_999_400_000 }], ...over,
});

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nvr-signals-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the ping URL', () => {
  it('appends /start and /fail, keeps the bare URL for success, keeps a query at the end', () => {
    assert.equal(pingUrl('https://hc-ping.com/abc', 'start'), 'https://hc-ping.com/abc/start');
    assert.equal(pingUrl('https://hc-ping.com/abc/', 'success'), 'https://hc-ping.com/abc');
    assert.equal(pingUrl('https://hc.example/ping/key/slug?create=1', 'fail'), 'https://hc.example/ping/key/slug/fail?create=1');
  });

  it('gives up on a server that never answers within its deadline, and says so without failing', async () => {
    const server = await startPingServer();
    server.mode = 'hang';
    try {
      const { lines, logger } = capture();
      assert.equal(await sendPing(server.url, 'start', '', logger, 300), false);
      assert.match(lines.join('\n'), /ping failed \(no answer within 0.3 s\); the backup goes on/);
    } finally {
      await server.close();
    }
  });

  it('reports a 500 answer as a warning (false), a 200 as true', async () => {
    const server = await startPingServer();
    try {
      const { lines, logger } = capture();
      assert.equal(await sendPing(server.url, 'success', 'fine', logger), true);
      server.mode = 'error';
      assert.equal(await sendPing(server.url, 'fail', 'broken', logger), false);
      assert.match(lines.join('\n'), /ping was answered 500/);
      assert.deepEqual(server.pings.map((p) => [p.method, p.path.endsWith('/fail'), p.body]), [['POST', false, 'fine'], ['POST', true, 'broken']]);
    } finally {
      await server.close();
    }
  });
});

describe('the metrics file', () => {
  it('is Prometheus text format with escaped label values and a final newline', () => {
    const text = formatMetrics(metrics());
    assert.ok(text.endsWith('\n'));
    assert.match(text, /^# TYPE nvr_backup_last_success_timestamp_seconds gauge$/m);
    assert.match(text, /^nvr_backup_last_success_timestamp_seconds 1700000000$/m);
    assert.match(text, /^nvr_backup_last_run_clips_uploaded 3$/m);
    assert.match(text, /^nvr_backup_last_run_bytes_uploaded 12345$/m);
    assert.match(text, /^nvr_backup_last_run_clips_unsupported 1$/m);
    assert.match(text, /^nvr_backup_camera_watermark_age_seconds\{camera="Front \\"Door\\"\\\\x\\nnext",camera_id="101"\} 600$/m);
    // No recovery gauge for a camera whose recovery point was never measured.
    assert.doesNotMatch(text, /nvr_backup_camera_recovery/);
    const measured = formatMetrics(metrics({ cameras: [
      { id: '101', name: 'Door', lastTimestamp: 1_699_999_400_000, recoveryLastMs: 12_345, recoveryWorstTodayMs: 41_000 },
      { id: '102', name: 'Yard', lastTimestamp: 1_699_999_400_000, recoveryLastMs: 9_000 },
    ] }));
    assert.match(measured, /^nvr_backup_camera_recovery_last_seconds\{camera="Door",camera_id="101"\} 12\.345$/m);
    assert.match(measured, /^nvr_backup_camera_recovery_last_seconds\{camera="Yard",camera_id="102"\} 9$/m);
    assert.match(measured, /^nvr_backup_camera_recovery_worst_today_seconds\{camera="Door",camera_id="101"\} 41$/m);
    assert.doesNotMatch(measured, /worst_today_seconds\{camera="Yard"/, 'no worst of today when none was measured today');
    // Every sample line is `name{labels} value` or `name value`.
    for (const line of text.trim().split('\n').filter((l) => !l.startsWith('#'))) assert.match(line, /^[a-z_]+(\{.*\})? (-?\d+(\.\d+)?|NaN)$/, line);
  });

  it('is replaced by a rename (no temporary file left), and keeps the last success across failed runs', async () => {
    const path = join(dir, 'unit.prom');
    await writeMetricsFile(path, metrics());
    assert.equal(await previousSuccess(path), 1_700_000_000_000);
    await writeMetricsFile(path, metrics({ success: false, lastSuccessAt: await previousSuccess(path), finishedAt: 1_700_000_900_000 }));
    assert.match(await readFile(path, 'utf8'), /^nvr_backup_last_run_success 0$/m);
    assert.equal(await previousSuccess(path), 1_700_000_000_000);
    assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith('unit')), ['unit.prom']);
  });

  it("daemon --watch's quiet checks move the last success and the check time, never past a failed run", async () => {
    const path = join(dir, 'watch.prom');
    const { logger } = capture();
    const signals = new RunSignals({ healthcheckUrl: undefined, metricsFile: path }, logger);
    await signals.quietCheck(1_700_000_000_000);
    let text = await readFile(path, 'utf8');
    assert.match(text, /^nvr_backup_last_success_timestamp_seconds 1700000000$/m);
    assert.match(text, /^nvr_backup_last_check_timestamp_seconds 1700000000$/m);
    assert.match(text, /^nvr_backup_last_run_timestamp_seconds 0$/m, 'no run yet');
    const cameras = [{ id: '101', name: 'Door', lastTimestamp: 1_700_000_000_000, recoveryLastMs: 31_000, recoveryWorstTodayMs: 31_000 }];
    await signals.finished({ success: true, finishedAt: 1_700_000_060_000, durationMs: 900, reason: 'ok', counts: undefined, cameras });
    await signals.quietCheck(1_700_000_120_000);
    text = await readFile(path, 'utf8');
    assert.match(text, /^nvr_backup_last_success_timestamp_seconds 1700000120$/m);
    assert.match(text, /^nvr_backup_last_run_timestamp_seconds 1700000060$/m, 'the last run stays the last run');
    assert.match(text, /^nvr_backup_camera_recovery_last_seconds\{camera="Door",camera_id="101"\} 31$/m, 'the last run\'s cameras stay');
    await signals.finished({ success: false, finishedAt: 1_700_000_180_000, durationMs: 900, reason: 'bucket missing', counts: undefined, cameras: [] });
    await signals.quietCheck(1_700_000_240_000);
    text = await readFile(path, 'utf8');
    assert.match(text, /^nvr_backup_last_run_success 0$/m);
    assert.match(text, /^nvr_backup_last_success_timestamp_seconds 1700000120$/m, 'a quiet check after a failed run is no success');
  });

  it('a file that is not ours gives no last success', async () => {
    const path = join(dir, 'other.prom');
    await writeFile(path, 'something_else 5\n');
    assert.equal(await previousSuccess(path), undefined);
  });
});

describe('run with HEALTHCHECK_URL and METRICS_FILE (real CLI, local stack)', { timeout: 300_000 }, () => {
  let stack: LocalStack;
  let pings: PingServer;
  before(async () => {
    stack = await startLocalStack(demoCameras(2, 6));
    pings = await startPingServer();
  });
  after(async () => {
    await pings?.close();
    await stack?.stop();
  });

  it('pings start then success, writes the metrics, never prints the URL', async () => {
    const metricsFile = join(dir, 'nvr-backup.prom');
    const result = await runCli(['run'], { ...stack.env, SITE_ID: 'pinged', HEALTHCHECK_URL: pings.url, METRICS_FILE: metricsFile });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(pings.pings.map((p) => p.path), [`/ping/${SECRET}/start`, `/ping/${SECRET}`]);
    assert.match(pings.pings[1]?.body ?? '', /backup complete: 2 camera\(s\), 7 clip\(s\) uploaded/);
    const text = await readFile(metricsFile, 'utf8');
    assert.match(text, /^nvr_backup_last_run_success 1$/m);
    assert.match(text, /^nvr_backup_last_run_clips_uploaded 7$/m);
    assert.match(text, /^nvr_backup_last_run_clips_failed 0$/m);
    assert.match(text, /^nvr_backup_camera_watermark_age_seconds\{camera="Front Door",camera_id="101"\} \d+(\.\d+)?$/m);
    assert.match(text, /^nvr_backup_camera_watermark_age_seconds\{camera="Garage",camera_id="102"\} \d+(\.\d+)?$/m);
    assert.ok(!`${result.stdout}${result.stderr}`.includes(SECRET), 'the ping URL is a secret');
  });

  it('pings /fail with the reason when the run fails, and the metrics keep the last success', async () => {
    pings.pings.length = 0;
    const metricsFile = join(dir, 'nvr-backup.prom');
    const before = await previousSuccess(metricsFile);
    assert.ok(before);
    const result = await runCli(['run'], { ...stack.env, SITE_ID: 'pinged-missing', GCS_BUCKET_NAME: 'no-such-bucket', HEALTHCHECK_URL: pings.url, METRICS_FILE: metricsFile });
    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(pings.pings.map((p) => p.path), [`/ping/${SECRET}/start`, `/ping/${SECRET}/fail`], `${result.stdout}\n${result.stderr}`);
    assert.match(pings.pings[1]?.body ?? '', /incomplete|no-such-bucket/);
    const text = await readFile(metricsFile, 'utf8');
    assert.match(text, /^nvr_backup_last_run_success 0$/m);
    assert.equal(await previousSuccess(metricsFile), before);
    assert.ok(!`${result.stdout}${result.stderr}`.includes(SECRET));
  });

  it('a ping server that is down never fails the backup, and its error does not show the URL', async () => {
    const down = await startPingServer();
    const url = down.url;
    await down.close();
    const result = await runCli(['run'], { ...stack.env, SITE_ID: 'pinged', HEALTHCHECK_URL: url });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /"event":"ping.failed"/);
    assert.ok(!`${result.stdout}${result.stderr}`.includes(SECRET));
  });
});

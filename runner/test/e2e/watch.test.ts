// `daemon --watch` end to end: the real CLI as a long-running child against the Scrypted test server (device
// events and clips added while it runs), the GCS test server and the Firestore emulator. WATCH_POLL_SECONDS is an
// hour here, so every clip after the first check is found through a device event, a clip settling, or the
// reconnect after a Scrypted restart, never through the regular listing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { objectName } from '../../src/core/object-name.js';
import { startRunner, type RunnerProcess } from '../../faults/runner-process.js';
import { runCli } from '../support/cli-process.js';
import { fileSha256 } from '../support/stack-state.js';
import { readSiteState, startLocalStack, type LocalStack } from '../support/local-stack.js';
import type { TestCamera, TestClip } from '../scrypted-server/server.js';
import { startPingServer, type PingServer } from '../signals/ping-server.js';

type Line = Record<string, unknown>;

let stack: LocalStack;
let daemon: RunnerProcess;
let pings: PingServer;
let signalsDir: string;
const metricsFile = () => join(signalsDir, 'nvr-backup.prom');
const heartbeatFile = () => join(signalsDir, 'heartbeat.json');
const HEALTHCHECK = fileURLToPath(new URL('../../healthcheck.mjs', import.meta.url));
let stderr = '';
const stderrOf = () => stderr;
const started = Date.now();
const cameras: TestCamera[] = [
  { id: '101', name: 'Front Door', clips: [{ id: 'old-101', startTime: started - 600_000, duration: 20_000, generate: { sizeBytes: 50_000, seed: 1 } }] },
  { id: '102', name: 'Garage', clips: [{ id: 'old-102', startTime: started - 500_000, duration: 20_000, generate: { sizeBytes: 60_000, seed: 2 } }] },
];

/** Resolves with the first log line (from `from` on) that `match` accepts. */
async function waitForLine(match: (line: Line) => boolean, what: string, from = 0, timeoutMs = 30_000): Promise<Line> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = daemon.lines.slice(from).find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no log line for ${what} within ${timeoutMs} ms; stderr: ${stderrOf().slice(-2000)}`);
}

const uploaded = (clipId: string) => (line: Line) => line.event === 'clip.uploaded' && line.clipId === clipId;
const gcsRequests = () => Object.values(stack.gcs.requests).reduce((sum, n) => sum + n, 0);

async function assertInBucket(camera: TestCamera, clip: TestClip): Promise<void> {
  const name = objectName({ id: camera.id, name: camera.name }, { id: clip.id, cameraId: camera.id, startTime: clip.startTime, duration: clip.duration });
  const path = stack.gcs.objectPath(stack.bucket, name);
  assert.ok(path, `${name} is in the bucket`);
  assert.equal(await fileSha256(path), await stack.scrypted.clipSha256(clip.id), `${name} holds the clip's bytes`);
}

before(async () => {
  stack = await startLocalStack(cameras);
  pings = await startPingServer();
  signalsDir = await mkdtemp(join(tmpdir(), 'nvr-watch-signals-'));
  // startRunner logs at debug level (the watch's watch.hint and watch.checked lines are debug).
  daemon = startRunner(
    { ...stack.env, SETTLE_SECONDS: '3', WATCH_POLL_SECONDS: '3600', HEALTHCHECK_URL: pings.url, METRICS_FILE: metricsFile(), HEARTBEAT_FILE: heartbeatFile() },
    120_000,
    ['daemon', '--watch'],
  );
  daemon.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
});

after(async () => {
  if (daemon && daemon.child.exitCode === null) await daemon.kill();
  await pings?.close();
  await stack?.stop();
  if (signalsDir) await rm(signalsDir, { recursive: true, force: true });
});

describe('daemon --watch', { timeout: 120_000 }, () => {
  it('backs up what is already there at start, then stays connected', async () => {
    await waitForLine(uploaded('old-101'), 'old-101 uploaded');
    await waitForLine(uploaded('old-102'), 'old-102 uploaded');
    await assertInBucket(cameras[0] as TestCamera, cameras[0]?.clips[0] as TestClip);
  });

  it('a motion event makes it list that camera and back up the clip that just ended, and only that camera is due', async () => {
    const from = daemon.lines.length;
    const clip: TestClip = { id: 'hinted-102', startTime: Date.now() - 6_000, duration: 3_000, generate: { sizeBytes: 80_000, seed: 3 } };
    stack.scrypted.addClip('102', clip);
    stack.scrypted.emitDeviceEvent('102', 'motion-end');
    const hint = await waitForLine((line) => line.event === 'watch.hint' && line.cameraId === '102', 'the hint', from);
    assert.equal(hint.eventInterface, 'MotionSensor');
    const due = await waitForLine((line) => line.event === 'watch.due', 'a due camera', from);
    assert.deepEqual(due.cameras, ['102']);
    const line = await waitForLine(uploaded('hinted-102'), 'hinted-102 uploaded', from);
    assert.equal(typeof line.recoveryMs, 'number');
    await assertInBucket(cameras[1] as TestCamera, clip);
    const cost = await waitForLine((entry) => entry.event === 'watch.run_requests', "the run's state requests", daemon.lines.indexOf(line));
    assert.deepEqual(
      { transactions: cost.firestoreTransactions, writes: cost.firestoreWrites, uploaded: cost.uploaded },
      { transactions: 2, writes: 2, uploaded: 1 },
      'two transactions: the lease (no read before it), and the record with the watermark and the release',
    );
    // The camera is in the state the watch's last write returned: its upload started before the lease's answer,
    // and the lease's write (on Firestore) held the camera as the upload was planned on.
    const run = daemon.lines.slice(from, daemon.lines.indexOf(cost));
    assert.deepEqual(
      { ahead: run.filter((entry) => entry.event === 'job.uploads_ahead').length, replanned: run.filter((entry) => entry.event === 'job.replanned').length },
      { ahead: 1, replanned: 0 },
    );
  });

  it('a clip listed while it still records (its duration growing) is uploaded only once settled, whole', async () => {
    const from = daemon.lines.length;
    const growing: TestClip = { id: 'growing-101', startTime: Date.now() - 1_000, duration: 1_000, generate: { sizeBytes: 20_000, seed: 4 } };
    stack.scrypted.addClip('101', growing);
    stack.scrypted.emitDeviceEvent('101', 'motion-start');
    await waitForLine((line) => line.event === 'watch.checked' && Array.isArray(line.due), 'a listing of 101', from);
    // Grows like a HomeKit local copy: a fragment a second, its listed duration rewritten each time.
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      stack.scrypted.updateClip('101', growing.id, { duration: Date.now() - growing.startTime, generate: { sizeBytes: 20_000 * (i + 2), seed: 4 } });
      stack.scrypted.emitDeviceEvent('101', 'motion-start');
    }
    assert.equal(daemon.lines.slice(from).some(uploaded(growing.id)), false, 'not uploaded while it grew');
    const line = await waitForLine(uploaded(growing.id), 'growing-101 uploaded', from);
    assert.equal(line.bytes, 100_000, 'the final size, not a short copy');
    await assertInBucket(cameras[0] as TestCamera, growing);
  });

  it('a quiet period costs no GCS request and no Firestore request, while hints keep it listing', async () => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const from = daemon.lines.length;
    const gcsBefore = gcsRequests();
    stack.scrypted.emitDeviceEvent('101', 'motion-start');
    const first = await waitForLine((line) => line.event === 'watch.checked', 'a quiet listing', from);
    stack.scrypted.emitDeviceEvent('102', 'motion-end');
    const second = await waitForLine((line) => line.event === 'watch.checked' && daemon.lines.indexOf(line) > daemon.lines.indexOf(first), 'a second quiet listing', from);
    assert.deepEqual(first.due, []);
    assert.deepEqual(second.due, []);
    assert.deepEqual(second.firestore, first.firestore, 'no Firestore transaction between quiet listings');
    assert.equal(gcsRequests(), gcsBefore, 'no GCS request');
    assert.equal(daemon.lines.slice(from).some((line) => line.event === 'job.start'), false, 'no backup run');
  });

  it('resumes watching after a Scrypted restart: the next clip is found by its event', async () => {
    const from = daemon.lines.length;
    await stack.scrypted.restart({ downMs: 1_000 });
    await waitForLine((line) => line.event === 'scrypted.reconnect', 'the reconnect', from);
    const clip: TestClip = { id: 'after-restart-102', startTime: Date.now() - 5_000, duration: 2_000, generate: { sizeBytes: 70_000, seed: 5 } };
    stack.scrypted.addClip('102', clip);
    // Events reach only a client that has its new connection: the provider says so until the watch hears it.
    const repeat = setInterval(() => stack.scrypted.emitDeviceEvent('102', 'clips-changed'), 500);
    try {
      await waitForLine((line) => line.event === 'watch.hint' && line.eventInterface === 'VideoClips', 'the clips-changed hint', from);
    } finally {
      clearInterval(repeat);
    }
    await waitForLine(uploaded(clip.id), 'after-restart-102 uploaded', from);
    await assertInBucket(cameras[1] as TestCamera, clip);
  });

  it('each run reaches the ping URL and the metrics file (counts, watermark ages, recovery points); the health check passes', async () => {
    // The runs so far: the start-up backfill, the hinted clip, the grown clip, the clip after the restart.
    const successes = pings.pings.filter((ping) => ping.path === new URL(pings.url).pathname);
    assert.ok(successes.length >= 3, `success pings: ${JSON.stringify(pings.pings.map((ping) => ping.path))}`);
    assert.equal(pings.pings.filter((ping) => ping.path.endsWith('/fail')).length, 0, 'no failure ping');
    const metrics = await readFile(metricsFile(), 'utf8');
    assert.match(metrics, /^nvr_backup_last_run_success 1$/m);
    assert.match(metrics, /^nvr_backup_last_run_clips_uploaded 1$/m, 'the last run uploaded the clip after the restart');
    assert.match(metrics, /^nvr_backup_last_success_timestamp_seconds \d+(\.\d+)?$/m);
    for (const camera of cameras) {
      const labels = `\\{camera="${camera.name}",camera_id="${camera.id}"\\}`;
      assert.match(metrics, new RegExp(`^nvr_backup_camera_watermark_age_seconds${labels} \\d+(\\.\\d+)?$`, 'm'), camera.name);
      const last = new RegExp(`^nvr_backup_camera_recovery_last_seconds${labels} (\\d+(?:\\.\\d+)?)$`, 'm').exec(metrics);
      const worst = new RegExp(`^nvr_backup_camera_recovery_worst_today_seconds${labels} (\\d+(?:\\.\\d+)?)$`, 'm').exec(metrics);
      assert.ok(last && worst, `${camera.name}: recovery gauges in\n${metrics}`);
      assert.ok(Number(worst[1]) >= Number(last[1]), `${camera.name}: the worst of the day is at least the last`);
    }
    const heartbeat = JSON.parse(await readFile(heartbeatFile(), 'utf8')) as { lastSuccessAt?: string; successWithinSeconds?: number };
    assert.ok(Date.parse(heartbeat.lastSuccessAt ?? '') > started, `heartbeat ${JSON.stringify(heartbeat)}`);
    const health = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [HEALTHCHECK], { env: { ...process.env, HEARTBEAT_FILE: heartbeatFile() }, timeout: 30_000 }, (error, _stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }));
    });
    assert.equal(health.code, 0, health.stderr);
  });

  it('SIGTERM ends it cleanly (exit 0), the lease is free, and status shows each camera\'s recovery point', async () => {
    daemon.child.kill('SIGTERM');
    const { code, signal } = await daemon.done;
    assert.equal(code, 0, `${String(signal)} ${stderr}`);
    assert.ok(daemon.lines.some((line) => line.event === 'watch.stop'));
    const state = await readSiteState(stack);
    assert.equal(state.lease, undefined);
    for (const id of ['101', '102']) assert.equal(typeof state.cameras.get(id)?.recovery?.lastMs, 'number', `camera ${id} has a recovery point`);
    const status = await runCli(['status'], stack.env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /recovery last\s+worst today \(UTC\)/);
    assert.match(status.stdout, /Garage\s.*\d+ (s|min)\s+\d+ (s|min|h)/);
  });
});

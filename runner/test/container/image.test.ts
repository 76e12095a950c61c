// Builds runner/Dockerfile from this checkout with podman (through `make runner-image`, as a user does) and runs the
// image against the local stack this file starts (Scrypted test server, GCS test server, Firestore emulator) on the
// host network: read-only root as uid 1000, `check` with the key mounted as docs/container.md says, `make
// runner-once` backing up every clip byte for byte, `make runner` (the default command, daemon --watch) healthy by
// its HEALTHCHECK after a success and unhealthy when runs fail, and the start-up message for a root-owned key.
// Where podman cannot do this, the whole file skips with one line naming the command that failed and its message
// (podman.ts). Every podman and make call has a deadline. `make runner-image-test` runs only this file.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { objectName } from '../../src/core/object-name.js';
import { demoCameras, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { fileSha256 } from '../support/stack-state.js';
import { ROOT, call, describeFailure, whyPodmanCannot, type CallResult } from './podman.js';

const IMAGE = 'localhost/nvr-backup-runner:image-test';
const DAEMON = `nvr-image-test-daemon-${process.pid}`;
const FAILING = `nvr-image-test-failing-${process.pid}`;
const SITE = 'image';
const here = whyPodmanCannot();

/** Polls `probe` until it returns a value, for at most `deadlineMs`. */
async function waitFor<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${deadlineMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

const succeeded = (result: CallResult) => assert.equal(result.code, 0, `${describeFailure(result)}\n${result.output}`);

const TITLE = 'the runner image, built and run with podman';
// Where podman cannot do it: one skipped test, its reason the command that failed and its message.
if ('why' in here) it(TITLE, { skip: here.why }, () => {});
else describe(TITLE, { timeout: 280_000 }, () => {
  const podman = here;
  const dir = mkdtempSync(join(tmpdir(), 'nvr-image-'));
  const envFile = join(dir, 'runner.env');
  const key = join(dir, 'gcs-key.json');
  const rootKey = join(dir, 'root-gcs-key.json');
  const cameras = demoCameras(2, 4);
  let stack: LocalStack;
  /** What `make` needs to build and run this test's image the way docs/container.md says. */
  let makeVars: string[];
  const runFlags = () => [...podman.runFlags, '--read-only', '--tmpfs', '/tmp', '--network=host', '--env-file', envFile];
  const make = (target: string, deadlineMs: number, ...vars: string[]) => call('make', ['-s', ...(target === 'runner-image' ? [] : ['-o', 'runner-image']), target, ...makeVars, ...vars], deadlineMs);

  before(async () => {
    stack = await startLocalStack(cameras);
    writeFileSync(envFile, `${Object.entries({ ...stack.env, SITE_ID: SITE }).map(([name, value]) => `${name}=${value}`).join('\n')}\n`);
    // A service-account key's shape (a fresh RSA key; nothing signs with it: the test servers take no token).
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const keyJson = JSON.stringify({ type: 'service_account', project_id: 'demo-project', private_key_id: 'k1', private_key: privateKey, client_email: 'nvr-backup-runner@demo-project.iam.gserviceaccount.com' });
    for (const file of [key, rootKey]) writeFileSync(file, keyJson, { mode: 0o400 });
    // The key as the docs set it up: owned by the container's uid 1000, mode 0400 (rootless podman: through its
    // user namespace). The other stays as a root-run host usually leaves it: owned by root (in the container), 0400.
    if (process.getuid?.() === 0) chownSync(key, 1000, 1000);
    else succeeded(await call('podman', ['unshare', 'chown', '1000:1000', key], 30_000));
    chmodSync(key, 0o400);
    makeVars = [
      'ENGINE=podman', `IMAGE=${IMAGE}`, `ENV_FILE=${envFile}`, `KEY_FILE=${key}`, `CONTAINER=${DAEMON}`,
      ...(podman.baseImage ? [`BASE_IMAGE=${podman.baseImage}`] : []),
      `BUILD_EXTRA_FLAGS=${podman.buildFlags.join(' ')}`, `RUN_EXTRA_FLAGS=--network=host ${podman.runFlags.join(' ')}`,
    ];
  });

  after(async () => {
    await Promise.all([DAEMON, FAILING].map((name) => call('podman', ['rm', '-f', '-t', '0', name], 60_000)));
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds from this checkout with make runner-image, a docker-format image with its HEALTHCHECK, user node', async () => {
    const started = Date.now();
    const build = await make('runner-image', 240_000);
    succeeded(build);
    const inspect = await call('podman', ['image', 'inspect', '--format', '{{.Size}}|{{.Config.User}}|{{json .Config.Healthcheck}}', IMAGE], 30_000);
    succeeded(inspect);
    const [size, user, health] = inspect.output.trim().split('|');
    assert.equal(user, 'node');
    assert.match(health ?? '', /runner\/healthcheck\.mjs/, 'podman keeps HEALTHCHECK only in the docker format');
    console.log(`image ${IMAGE}: ${Math.round(Number(size) / 1e6)} MB, built in ${((Date.now() - started) / 1000).toFixed(1)} s (base ${podman.baseImage ?? 'node:20-bookworm-slim'})`);
  });

  it('runs as uid 1000 on a read-only root with a writable /tmp, holds no development package, and prints its version', async () => {
    const probe = await call('podman', ['run', '--rm', ...runFlags(), '--entrypoint', 'node', IMAGE, '-e', `
      const fs = require('node:fs');
      const tryWrite = (path) => { try { fs.writeFileSync(path, 'x'); return 'written'; } catch (error) { return error.code; } };
      const devOnly = ['cdktf', '@cdktf', 'constructs', 'engine.io', 'typescript', 'tsx'].filter((name) => fs.existsSync('/app/node_modules/' + name));
      console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), app: tryWrite('/app/probe'), tmp: tryWrite('/tmp/probe'), devOnly }));`], 90_000);
    succeeded(probe);
    assert.deepEqual(JSON.parse(probe.output.trim().split('\n').findLast((line) => line.startsWith('{')) ?? '{}'), { uid: 1000, gid: 1000, app: 'EROFS', tmp: 'written', devOnly: [] });
    const version = await call('podman', ['run', '--rm', ...runFlags(), IMAGE, '--version'], 90_000);
    succeeded(version);
    const { version: expected } = JSON.parse(readFileSync(join(ROOT, 'runner/package.json'), 'utf8')) as { version: string };
    assert.match(version.output, new RegExp(`^${expected.replaceAll('.', '\\.')}$`, 'm'));
  });

  it('check passes against the local stack with the key mounted as the docs say (uid 1000, mode 0400, read-only)', async () => {
    // No GCS_KEYFILE_PATH in the env file: the image's default, /secrets/gcs-key.json, is where the key is mounted.
    const check = await call('podman', ['run', '--rm', ...runFlags(), '-v', `${key}:/secrets/gcs-key.json:ro`, IMAGE, 'check'], 120_000);
    succeeded(check);
    assert.match(check.output, /^ok +scrypted +logged in to .* 2 camera\(s\)/m);
    assert.match(check.output, /^ok +bucket +gs:\/\/demo-nvr-clips accepted a write/m);
    assert.match(check.output, /^ok +state +/m);
  });

  it('a key owned by root with mode 0400: make stops in its preflight, and the runner exits 2 with the fix', async () => {
    const preflight = await make('runner-preflight', 30_000, `KEY_FILE=${rootKey}`);
    assert.equal(preflight.code, 2, preflight.output);
    assert.match(preflight.output, /could not read it\.[\s\S]*fix: sudo chown 1000 .*root-gcs-key\.json && sudo chmod 0400/);
    const start = await call('podman', ['run', '--rm', ...runFlags(), '-v', `${rootKey}:/secrets/gcs-key.json:ro`, IMAGE, 'check'], 90_000);
    assert.equal(start.code, 2, start.output);
    assert.match(start.output, /GCS_KEYFILE_PATH names a file this user \(uid 1000\) cannot read: \/secrets\/gcs-key\.json \(owner uid 0, mode 0400\): on the host, chown 1000 the file and chmod 0400 it/);
    assert.doesNotMatch(start.output, /PRIVATE KEY/);
  });

  it('make runner-once backs up every clip into the bucket, byte for byte', async () => {
    const once = await make('runner-once', 180_000);
    succeeded(once);
    assert.match(once.output, /backup complete: 2 camera\(s\), 5 clip\(s\) uploaded/);
    const expected = new Map<string, string>();
    for (const camera of cameras) {
      for (const clip of camera.clips) {
        expected.set(objectName({ id: camera.id, name: camera.name }, { id: clip.id, cameraId: camera.id, startTime: clip.startTime, duration: clip.duration }, '', SITE), clip.id);
      }
    }
    assert.deepEqual((await stack.gcs.listObjects(stack.bucket)).filter((name) => !name.startsWith('_nvr-backup/check/')).sort(), [...expected.keys()].sort());
    for (const [name, clipId] of expected) {
      const path = stack.gcs.objectPath(stack.bucket, name);
      assert.ok(path, name);
      assert.equal(await fileSha256(path), await stack.scrypted.clipSha256(clipId), `${name} holds clip ${clipId}'s bytes`);
    }
  });

  it('make runner: the default command (daemon --watch) is healthy by its HEALTHCHECK after a success', async () => {
    succeeded(await make('runner', 120_000));
    const restart = await call('podman', ['inspect', '--format', '{{.HostConfig.RestartPolicy.Name}}', DAEMON], 30_000);
    assert.equal(restart.output.trim(), 'unless-stopped');
    // The daemon writes its heartbeat with lastSuccessAt once a check listed every camera with no run failing.
    const beat = await waitFor('a heartbeat with a success', 90_000, async () => {
      const read = await call('podman', ['exec', DAEMON, 'cat', '/tmp/nvr-backup-heartbeat'], 30_000);
      return read.code === 0 && read.output.includes('"lastSuccessAt"') ? read.output : undefined;
    });
    assert.match(beat, /"since":/);
    // Podman runs the HEALTHCHECK on its timer (systemd); `podman healthcheck run` runs it now, the same way.
    succeeded(await call('podman', ['healthcheck', 'run', DAEMON], 60_000));
    const health = await call('podman', ['inspect', '--format', '{{json .State.Health}}', DAEMON], 30_000);
    const state = JSON.parse(health.output.trim()) as { Status: string; Log: Array<{ ExitCode: number; Output: string }> };
    assert.equal(state.Status, 'healthy', health.output);
    assert.match(state.Log.at(-1)?.Output ?? '', /^healthy: heartbeat \d+ s old, last success 0 min ago/);
    const status = await make('runner-status', 60_000);
    succeeded(status);
    assert.match(status.output, /Front Door/);
    succeeded(await make('runner-stop', 60_000));
    assert.notEqual((await call('podman', ['container', 'exists', DAEMON], 30_000)).code, 0, 'runner-stop removes the container');
  });

  it('the daemon whose runs fail (a bucket that does not exist) is unhealthy by its HEALTHCHECK', async () => {
    const start = await call('podman', [
      'run', '-d', '--name', FAILING, ...runFlags(), '-e', 'GCS_KEYFILE_PATH=', '-e', 'GCS_BUCKET_NAME=no-such-bucket', '-e', 'SITE_ID=image-failing',
      '-e', 'HEALTHY_WITHIN_SECONDS=2', IMAGE,
    ], 60_000);
    succeeded(start);
    await waitFor('the first run, failed', 90_000, async () => {
      const logs = await call('podman', ['logs', FAILING], 30_000);
      return /"event":"job\.end","status":"(?!complete)/.test(logs.output) ? true : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const check = await call('podman', ['healthcheck', 'run', FAILING], 60_000);
    assert.equal(check.code, 1, check.output);
    assert.match(check.output, /unhealthy/);
    const health = await call('podman', ['inspect', '--format', '{{json .State.Health}}', FAILING], 30_000);
    const state = JSON.parse(health.output.trim()) as { Log: Array<{ ExitCode: number; Output: string }> };
    assert.match(state.Log.at(-1)?.Output ?? '', /^unhealthy: no run succeeded since the daemon started \d+ s ago \(limit 2 s; last run: /);
  });
});

// Builds runner/Dockerfile with the container engine that works here (podman, else docker) and runs the image
// as `make runner` does (read-only root, /tmp tmpfs, the env file) against the local stack on the host network:
// --version, check, one run. Where no engine works (none installed, no daemon, no registry for the base image and
// no NVR_BACKUP_BASE_IMAGE), it skips and says exactly why. `make runner-image-test` runs only this file.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { demoCameras, startLocalStack, type LocalStack } from '../support/local-stack.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const IMAGE = 'localhost/nvr-backup-runner:image-test';

/** The engine that answers `info`, or why none does. */
function workingEngine(): { engine: string } | { why: string } {
  const wanted = process.env.NVR_BACKUP_ENGINE?.trim();
  const reasons: string[] = [];
  for (const engine of wanted ? [wanted] : ['podman', 'docker']) {
    const probe = spawnSync(engine, ['info'], { encoding: 'utf8', timeout: 30_000 });
    if (probe.error) reasons.push(`${engine}: not installed (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message})`);
    else if (probe.status !== 0) reasons.push(`${engine}: \`${engine} info\` failed: ${(probe.stderr || probe.stdout).trim().split('\n').at(-1)}`);
    else return { engine };
  }
  return { why: `no container engine works here: ${reasons.join('; ')}` };
}

/** Runs a command without blocking the event loop (the local stack lives in this process). */
function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the runner image', { timeout: 1_200_000 }, () => {
  const found = workingEngine();
  let stack: LocalStack | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'nvr-image-'));
  before(async () => {
    if ('engine' in found) stack = await startLocalStack(demoCameras(2, 4));
  });
  after(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds, and runs --version, check and one backup read-only as uid 1000', async (t) => {
    if (!('engine' in found)) return t.skip(found.why);
    const { engine } = found;
    const base = process.env.NVR_BACKUP_BASE_IMAGE?.trim();
    const build = await run(engine, [
      'build', ...(engine === 'podman' ? ['--format', 'docker'] : []), ...(base ? ['--build-arg', `BASE_IMAGE=${base}`] : []),
      '-f', 'runner/Dockerfile', '-t', IMAGE, '.',
    ], 1_000_000);
    if (build.code !== 0 && !base && /pull|registry|manifest|resolve|dial tcp|no such host/i.test(build.output)) {
      return t.skip(`the base image cannot be pulled here (no registry); make one with tools/container/make-local-base.sh and set BASE_IMAGE: ${build.output.trim().split('\n').at(-1)}`);
    }
    assert.equal(build.code, 0, build.output);
    const envFile = join(dir, 'env');
    writeFileSync(envFile, `${Object.entries({ ...stack?.env, GCS_KEYFILE_PATH: '', SITE_ID: 'image' }).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
    const inContainer = (...args: string[]) => run(engine, ['run', '--rm', '--read-only', '--tmpfs', '/tmp', '--network=host', '--env-file', envFile, IMAGE, ...args], 300_000);
    const version = await inContainer('--version');
    assert.equal(version.code, 0, version.output);
    assert.match(version.output, /^\d+\.\d+\.\d+/m);
    const check = await inContainer('check');
    assert.equal(check.code, 0, check.output);
    const backup = await inContainer('run');
    assert.equal(backup.code, 0, backup.output);
    assert.match(backup.output, /backup complete: 2 camera\(s\), 5 clip\(s\) uploaded/);
    const user = await run(engine, ['run', '--rm', '--entrypoint', 'node', IMAGE, '-e', 'console.log(process.getuid())'], 120_000);
    assert.equal(user.output.trim(), '1000');
  });
});

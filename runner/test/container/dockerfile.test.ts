// What can be checked without a container engine: the Dockerfile's rules, compose.yaml's settings, and that a
// production install of the runner workspace alone starts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions per stage (line continuations joined, comments dropped). */
function parseDockerfile(text: string): Array<{ from: string; name: string | undefined; instructions: Instruction[] }> {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const stages: Array<{ from: string; name: string | undefined; instructions: Instruction[] }> = [];
  for (const line of joined.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const [keyword = '', ...rest] = trimmed.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const [from = '', , name] = rest;
      stages.push({ from, name, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

describe('runner/Dockerfile', () => {
  const text = readFileSync(join(root, 'runner/Dockerfile'), 'utf8');
  const stages = parseDockerfile(text);
  const final = stages.at(-1);
  const all = (keyword: string) => final?.instructions.filter((i) => i.keyword === keyword) ?? [];

  it('is multi-stage with the base image as a build argument (default an official Node 20 image)', () => {
    assert.ok(stages.length >= 2);
    assert.match(text, /^ARG BASE_IMAGE=node:20-[\w-]+$/m);
    assert.ok(stages.every((stage) => stage.from === '${BASE_IMAGE}'));
  });

  it('runs as a non-root user in the final stage', () => {
    const user = all('USER').at(-1)?.args;
    assert.ok(user && user !== 'root' && user !== '0', `USER ${user}`);
  });

  it('installs only production dependencies of the runner workspace in the final stage, and copies no infra code', () => {
    const runs = all('RUN').map((i) => i.args).join('\n');
    assert.match(runs, /npm ci --omit=dev --workspace runner/);
    assert.doesNotMatch(runs, /--include=dev|npm install/);
    for (const copy of all('COPY')) {
      assert.doesNotMatch(copy.args, /infra\/(src|main\.ts)|runner\/test|^\.\s|cdktf/, copy.args);
    }
    assert.ok(all('COPY').some((copy) => copy.args.startsWith('--from=build') && copy.args.includes('runner/dist')));
  });

  it('defaults to the daemon and has a health check', () => {
    assert.equal(all('ENTRYPOINT')[0]?.args, '["node", "--heap-growing-percent=300", "runner/dist/cli.js"]');
    assert.equal(all('CMD')[0]?.args, '["daemon", "--watch"]');
    assert.match(all('HEALTHCHECK')[0]?.args ?? '', /runner\/healthcheck\.mjs/);
  });
});

it('compose.yaml: restart unless-stopped, read-only root, /tmp tmpfs, the key mounted read-only', () => {
  const compose = readFileSync(join(root, 'compose.yaml'), 'utf8');
  assert.match(compose, /restart: unless-stopped/);
  assert.match(compose, /read_only: true/);
  assert.match(compose, /tmpfs:\s*\n\s*- \/tmp/);
  assert.match(compose, /:\/secrets\/gcs-key\.json:ro/);
  assert.match(compose, /env_file: runner\/\.env/);
});

describe('a production install of the runner workspace alone', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nvr-prod-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has no cdktf, provider package, test server or TypeScript, and starts --help', () => {
    for (const file of ['package.json', 'package-lock.json', 'runner/package.json', 'infra/package.json']) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      copyFileSync(join(root, file), join(dir, file));
    }
    const install = spawnSync('npm', ['ci', '--omit=dev', '--workspace', 'runner', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8' });
    assert.equal(install.status, 0, install.stderr);
    for (const absent of ['cdktf', '@cdktf', 'constructs', 'engine.io', 'typescript', 'tsx']) {
      assert.ok(!existsSync(join(dir, 'node_modules', absent)), `${absent} must not be installed`);
    }
    const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'runner/tsconfig.build.json'), '--outDir', join(dir, 'runner/dist')], { encoding: 'utf8' });
    assert.equal(build.status, 0, build.stdout + build.stderr);
    const help = spawnSync(process.execPath, [join(dir, 'runner/dist/cli.js'), '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /daemon/);
  });
});

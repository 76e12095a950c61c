// The real CLI, as a user runs it: a bad configuration exits 2 with every problem named, contacts nothing,
// and never prints the password.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const PASSWORD = 'pw-Zx81-never-print-me';

function runCli(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

describe('nvr-backup with a bad configuration', () => {
  for (const command of ['run', 'run --dry-run', 'daemon', 'status', 'check']) {
    it(`${command}: exit code 2, every problem named, no password`, () => {
      const { code, out } = runCli(command.split(' '), {
        SCRYPTED_HOST: 'ftp://nvr.local',
        SCRYPTED_PASSWORD: PASSWORD,
        GCS_BUCKET_NAME: 'Not A Bucket',
        CAMERA_CONCURRENCY: 'lots',
      });
      assert.equal(code, 2, out);
      assert.match(out, /configuration error \(nothing was contacted or written\)/);
      for (const name of ['SCRYPTED_HOST', 'SCRYPTED_USER', 'GCS_PROJECT_ID', 'GCS_BUCKET_NAME', 'CAMERA_CONCURRENCY']) {
        assert.match(out, new RegExp(`- ${name} `), `${name} not named in:\n${out}`);
      }
      assert.ok(!out.includes(PASSWORD), 'the password was printed');
    });
  }

  it('an unknown option or a bad --every is a usage error with exit code 2', () => {
    assert.equal(runCli(['run', '--no-such-flag'], {}).code, 2);
    const every = runCli(['daemon', '--every', 'soon'], {});
    assert.equal(every.code, 2);
    assert.match(every.out, /not a duration: "soon"/);
    const zero = runCli(['daemon', '--every', '0'], {});
    assert.equal(zero.code, 2);
    assert.match(zero.out, /must be at least 1m, got "0"/);
  });

  it('--help exits 0 and lists the commands', () => {
    const { code, out } = runCli(['--help'], {});
    assert.equal(code, 0);
    for (const command of ['run', 'daemon', 'status', 'check']) assert.match(out, new RegExp(`\\b${command}\\b`));
  });
});

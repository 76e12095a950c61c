// The key set up as a root-run host usually does it (owned by root, mode 0400) cannot be read by the container's
// user (uid 1000): the runner must say so at start, with the owner, the mode and the fix, exit 2, nothing
// contacted. Played here without a container: the real CLI runs as uid 1000 (possible only when the test runs as
// root; otherwise the bad-input table covers an unreadable file with this process's own uid).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI } from '../support/cli-process.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nvr-key-owner-'));
chmodSync(dir, 0o755);
after(() => rmSync(dir, { recursive: true, force: true }));

function readableBy1000(path: string): boolean {
  // The repository (tsx, the sources) must be readable by uid 1000 for the CLI to start as that user.
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

it('a root-owned 0400 key is refused at start for uid 1000, naming owner, mode and the fix (exit 2)', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('not running as root: cannot make a root-owned key and run the CLI as uid 1000 here');
  if (!readableBy1000(CLI)) return t.skip('the repository is not readable by uid 1000 here');
  const key = join(dir, 'gcs-key.json');
  writeFileSync(key, JSON.stringify({ client_email: 'r@p.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n' }));
  chmodSync(key, 0o400);
  const env = {
    PATH: process.env.PATH ?? '', HOME: '/tmp', SCRYPTED_HOST: 'https://127.0.0.1:9', SCRYPTED_USER: 'u', SCRYPTED_PASSWORD: 'pw-1234',
    GCS_PROJECT_ID: 'demo-project', GCS_BUCKET_NAME: 'demo-nvr-clips', GCS_KEYFILE_PATH: key,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'run'], { env, uid: 1000, gid: 1000, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (/EACCES|Cannot find (module|package)/.test(stderr) && !stderr.includes('configuration error')) {
    return t.skip(`uid 1000 cannot load the CLI from this checkout: ${stderr.split('\n')[0]}`);
  }
  assert.equal(code, 2, stderr);
  assert.match(stderr, /GCS_KEYFILE_PATH names a file this user \(uid 1000\) cannot read: .*gcs-key\.json \(owner uid 0, mode 0400\): on the host, chown 1000 the file and chmod 0400 it/);
});

// Bad configuration through the real CLI: exit code 2, every problem named, the "nothing was contacted or
// written" promise kept. SCRYPTED_HOST, GCS_ENDPOINT and FIRESTORE_EMULATOR_HOST all point at a TCP server this
// test listens with on 127.0.0.1, which must receive zero connections; the heartbeat file must not appear.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/cli-process.js';
import { startScryptedTestServer } from '../scrypted-server/server.js';
import { startGrpcDenyServer } from './grpc-deny-server.js';

const PASSWORD = 'pw-CliTable-5521-never-print';
const dir = mkdtempSync(join(tmpdir(), 'nvr-bad-cli-'));
const notJsonKey = join(dir, 'key.json');
writeFileSync(notJsonKey, '-----BEGIN PRIVATE KEY-----\nMIIfakeCliTableBody\n-----END PRIVATE KEY-----\n');

let server: Server;
let port = 0;
let connections = 0;

before(async () => {
  server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** A configuration that would be valid, aimed at the listening server; each row breaks it. */
function baseEnv(): Record<string, string> {
  return {
    SCRYPTED_HOST: `http://127.0.0.1:${port}`,
    SCRYPTED_USER: 'backup',
    SCRYPTED_PASSWORD: PASSWORD,
    GCS_PROJECT_ID: 'demo-project',
    GCS_BUCKET_NAME: 'demo-bucket',
    GCS_ENDPOINT: `http://127.0.0.1:${port}`,
    FIRESTORE_EMULATOR_HOST: `127.0.0.1:${port}`,
    HEARTBEAT_FILE: join(dir, 'heartbeat'),
    LOG_LEVEL: 'trace',
  };
}

interface CliRow {
  name: string;
  args: string[];
  /** Changes to the base environment; undefined removes the variable. */
  change: () => Record<string, string | undefined>;
  /** Variables that must be named, each on its own "  - NAME ..." line. */
  named: string[];
}

const rows: CliRow[] = [
  { name: 'a bucket name with spaces', args: ['run'], change: () => ({ GCS_BUCKET_NAME: 'Not A Bucket' }), named: ['GCS_BUCKET_NAME'] },
  { name: 'no password (dry run)', args: ['run', '--dry-run'], change: () => ({ SCRYPTED_PASSWORD: undefined }), named: ['SCRYPTED_PASSWORD'] },
  { name: 'a key file that is not JSON', args: ['check'], change: () => ({ GCS_KEYFILE_PATH: notJsonKey }), named: ['GCS_KEYFILE_PATH'] },
  { name: 'an unknown log level, daemon', args: ['daemon', '--every', '1h'], change: () => ({ LOG_LEVEL: 'loud' }), named: ['LOG_LEVEL'] },
  { name: 'an odd state document path', args: ['status'], change: () => ({ STATE_DOCUMENT: 'nvr-backup' }), named: ['STATE_DOCUMENT'] },
  {
    name: 'zero concurrency and a negative settle time',
    args: ['run'],
    change: () => ({ CAMERA_CONCURRENCY: '0', SETTLE_SECONDS: '-1' }),
    named: ['CAMERA_CONCURRENCY', 'SETTLE_SECONDS'],
  },
  {
    name: 'a GCS endpoint that is not http(s), Scrypted reachable',
    args: ['check'],
    change: () => ({ GCS_ENDPOINT: `ftp://127.0.0.1:${port}` }),
    named: ['GCS_ENDPOINT'],
  },
  // Issue 18 row 17: configuration the README promises to refuse at start.
  { name: 'a quoted Scrypted host', args: ['check'], change: () => ({ SCRYPTED_HOST: `"http://127.0.0.1:${port}"` }), named: ['SCRYPTED_HOST'] },
  { name: 'a Scrypted host with a path that would be dropped', args: ['run'], change: () => ({ SCRYPTED_HOST: `http://127.0.0.1:${port}/scrypted` }), named: ['SCRYPTED_HOST'] },
  { name: 'a bucket name with the goog prefix', args: ['run'], change: () => ({ GCS_BUCKET_NAME: 'goog-nvr-clips' }), named: ['GCS_BUCKET_NAME'] },
  { name: 'a bucket name with a misspelt google', args: ['check'], change: () => ({ GCS_BUCKET_NAME: 'nvr-g00gle-clips' }), named: ['GCS_BUCKET_NAME'] },
  { name: 'an IP-like bucket name', args: ['run'], change: () => ({ GCS_BUCKET_NAME: '192.168.5.4' }), named: ['GCS_BUCKET_NAME'] },
  { name: 'a reserved state collection', args: ['status'], change: () => ({ STATE_DOCUMENT: '__nvr__/home' }), named: ['STATE_DOCUMENT'] },
  { name: 'a password of blanks', args: ['run'], change: () => ({ SCRYPTED_PASSWORD: '   ' }), named: ['SCRYPTED_PASSWORD'] },
  { name: 'an upload limit in an unknown unit', args: ['run'], change: () => ({ UPLOAD_LIMIT: '4X' }), named: ['UPLOAD_LIMIT'] },
  {
    name: 'a Scrypted URL that carries the password',
    args: ['run'],
    change: () => ({ SCRYPTED_HOST: `http://backup:${PASSWORD}@127.0.0.1:${port}` }),
    named: ['SCRYPTED_HOST'],
  },
];

describe('the real CLI with a bad configuration (table)', () => {
  for (const row of rows) {
    it(`${row.args.join(' ')} with ${row.name}: exit 2, named, nothing contacted or written`, async () => {
      const env = baseEnv();
      for (const [key, value] of Object.entries(row.change())) {
        if (value === undefined) delete env[key];
        else env[key] = value;
      }
      const before = connections;
      const { code, stdout, stderr } = await runCli(row.args, env, 60_000);
      const out = `${stdout}${stderr}`;
      assert.equal(code, 2, out);
      assert.match(stderr, /^configuration error \(nothing was contacted or written\):\n/);
      for (const name of row.named) assert.match(stderr, new RegExp(`^ {2}- ${name} \\S`, 'm'), `${name} not named in:\n${stderr}`);
      assert.equal(stdout, '', 'nothing is logged before the configuration is valid');
      assert.ok(!out.includes(PASSWORD), 'the password was printed');
      assert.ok(!out.includes('MIIfakeCliTableBody'), 'key material was printed');
      // Give any stray connection attempt time to arrive before counting.
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(connections - before, 0, 'the CLI connected to SCRYPTED_HOST / GCS_ENDPOINT / FIRESTORE_EMULATOR_HOST');
      assert.ok(!existsSync(env.HEARTBEAT_FILE ?? join(dir, 'heartbeat')), 'the heartbeat file was written');
    });
  }

  it('a password with a trailing space is sent verbatim (the Scrypted test server accepts it; trimmed, it would not)', async () => {
    const password = `${PASSWORD} `;
    const scrypted = await startScryptedTestServer({ cameras: [], password });
    const firestore = await startGrpcDenyServer();
    try {
      const env = {
        ...baseEnv(), SCRYPTED_HOST: scrypted.baseUrl, SCRYPTED_USER: scrypted.username, SCRYPTED_PASSWORD: password, FIRESTORE_EMULATOR_HOST: firestore.host, GCS_MAX_ATTEMPTS: '1', SCRYPTED_TIMEOUT_SECONDS: '5',
      };
      const verbatim = await runCli(['check'], env, 90_000);
      assert.match(verbatim.stdout, /^ok {6}scrypted/m, `${verbatim.stdout}${verbatim.stderr}`);
      const trimmed = await runCli(['check'], { ...env, SCRYPTED_PASSWORD: PASSWORD }, 90_000);
      assert.match(trimmed.stdout, /^FAILED {2}scrypted/m, 'the server accepted a password without its trailing space');
    } finally {
      await Promise.all([scrypted.close(), firestore.close()]);
    }
  });

  it('the listening server does count connections (so the zero above can fail)', async () => {
    const firestore = await startGrpcDenyServer();
    try {
      const before = connections;
      const env = { ...baseEnv(), FIRESTORE_EMULATOR_HOST: firestore.host, SCRYPTED_TIMEOUT_SECONDS: '5', GCS_MAX_ATTEMPTS: '1' };
      const { code, stdout, stderr } = await runCli(['check'], env, 90_000);
      assert.equal(code, 1, `${stdout}${stderr}`);
      assert.match(stdout, /FAILED {2}scrypted/);
      assert.match(stdout, /FAILED {2}bucket/);
      // Scrypted and GCS both point at the counting server: a valid configuration does contact it.
      assert.ok(connections - before >= 2, `only ${connections - before} connection(s) counted`);
    } finally {
      await firestore.close();
    }
  });
});

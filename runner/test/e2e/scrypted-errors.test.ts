// Errors about Scrypted that a person can act on, through the real CLI: wrong credentials (a bare HTTP 401 on
// GET /login, as the real server answers Basic auth), an address where nothing listens, and a server that goes
// away between the login and the socket (engine.io's error is not an Error: never "[object Object]").
import assert from 'node:assert/strict';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/cli-process.js';
import { startScryptedTestServer, type ScryptedTestServer } from '../scrypted-server/server.js';

let tls: ScryptedTestServer;
let plain: ScryptedTestServer;
const cameras = [{ id: '1', name: 'Front', clips: [] }];

before(async () => {
  [tls, plain] = await Promise.all([startScryptedTestServer({ cameras, tls: true }), startScryptedTestServer({ cameras })]);
});
after(async () => {
  await Promise.all([tls?.close(), plain?.close()]);
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// Nothing is contacted but Scrypted: the state store and the bucket point at closed ports.
async function envFor(server: { baseUrl: string; username: string; password: string }, extra: Record<string, string> = {}) {
  const dead = await closedPort();
  return {
    SCRYPTED_HOST: server.baseUrl, SCRYPTED_USER: server.username, SCRYPTED_PASSWORD: server.password,
    GCS_PROJECT_ID: 'demo-project', GCS_BUCKET_NAME: 'demo-bucket', GCS_ENDPOINT: `http://127.0.0.1:${dead}`,
    FIRESTORE_EMULATOR_HOST: `127.0.0.1:${dead}`, METADATA_SERVER_DETECTION: 'none', LOG_LEVEL: 'silent', ...extra,
  };
}

describe('Scrypted errors through the CLI', { timeout: 300_000 }, () => {
  it('a wrong password (bare HTTP 401 on GET /login) says so and names SCRYPTED_USER and SCRYPTED_PASSWORD', async () => {
    // The test server answers as the real one does: 401, empty body, no WWW-Authenticate.
    const answer = await new Promise<{ status: number | undefined; body: string; challenge: unknown }>((resolve, reject) => {
      const request = httpsGet(`${tls.baseUrl}/login`, { ca: tls.certPem, headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += String(chunk)));
        response.on('end', () => resolve({ status: response.statusCode, body, challenge: response.headers['www-authenticate'] }));
      });
      request.on('error', reject);
    });
    assert.deepEqual(answer, { status: 401, body: '', challenge: undefined });
    const result = await runCli(['run'], await envFor({ ...tls, password: 'wrong-Pa55word' }, { SCRYPTED_CA_FILE: tls.certFile as string }));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /wrong user name or password for user "admin" \(HTTP 401\): check SCRYPTED_USER and SCRYPTED_PASSWORD/);
    assert.ok(!result.stderr.includes('not JSON'));
    assert.ok(!(result.stdout + result.stderr).includes('wrong-Pa55word'));
  });

  it('an unknown user gets the same bare 401 and the same advice', async () => {
    const result = await runCli(['run'], await envFor({ ...tls, username: 'nobody' }, { SCRYPTED_CA_FILE: tls.certFile as string }));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /for user "nobody" \(HTTP 401\): check SCRYPTED_USER and SCRYPTED_PASSWORD/);
  });

  it('nothing listening at SCRYPTED_HOST: names the setting and the address', async () => {
    const address = `http://127.0.0.1:${await closedPort()}`;
    const result = await runCli(['run'], await envFor({ ...plain, baseUrl: address }));
    assert.equal(result.code, 1);
    assert.ok(result.stderr.includes(`cannot reach Scrypted at ${address} (connect ECONNREFUSED`), result.stderr);
    assert.match(result.stderr, /check SCRYPTED_HOST/);
  });

  it('Scrypted gone between the login and the socket: a reason and SCRYPTED_HOST, never [object Object]', async () => {
    plain.refuseWebsocket(true);
    try {
      const result = await runCli(['run'], await envFor(plain));
      assert.equal(result.code, 1);
      assert.ok(!result.stderr.includes('[object Object]'), result.stderr);
      assert.match(result.stderr, /cannot open the Scrypted socket at http:\/\/127\.0\.0\.1:\d+\/endpoint\/@scrypted\/core\/engine\.io\/api\/ \((socket hang up|read ECONNRESET)[^)]*\): check SCRYPTED_HOST/);
    } finally {
      plain.refuseWebsocket(false);
    }
  });
});

// Secrets in logs, as a table: the logger from runner/src/log.ts at level trace, secrets registered the way the
// app does (cli.ts registers SCRYPTED_PASSWORD; loadConfig registers the key file's private_key and
// private_key_id), then every level logs objects and Errors carrying the secrets under secret keys and under
// innocent ones. No secret (nor any line of the PEM body, nor a JSON-escaped form) may reach the output, while
// the innocent text of every line must. Last, the real CLI `check` with a key file, at trace, against nothing;
// and `check` and `run` with DEBUG=* (engine.io-client's `debug` output) against the Scrypted test server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createLogger, registerSecret, scrubSecrets, type Logger } from '../../src/log.js';
import { runCli } from '../support/cli-process.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';
import { startScryptedTestServer, type ScryptedTestServer } from '../scrypted-server/server.js';
import { startGrpcDenyServer, type DenyServer } from './grpc-deny-server.js';

// A password with the characters JSON escapes, so an escaped copy in a log line is caught too.
const PASSWORD = 'pw-"Secret"\\Q7-never-logged';
const TOKEN = 'tok-4f1c9b2e7d-session-bearer';
const PEM_BODY = ['MIIfakeEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7', 'MIIfakeSecondLineOfTheKeyBodyZZ0123456789abcdefABCDEF+/=='];
const PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY.join('\n')}\n-----END PRIVATE KEY-----\n`;
const PRIVATE_KEY_ID = '9f3e2a1b0c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f';

const dir = mkdtempSync(join(tmpdir(), 'nvr-secrets-'));
const keyFile = join(dir, 'gcs-key.json');
writeFileSync(
  keyFile,
  JSON.stringify({
    type: 'service_account',
    project_id: 'demo-project',
    private_key_id: PRIVATE_KEY_ID,
    private_key: PRIVATE_KEY,
    client_email: 'nvr-runner@demo-project.iam.gserviceaccount.com',
    client_id: '100000000000000000001',
    token_uri: 'https://oauth2.googleapis.com/token',
  }),
);
after(() => rmSync(dir, { recursive: true, force: true }));

const validEnv = {
  SCRYPTED_HOST: 'https://192.168.1.10:10443',
  SCRYPTED_USER: 'backup',
  SCRYPTED_PASSWORD: PASSWORD,
  GCS_PROJECT_ID: 'demo-project',
  GCS_BUCKET_NAME: 'demo-bucket',
  GCS_KEYFILE_PATH: keyFile,
};

/** Every form a secret could take in a JSON log line: raw, escaped once, escaped twice. */
function forms(secret: string): string[] {
  const once = JSON.stringify(secret).slice(1, -1);
  return [secret, once, JSON.stringify(once).slice(1, -1)];
}

const KEY_SECRETS = [PRIVATE_KEY, ...PEM_BODY, PRIVATE_KEY_ID, PEM_BODY.join('\n'), PEM_BODY.join('\\n')];
const APP_SECRETS = [PASSWORD, ...KEY_SECRETS];

function assertNoSecret(output: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    for (const form of forms(secret)) {
      assert.ok(!output.includes(form), `secret leaked (${JSON.stringify(form.slice(0, 24))}…) in:\n${output}`);
    }
  }
}

function memoryLogger(): { logger: Logger; output: () => string } {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { logger: createLogger({ level: 'trace', destination }), output: () => text };
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** One way of putting a secret into a log call; `marker` is innocent text that must appear. */
interface Shape {
  name: string;
  log: (logger: Logger, level: (typeof LEVELS)[number], secret: string, marker: string) => void;
  /** False when pino itself drops the innocent text (an Error under an ordinary key serializes as {}). */
  markerInPayload?: boolean;
}

const withStack = (secret: string, marker: string): Error => {
  const error = new Error(`stack-only ${marker}`);
  error.stack = `Error: stack-only ${marker}\n    at connect (${secret}:1:1)\n    at ${secret}`;
  return error;
};

const shapes: Shape[] = [
  { name: 'under key password', log: (l, v, s, m) => l[v]({ password: s, note: m }, m) },
  { name: 'under key private_key', log: (l, v, s, m) => l[v]({ private_key: s, note: m }, m) },
  { name: 'under key token', log: (l, v, s, m) => l[v]({ token: s, note: m }, m) },
  { name: 'under key authorization (Bearer)', log: (l, v, s, m) => l[v]({ authorization: `Bearer ${s}`, note: m }, m) },
  { name: 'nested secret key (request.headers.authorization)', log: (l, v, s, m) => l[v]({ request: { headers: { authorization: s }, note: m } }, m) },
  { name: 'under innocent key detail', log: (l, v, s, m) => l[v]({ detail: s, note: m }, m) },
  { name: 'in the message text', log: (l, v, s, m) => l[v](`login with ${s} ${m}`) },
  { name: 'as a %s / %o / %j format argument', log: (l, v, s, m) => l[v](`${m} %s %o %j`, s, { detail: s }, { deep: { value: s } }) },
  { name: 'deep under innocent keys', log: (l, v, s, m) => l[v]({ request: { body: { note: m, fields: [{ value: s }] } } }, m) },
  { name: 'in an array', log: (l, v, s, m) => l[v]({ list: [m, s, { detail: s }] }, m) },
  { name: 'Error under err', log: (l, v, s, m) => l[v]({ err: new Error(`login failed for ${s} ${m}`) }, m) },
  { name: 'Error as the only argument', log: (l, v, s, m) => l[v](new Error(`boom ${s} ${m}`)) },
  { name: 'Error with a secret only in its stack', log: (l, v, s, m) => l[v]({ err: withStack(s, m) }, m) },
  { name: 'Error with a secret in its cause', log: (l, v, s, m) => l[v]({ err: new Error(`outer ${m}`, { cause: new Error(`inner ${s}`) }) }, m) },
  { name: 'Error under innocent key detail', log: (l, v, s, m) => l[v]({ detail: new Error(`boom ${s} ${m}`) }, `msg ${m}`), markerInPayload: false },
  { name: 'child logger bindings', log: (l, v, s, m) => l.child({ session: s, token: s, detail: m })[v](m) },
  { name: 'a string-valued err', log: (l, v, s, m) => l[v]({ event: 'clip.failed', err: `request failed: ${s} ${m}` }, m) },
];

const secrets: Array<{ name: string; value: string }> = [
  { name: 'the Scrypted password', value: PASSWORD },
  { name: "the key file's private_key (PEM)", value: PRIVATE_KEY },
  { name: 'one line of the PEM body', value: PEM_BODY[1] as string },
  { name: "the key file's private_key_id", value: PRIVATE_KEY_ID },
];

describe('secrets in logs (table)', () => {
  before(() => {
    // Before the configuration is loaded, nothing about the key is known: the assertions below can fail.
    assert.equal(scrubSecrets(`x ${PRIVATE_KEY_ID} ${PEM_BODY[0]}`), `x ${PRIVATE_KEY_ID} ${PEM_BODY[0]}`);
    // What the app does: loadConfig validates the key file and registers its private_key and private_key_id;
    // cli.ts registers the password.
    const result = loadConfig(validEnv);
    assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
    registerSecret(result.config.scrypted.password);
  });

  it('loading the configuration registered the key file material (scrubSecrets redacts it)', () => {
    assert.equal(scrubSecrets(`a ${PRIVATE_KEY_ID} b`), 'a [REDACTED] b');
    assert.equal(scrubSecrets(`a ${PEM_BODY[0]} b`), 'a [REDACTED] b');
    assert.equal(scrubSecrets(`a ${PASSWORD} b`), 'a [REDACTED] b');
  });

  for (const secret of secrets) {
    for (const shape of shapes) {
      it(`${secret.name}, ${shape.name}, at every level: redacted, innocent text kept`, () => {
        const { logger, output } = memoryLogger();
        const marker = `visible-${shapes.indexOf(shape)}-note`;
        for (const level of LEVELS) shape.log(logger, level, secret.value, marker);
        const text = output();
        const lines = text.trim().split('\n');
        assert.equal(lines.length, LEVELS.length, text);
        for (const [index, line] of lines.entries()) {
          const parsed = JSON.parse(line) as { level: string };
          assert.equal(parsed.level, LEVELS[index]);
          assert.ok(line.includes(marker), `innocent text missing at ${LEVELS[index]}: ${line}`);
        }
        assertNoSecret(text, APP_SECRETS);
        if (shape.markerInPayload !== false) assert.match(text, /\[REDACTED\]/);
      });
    }
  }

  // The Scrypted session token from /login is not registered by the app (only SCRYPTED_PASSWORD is, which may
  // itself be the long-lived token): it is kept out of logs by key only. These rows pin that down.
  for (const shape of shapes.filter((candidate) => /key (token|authorization)|nested secret key/.test(candidate.name))) {
    it(`an unregistered session token, ${shape.name}, at every level: redacted by key`, () => {
      const { logger, output } = memoryLogger();
      for (const level of LEVELS) shape.log(logger, level, TOKEN, 'visible-token-note');
      const text = output();
      assert.equal(text.trim().split('\n').length, LEVELS.length);
      assert.ok(text.includes('visible-token-note'));
      assertNoSecret(text, [TOKEN]);
    });
  }

  it('a token registered with registerSecret is scrubbed under innocent keys and in errors too', () => {
    const { logger, output } = memoryLogger();
    const token = 'tok-registered-77aa-bb88';
    logger.info({ detail: token }, 'before registering');
    assert.ok(output().includes(token), 'an unregistered token under an innocent key is expected to show');
    registerSecret(token);
    for (const shape of shapes) for (const level of LEVELS) shape.log(logger, level, token, 'visible-registered');
    const after = output().split('\n').slice(1).join('\n');
    assert.ok(after.includes('visible-registered'));
    assertNoSecret(after, [token]);
  });
});

describe('the real CLI `check` with a service-account key, at trace, against nothing', () => {
  let firestore: DenyServer;
  before(async () => {
    firestore = await startGrpcDenyServer();
  });
  after(async () => {
    await firestore.close();
  });

  it('never prints the private key, its id, or the password', async () => {
    // An unused loopback port: listen on an ephemeral one, then close it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { code, stdout, stderr } = await runCli(
      ['check'],
      {
        ...validEnv,
        SCRYPTED_HOST: `http://127.0.0.1:${port}`,
        GCS_ENDPOINT: `http://127.0.0.1:${port}`,
        // Firestore answers PERMISSION_DENIED at once (a closed port would make its client retry for minutes).
        FIRESTORE_EMULATOR_HOST: firestore.host,
        GCS_MAX_ATTEMPTS: '1',
        SCRYPTED_TIMEOUT_SECONDS: '5',
        LOG_LEVEL: 'trace',
      },
      90_000,
    );
    const out = `${stdout}${stderr}`;
    assert.equal(code, 1, out);
    assert.match(stdout, /FAILED {2}scrypted/);
    assert.match(stdout, /FAILED {2}bucket/);
    assert.match(stdout, /FAILED {2}state/);
    assertNoSecret(out, APP_SECRETS);
  });
});

describe('DEBUG=* (the `debug` module of engine.io-client) against the Scrypted test server', () => {
  let firestore: DenyServer;
  let gcs: GcsTestServer;
  const servers: ScryptedTestServer[] = [];
  before(async () => {
    firestore = await startGrpcDenyServer();
    gcs = await startGcsTestServer({ buckets: ['demo-bucket'] });
  });
  after(async () => {
    await Promise.all([firestore.close(), gcs.close(), ...servers.map((server) => server.close())]);
  });

  // A short-lived token is sha256 hex, '#', then JSON naming the user (scrypted-protocol.md §2).
  const SHORT_LIVED_TOKEN = /[0-9a-f]{64}#/;

  for (const tls of [true, false]) {
    it(`${tls ? 'HTTPS (GET /login, long-lived token)' : 'HTTP (POST /login, short-lived token)'}: the Bearer token and password never print`, async () => {
      const scrypted = await startScryptedTestServer({ tls, password: PASSWORD, cameras: [{ id: '101', name: 'Front', clips: [] }] });
      servers.push(scrypted);
      const { code, stdout, stderr } = await runCli(
        ['check'],
        {
          ...validEnv,
          GCS_KEYFILE_PATH: '',
          SCRYPTED_HOST: scrypted.baseUrl,
          ...(scrypted.certFile ? { SCRYPTED_CA_FILE: scrypted.certFile } : {}),
          SCRYPTED_USER: scrypted.username,
          GCS_ENDPOINT: gcs.endpoint,
          FIRESTORE_EMULATOR_HOST: firestore.host,
          METADATA_SERVER_DETECTION: 'none',
          GCS_MAX_ATTEMPTS: '1',
          SCRYPTED_TIMEOUT_SECONDS: '5',
          LOG_LEVEL: 'trace',
          DEBUG: '*',
          DEBUG_COLORS: 'no',
        },
        60_000,
      );
      const out = `${stdout}${stderr}`;
      // The checks ran and the debug output is there (else this test could not fail).
      assert.match(stdout, /ok +scrypted/, out);
      assert.match(stderr, /engine\.io-client:socket/, 'no debug output from engine.io-client');
      assert.match(stderr, /engine\.io-client:socket options/, out);
      assert.match(stderr, /"Authorization":"Bearer \[REDACTED\]"/, 'the header is in the debug output, scrubbed');
      if (tls) assertNoSecret(out, [scrypted.longLivedToken()]);
      assert.doesNotMatch(out, SHORT_LIVED_TOKEN);
      assertNoSecret(out, [PASSWORD, Buffer.from(`${scrypted.username}:${PASSWORD}`).toString('base64')]);
      assert.equal(code, 1, 'the state check fails against the deny server');
    });
  }
});

// The clip-bytes retry budget (fetch-retry.ts) on a simulated clock, and the local-URI answer checks
// (local-uri.ts): pure functions, no peer needed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnsupportedClipError } from '../../src/core/errors.js';
import { ScryptedHttpError } from '../../src/scrypted/clip-bytes.js';
import { ClipAnswerError } from '../../src/scrypted/clip-body-check.js';
import { ClipFetchRetry, markAnsweredByScrypted, retryVerdict } from '../../src/scrypted/fetch-retry.js';
import { assertFileLike, localUriFromAnswer, MAX_LOCAL_URI_BYTES } from '../../src/scrypted/local-uri.js';

const BASE = 'https://nvr.local:10443';
const status = (code: number) => new ScryptedHttpError(`HTTP ${code}`, code);
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:10443'), { code: 'ECONNREFUSED' });

/** A retry whose sleeps move a simulated clock. */
function simulated(budgetMs: number) {
  let now = 1_000_000;
  const retry = new ClipFetchRetry({ budgetMs, clock: () => now, random: () => 0.5, sleep: async (ms) => void (now += ms) });
  return { retry, now: () => now, advance: (ms: number) => void (now += ms) };
}

const quiet = { relogin: async () => undefined, onRetry: () => undefined };

describe('the retry budget for a clip\'s bytes', () => {
  it('rides out a 30 s restart (refused connections, then 500s while plugins start) within the default 60 s', async () => {
    const clock = simulated(60_000);
    const start = clock.now();
    const result = await clock.retry.run('c\u00001', async () => {
      const elapsed = clock.now() - start;
      if (elapsed < 25_000) throw refused();
      if (elapsed < 30_000) throw status(500);
      return 'bytes';
    }, quiet);
    assert.equal(result, 'bytes');
    assert.ok(clock.now() - start < 36_000, `took ${clock.now() - start} ms of simulated time`);
  });

  it('gives up with the real reason once the clip\'s budget is spent, and its later attempts get no new budget', async () => {
    const clock = simulated(10_000);
    let tries = 0;
    await assert.rejects(clock.retry.run('c\u00002', async () => { tries += 1; throw status(503); }, quiet), /HTTP 503/);
    assert.ok(tries > 2 && clock.now() - 1_000_000 <= 10_000);
    const before = tries;
    await assert.rejects(clock.retry.run('c\u00002', async () => { tries += 1; throw status(503); }, quiet), /HTTP 503/);
    assert.equal(tries - before, 1, 'the sink\'s next attempt of the same clip is tried once');
  });

  it('a Scrypted that stays unreachable costs one budget for the run, not one per clip', async () => {
    const clock = simulated(5_000);
    await assert.rejects(clock.retry.run('a', async () => { throw refused(); }, quiet), /ECONNREFUSED/);
    let tries = 0;
    await assert.rejects(clock.retry.run('b', async () => { tries += 1; throw refused(); }, quiet), /ECONNREFUSED/);
    assert.equal(tries, 1);
  });

  it('logs in again at once after a 401, once, then succeeds', async () => {
    const clock = simulated(60_000);
    const waits: number[] = [];
    let logins = 0;
    let token = 'old';
    const result = await clock.retry.run('c', async () => {
      if (token === 'old') throw status(401);
      return token;
    }, { relogin: async () => { logins += 1; token = 'new'; }, onRetry: (_e, _t, delayMs) => waits.push(delayMs) });
    assert.equal(result, 'new');
    assert.equal(logins, 1);
    assert.deepEqual(waits, [0]);
  });

  it('never retries an unsupported clip, an answer Scrypted gave over a live connection, a 403, or after an abort', async () => {
    for (const error of [new UnsupportedClipError('ffmpeg only'), markAnsweredByScrypted(new Error('clip not found')), status(403)]) {
      const clock = simulated(60_000);
      let tries = 0;
      await assert.rejects(clock.retry.run('c', async () => { tries += 1; throw error; }, quiet));
      assert.equal(tries, 1, String(error));
    }
    const aborted = AbortSignal.abort();
    assert.equal(retryVerdict(refused(), aborted), 'stop');
    assert.equal(retryVerdict(status(404)), 'retry', 'a plugin endpoint answers 404 until its plugin is up');
    assert.equal(retryVerdict(new Error('connection to Scrypted closed (transport close)')), 'retry');
    assert.equal(retryVerdict(new ClipAnswerError('Scrypted answered clip bytes at /x with content type "text/html", not a video')), 'stop', 'an answer that is not a clip comes from a live server');
  });
});

describe('the text/x-local-uri answer', () => {
  const url = 'https://undefined:10443/endpoint/22/public/0f8b.mp4';

  it('accepts a Buffer (server 0.144.2), a Uint8Array, a string and Node\'s Buffer JSON; keeps only path and query', () => {
    for (const answer of [Buffer.from(url), new Uint8Array(Buffer.from(url)), url, { type: 'Buffer', data: [...Buffer.from(url)] }, `/endpoint/22/public/0f8b.mp4`]) {
      assert.equal(localUriFromAnswer(answer, BASE, 'c1').href, `${BASE}/endpoint/22/public/0f8b.mp4`);
    }
  });

  it('refuses what is not a URL under /endpoint/, saying why, without echoing it', () => {
    const cases: Array<[unknown, RegExp]> = [
      [undefined, /is undefined, not a URL/],
      [null, /is null, not a URL/],
      [42, /is number, not a URL/],
      [['x'], /is an array, not a URL/],
      [{ type: 'Buffer', data: [300] }, /is object, not a URL/],
      [Buffer.alloc(0), /is empty/],
      [Buffer.alloc(MAX_LOCAL_URI_BYTES + 1, 0x61), /8193 bytes, more than the 8192 a URL may have/],
      [Buffer.from([0xff, 0xfe, 0x2f]), /not UTF-8/],
      ['https://x/endpoint/a b', /whitespace or control/],
      ['file:///etc/passwd', /file: URL, not http/],
      ['https://x/login', /outside Scrypted's \/endpoint\/ paths/],
      ['/endpoint/../login', /outside/],
    ];
    for (const [answer, says] of cases) assert.throws(() => localUriFromAnswer(answer, BASE, 'c1'), says, String(answer).slice(0, 40));
  });

  it('tells ffmpeg inputs and live streams (with MIME parameters, any case) from file and buffer MediaObjects', () => {
    for (const mimeType of ['x-scrypted/x-ffmpeg-input', 'X-Scrypted/X-FFmpeg-Input; charset=utf-8', 'text/x-media-url']) {
      assert.throws(() => assertFileLike({ mimeType }, 'c1'), (error: Error) => error.name === 'UnsupportedClipError');
    }
    for (const mimeType of ['x-scrypted/x-scrypted-scheme-file', 'video/mp4', undefined, 42]) assert.doesNotThrow(() => assertFileLike({ mimeType }, 'c1'));
  });
});

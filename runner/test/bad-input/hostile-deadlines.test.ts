// Bad-input table for deadlines and caps (issue 18 row 10), through the real CLI with SCRYPTED_TIMEOUT_SECONDS=1:
// a login answer that trickles one byte at a time, a login answer of 4 MiB, and a clip that trickles one byte
// every 300 ms (often enough that no idle timeout fires). Each fails with a clear error instead of holding the
// run (and its lease) open, or memory, without bound; the trickled clip leaves no object and the clips around
// it land.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { objectName } from '../../src/core/object-name.js';
import { runCli } from '../support/cli-process.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';
import type { TestCamera, TestClip } from '../scrypted-server/server.js';

const MINUTE = 60_000;
const now = Date.now();
const clip = (id: string, minutesAgo: number, seed: number): TestClip => ({
  id, startTime: now - minutesAgo * MINUTE, duration: 15_000, generate: { sizeBytes: 30_000, seed },
});
const camera: TestCamera = { id: '701', name: 'Drive', clips: [clip('d1', 50, 1), clip('d2', 40, 2), clip('d3', 30, 3)] };

let stack: LocalStack;
before(async () => {
  stack = await startLocalStack([camera], 'hostile-deadlines');
});
after(async () => {
  await stack?.stop();
});

const env = () => ({ ...stack.env, SCRYPTED_TIMEOUT_SECONDS: '1', GCS_MAX_ATTEMPTS: '1' });
// Generous bounds for a loaded machine: without the deadlines each of these runs would never end.
const BOUND_MS = 30_000;

describe('deadlines and caps on what Scrypted sends, through the real CLI', { timeout: 120_000 }, () => {
  it('a login answer that trickles fails with the login deadline', async () => {
    stack.scrypted.hostile.set({ login: 'trickle', trickleMs: 200 });
    const result = await runCli(['run'], env(), BOUND_MS);
    assert.notEqual(result.code, 0);
    assert.match(`${result.stdout}${result.stderr}`, /Scrypted's answer to POST \/login did not finish within 1000 ms/);
    assert.deepEqual(await stack.gcs.listObjects(stack.bucket), []);
  });

  it('a login answer of 4 MiB fails at the 1 MiB cap, without reading the rest', async () => {
    stack.scrypted.hostile.set({ login: 'huge' });
    const result = await runCli(['run'], env(), BOUND_MS);
    assert.notEqual(result.code, 0);
    assert.match(`${result.stdout}${result.stderr}`, /Scrypted's answer to POST \/login is larger than 1048576 bytes/);
  });

  it('a clip that trickles one byte every 300 ms fails below the floor rate; no object, the others land, exit 1', async () => {
    stack.scrypted.hostile.set({ clips: new Map([['d2', 'trickle']]), trickleMs: 300 });
    const result = await runCli(['run'], env(), BOUND_MS);
    const out = `${result.stdout}${result.stderr}`;
    assert.equal(result.code, 1, out);
    assert.match(result.stderr, /backup incomplete: 1 camera\(s\), 2 clip\(s\) uploaded .*1 failed/);
    const failed = result.stdout.split('\n').find((line) => line.includes('"clip.failed"'));
    assert.match(String((JSON.parse(failed ?? '{}') as { err?: string }).err), /below the floor of 16 KiB\/s/);
    const listed = await stack.gcs.listObjects(stack.bucket);
    const name = (c: TestClip) => objectName(camera, { ...c, cameraId: camera.id });
    assert.deepEqual([...listed].sort(), [name(camera.clips[0] as TestClip), name(camera.clips[2] as TestClip)].sort());
  });
});

// Bad-input table for the RPC connection (issue 18 rows 9 and 11), through the real CLI: a Scrypted test server
// that sends frames that are not RPC messages (not JSON, `null`, numbers, lists, messages without a type or
// with fields of the wrong type), or calls aimed at the runner's prototypes (`notify("__proto__", …)`, a
// `__proto__` property that would make a hub look like a camera, a function planted as `then`). The run must
// neither crash nor call the server's function: it logs the garbage (a bounded number of lines), backs up the
// real cameras' clips, and exits 0.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { CLI, runCli } from '../support/cli-process.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';
import type { TestCamera } from '../scrypted-server/server.js';

const MINUTE = 60_000;
const now = Date.now();
let seed = 0;
const clip = (id: string, minutesAgo: number) => ({
  id, startTime: now - minutesAgo * MINUTE, duration: 15_000, generate: { sizeBytes: 20_000, seed: (seed += 1) },
});
const cameras: TestCamera[] = [
  { id: '501', name: 'Yard', clips: [clip('y1', 60), clip('y2', 50)] },
  { id: '502', name: 'Gate', clips: [clip('g1', 55)] },
];

const GARBAGE = [
  'not json {', 'null', '42', '"a string"', '[]', 'true', '{}', '{"type":5}', '{"type":"nope"}', '{"type":"result","id":{"x":1}}',
  '{"type":"apply","id":"q","proxyId":{"__proto__":1},"method":"x"}', '{"type":"apply","id":"r","proxyId":"missing","args":"no"}',
  '{"type":"param","id":"s","param":"__proto__"}', '{"type":"param","id":"t","param":"constructor"}', '{"type":"finalize","__local_proxy_id":null}',
];

let stack: LocalStack;
before(async () => {
  stack = await startLocalStack(cameras, 'hostile-rpc');
});
after(async () => {
  await stack?.stop();
});

const lines = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('a Scrypted server that sends garbage or pollution over RPC, through the real CLI', { timeout: 120_000 }, () => {
  it('row 11: frames that are not RPC messages are logged (bounded) and ignored; the run completes, exit 0', async () => {
    stack.scrypted.hostile.set({ rpcFrames: [...GARBAGE, ...GARBAGE, ...GARBAGE] });
    const result = await runCli(['run'], stack.env, 60_000);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stderr, /backup complete: 2 camera\(s\), 3 clip\(s\) uploaded .*0 failed/);
    const warnings = lines(result.stdout).filter((line) => line.event === 'scrypted.bad_message');
    assert.ok(warnings.length >= 2 && warnings.length <= 6, `expected a bounded number of warnings, got ${warnings.length}`);
    assert.ok(warnings.some((line) => /not JSON/.test(String(line.reason))));
    assert.ok(warnings.some((line) => /more malformed RPC messages/.test(String(line.msg))));
  });

  it('row 9: notify("__proto__", …) and friends reach no prototype, the planted function is never called; exit 0', async () => {
    stack.scrypted.addClip('501', clip('y3', 40));
    stack.scrypted.addClip('502', clip('g2', 35));
    stack.scrypted.hostile.set({ pollute: true });
    const result = await runCli(['run'], stack.env, 60_000);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    // Only the two real cameras: the hub given VideoClips through a `__proto__` property is not one.
    assert.match(result.stderr, /backup complete: 2 camera\(s\), 2 clip\(s\) uploaded .*0 failed/);
    assert.equal(stack.scrypted.hostile.baitCalls, 0, "the runner called a function the server planted");
    const planned = lines(result.stdout).filter((line) => line.event === 'camera.planned').map((line) => line.cameraId).sort();
    assert.deepEqual(planned, ['501', '502']);
    assert.equal((await stack.gcs.listObjects(stack.bucket)).length, 5);
  });

  it('row 11, the daemon: garbage during a run does not end it; it finishes the run and stops on SIGTERM', async () => {
    stack.scrypted.addClip('501', clip('y4', 30));
    stack.scrypted.hostile.set({ rpcFrames: GARBAGE });
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'daemon', '--every', '1h'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...stack.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const firstRun = new Promise<Record<string, unknown>>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
        const end = lines(stdout).find((line) => line.event === 'job.end');
        if (end) resolve(end);
      });
      void exited.then((code) => reject(new Error(`the daemon exited (${code}) before its first run ended:\n${stdout}\n${stderr}`)));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    try {
      const end = await firstRun;
      assert.equal(end.status, 'complete', stdout);
      assert.equal(end.uploaded, 1);
      assert.ok(lines(stdout).some((line) => line.event === 'scrypted.bad_message'), 'the garbage did not reach the daemon');
      assert.equal(child.exitCode, null, 'the daemon is gone');
      child.kill('SIGTERM');
      assert.equal(await exited, 0, `${stdout}\n${stderr}`);
    } finally {
      clearTimeout(timer);
      child.kill('SIGKILL');
    }
  });
});

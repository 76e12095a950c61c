// `make faults` (first version): the real runner against the real local servers while things go wrong, over
// seeded random trials; then a clean run must leave every clip in the bucket, byte-identical, under its name,
// with each camera's watermark at its last clip's end. Faults covered so far: kill -9 of the runner at a random
// moment; 20% of GCS upload requests answered 503/429 or reset; two runners started together.
// Usage: node --import tsx runner/faults/run.ts [trials] [seed]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { clipEnd } from '../src/core/clip-time.js';
import { objectName } from '../src/core/object-name.js';
import { createFirestoreStateStore } from '../src/firestore/index.js';
import { CLI, runCli } from '../test/support/cli-process.js';
import { demoCameras, startLocalStack, type LocalStack } from '../test/support/local-stack.js';
import type { TestCamera } from '../test/scrypted-server/server.js';

const trials = Number(process.argv[2] ?? 6);
let seed = Number(process.argv[3] ?? 20261124);
/** A small seeded generator (mulberry32), so a failing schedule can be replayed. */
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

async function killAfter(env: Record<string, string>, ms: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'run'], { env: { PATH: process.env.PATH ?? '', ...env, LOG_LEVEL: 'silent' }, stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, ms));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('close', resolve));
}

async function sha(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface Verdict {
  lost: number;
  wrong: number;
  regressions: number;
}

async function verify(stack: LocalStack, cameras: TestCamera[], leaseSeconds: string): Promise<Verdict> {
  const final = await runCli(['run'], { ...stack.env, LOG_LEVEL: 'silent', LEASE_SECONDS: leaseSeconds });
  if (final.code !== 0) throw new Error(`the clean run failed: ${final.stderr}`);
  const verdict: Verdict = { lost: 0, wrong: 0, regressions: 0 };
  process.env.FIRESTORE_EMULATOR_HOST = stack.firestore.host;
  process.env.METADATA_SERVER_DETECTION = 'none';
  const store = createFirestoreStateStore({ projectId: 'demo-project', databaseId: '(default)', documentPath: 'nvr-backup/home', keyFilename: undefined, initialWatermark: 0 });
  const state = await store.read();
  await store.close();
  for (const camera of cameras) {
    let last = 0;
    for (const clip of camera.clips) {
      const asClip = { id: clip.id, cameraId: camera.id, startTime: clip.startTime, duration: clip.duration };
      last = Math.max(last, clipEnd(asClip));
      const path = stack.gcs.objectPath(stack.bucket, objectName(camera, asClip));
      if (!path) verdict.lost += 1;
      else if ((await sha(createReadStream(path))) !== (await stack.scrypted.clipSha256(clip.id))) verdict.wrong += 1;
    }
    if (state.cameras[camera.id]?.lastTimestamp !== last) verdict.regressions += 1;
  }
  return verdict;
}

const rows: string[] = [];
const totals: Verdict = { lost: 0, wrong: 0, regressions: 0 };
const kinds = ['kill -9', 'GCS 20% faults', 'two runners'] as const;
for (let trial = 0; trial < trials; trial++) {
  const kind = kinds[trial % kinds.length] as (typeof kinds)[number];
  const cameras = demoCameras(3, 12);
  const stack = await startLocalStack(cameras);
  // A killed runner's lease must expire before the clean run can take it: keep it short here.
  const env = { ...stack.env, LEASE_SECONDS: '30', GCS_MAX_ATTEMPTS: '8' };
  let detail = '';
  try {
    if (kind === 'kill -9') {
      const ms = Math.round(1000 + random() * 5000);
      await killAfter(env, ms);
      detail = `killed after ${ms} ms; lease expiry waited`;
      await new Promise((resolve) => setTimeout(resolve, 31_000));
    } else if (kind === 'GCS 20% faults') {
      const status = random() < 0.5 ? 503 : 429;
      stack.gcs.injectFaults({ status, count: 1e9, probability: 0.2, random });
      stack.gcs.injectFaults({ reset: true, count: 1e9, probability: 0.05, random });
      const faulty = await runCli(['run'], { ...env, LOG_LEVEL: 'silent' });
      stack.gcs.clearFaults();
      detail = `${status} on 20% and resets on 5% of uploads; faulty run exit ${faulty.code}`;
    } else {
      const [a, b] = await Promise.all([runCli(['run'], { ...env, LOG_LEVEL: 'silent' }), runCli(['run'], { ...env, LOG_LEVEL: 'silent' })]);
      const held = [a, b].filter((r) => /holds the lease/.test(r.stderr)).length;
      detail = `exits ${a.code}/${b.code}; ${held} found the lease held`;
    }
    const verdict = await verify(stack, cameras, '30');
    totals.lost += verdict.lost;
    totals.wrong += verdict.wrong;
    totals.regressions += verdict.regressions;
    rows.push(`| ${trial + 1} | ${kind} | ${detail} | ${verdict.lost} | ${verdict.wrong} | ${verdict.regressions} |`);
  } finally {
    await stack.stop();
  }
}
console.log(['| trial | fault | what happened | lost | wrong | regressions |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n'));
console.log(`faults: ${trials} trials, ${totals.lost} lost, ${totals.wrong} wrong, ${totals.regressions} regressions`);
process.exit(totals.lost + totals.wrong + totals.regressions === 0 ? 0 : 1);

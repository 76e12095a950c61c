// `make recovery`: the recovery point under a live load. `daemon --watch` (the real CLI, default SETTLE_SECONDS and
// WATCH_POLL_SECONDS) runs against the local stack while each camera records like a live one: a clip every few
// seconds, listed while it records with its duration growing each second (as Scrypted's HomeKit local copies are),
// with motion events around it. At the end every clip must be in the bucket with its bytes; the harness prints the
// median, p99 and worst recovery point (clip end to object), also counted from the moment the clip settled.
// Usage: node --import tsx runner/faults/recovery.ts [MINUTES=2] [CAMERAS=3]
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config.js';
import { objectName } from '../src/core/object-name.js';
import type { TestCamera, TestClip } from '../test/scrypted-server/server.js';
import { readSiteState, startLocalStack } from '../test/support/local-stack.js';
import { fileSha256 } from '../test/support/stack-state.js';
import { startRunner } from './runner-process.js';

const minutes = Number(process.argv[2] ?? 2);
const cameraCount = Number(process.argv[3] ?? 3);
/** HomeKit-like bit rate of a recording (about 1.6 Mbit/s). */
const BYTES_PER_SECOND = 200_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One camera recording clips until `until`: 2-8 s apart, 4-14 s long, growing each second while listed. */
interface Recorded {
  camera: TestCamera;
  /** The test server's own clip object: its duration and size are final once the camera stopped recording it. */
  clip: TestClip;
}

async function liveCamera(stack: Awaited<ReturnType<typeof startLocalStack>>, camera: TestCamera, until: number, seed: number, added: Recorded[]): Promise<void> {
  let n = 0;
  let random = seed;
  const next = () => ((random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  while (Date.now() < until) {
    await sleep(2_000 + next() * 6_000);
    const startTime = Date.now();
    const length = 4_000 + next() * 10_000;
    const clip: TestClip = { id: `live-${camera.id}-${n++}`, startTime, duration: 0, generate: { sizeBytes: 1_000, seed: seed * 1000 + n } };
    stack.scrypted.emitDeviceEvent(camera.id, 'motion-start');
    stack.scrypted.addClip(camera.id, clip);
    while (Date.now() - startTime < length) {
      await sleep(1_000);
      const duration = Date.now() - startTime;
      stack.scrypted.updateClip(camera.id, clip.id, { duration, generate: { sizeBytes: Math.round((duration / 1000) * BYTES_PER_SECOND), seed: seed * 1000 + n } });
    }
    stack.scrypted.emitDeviceEvent(camera.id, 'motion-end');
    stack.scrypted.emitDeviceEvent(camera.id, 'clips-changed');
    added.push({ camera, clip });
  }
}

async function main(): Promise<number> {
  const cameras: TestCamera[] = Array.from({ length: cameraCount }, (_, i) => ({ id: String(201 + i), name: `Live ${i + 1}`, clips: [] }));
  const stack = await startLocalStack(cameras);
  const env: Record<string, string> = { ...stack.env };
  delete env.SETTLE_SECONDS;
  const defaults = loadConfig({ ...env });
  if (!defaults.ok) throw new Error(defaults.problems.join('; '));
  const settleMs = defaults.config.settleMs;
  const daemon = startRunner({ ...env, LOG_LEVEL: 'info' }, (minutes * 60 + 300) * 1000, ['daemon', '--watch']);
  try {
    await daemon.when('watch.start');
    const added: Recorded[] = [];
    const until = Date.now() + minutes * 60_000;
    const load: number[] = [];
    const sampler = setInterval(() => load.push(loadavg()[0] as number), 10_000);
    await Promise.all(cameras.map((camera, i) => liveCamera(stack, camera, until, i + 7, added)));
    clearInterval(sampler);
    // Every clip settles SETTLE_SECONDS after its end; give the watch that, a poll and a minute more.
    const deadline = Date.now() + settleMs + defaults.config.watchPollMs + 60_000;
    const uploadedIds = () => new Set(daemon.lines.filter((line) => line.event === 'clip.uploaded').map((line) => line.clipId));
    while (Date.now() < deadline && added.some(({ clip }) => !uploadedIds().has(clip.id))) await sleep(1_000);
    daemon.child.kill('SIGTERM');
    const { code, lines } = await daemon.done;
    const recovery = new Map(lines.filter((line) => line.event === 'clip.uploaded').map((line) => [line.clipId as string, line.recoveryMs as number]));
    let missing = 0;
    let wrong = 0;
    for (const { camera, clip } of added) {
      const path = stack.gcs.objectPath(stack.bucket, objectName({ id: camera.id, name: camera.name }, { id: clip.id, cameraId: camera.id, startTime: clip.startTime, duration: clip.duration }));
      if (!path) missing += 1;
      else if ((await fileSha256(path)) !== (await stack.scrypted.clipSha256(clip.id))) wrong += 1;
    }
    const measured = added.map(({ clip }) => recovery.get(clip.id)).filter((ms): ms is number => ms !== undefined).sort((a, b) => a - b);
    const afterSettle = measured.map((ms) => Math.max(0, ms - settleMs));
    const state = await readSiteState(stack);
    const runs = lines.filter((line) => line.event === 'watch.run_requests');
    const total = (field: string) => runs.reduce((sum, line) => sum + (line[field] as number), 0);
    const stop = lines.find((line) => line.event === 'watch.stop')?.firestore as { transactions?: number; writes?: number } | undefined;
    process.stdout.write(
      [
        `recovery harness: ${minutes} min, ${cameraCount} cameras, SETTLE_SECONDS=${settleMs / 1000}, WATCH_POLL_SECONDS=${defaults.config.watchPollMs / 1000}`,
        `clips recorded: ${added.length}; in the bucket with the right bytes: ${added.length - missing - wrong}; missing: ${missing}; wrong bytes: ${wrong}`,
        `recovery point (clip end to object): median ${seconds(percentile(measured, 50))}, p99 ${seconds(percentile(measured, 99))}, worst ${seconds(measured.at(-1) ?? Number.NaN)}`,
        `after settle (minus SETTLE_SECONDS):  median ${seconds(percentile(afterSettle, 50))}, p99 ${seconds(percentile(afterSettle, 99))}, worst ${seconds(afterSettle.at(-1) ?? Number.NaN)}`,
        `backup runs: ${runs.length}, ${total('uploaded')} clip(s) uploaded; Firestore: ${total('firestoreTransactions')} transactions (${total('firestoreWrites')} with a write) in the runs, ${stop?.transactions ?? '?'} in all (${stop?.writes ?? '?'} writes)`,
        `daemon exit code ${code}; lease after: ${state.lease ? 'held' : 'free'}; 1-minute load average during the load: ${load.length ? Math.max(...load).toFixed(2) : loadavg()[0]?.toFixed(2)} (max)`,
      ].join('\n') + '\n',
    );
    return missing + wrong === 0 && code === 0 ? 0 : 1;
  } finally {
    if (daemon.child.exitCode === null) await daemon.kill();
    await stack.stop();
  }
}

process.exitCode = await main();

// `make bench` (first version): end-to-end throughput, peak memory and the no-op run of the real runner on
// loopback, beside a raw stream copy of the same bytes into the same GCS test server. Prints a table and writes
// bench/results/latest.json. Not yet: rclone as a baseline, several runs per figure (median), 1 GB clips.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { CLI } from '../test/support/cli-process.js';
import { startLocalStack } from '../test/support/local-stack.js';
import type { TestCamera } from '../test/scrypted-server/server.js';

interface Measured {
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  uploads: number;
}

/** Runs `nvr-backup run` under GNU time: wall, CPU and peak RSS of the runner process. */
function timedRun(env: Record<string, string>): Promise<Omit<Measured, 'uploads'>> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, '--import', 'tsx', CLI, 'run'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stderr.trim().split('\n').pop() ?? '';
      const [wall, user, system, rssKb] = last.split(' ').map(Number);
      if (code !== 0 || wall === undefined || Number.isNaN(wall)) reject(new Error(`run failed (${code}): ${stderr}`));
      else resolve({ seconds: wall, cpuSeconds: (user ?? 0) + (system ?? 0), peakRssMb: (rssKb ?? 0) / 1024 });
    });
  });
}

function cameras(clipCount: number, sizeBytes: number): TestCamera[] {
  const now = Date.now();
  return [{
    id: '1', name: 'Bench',
    clips: Array.from({ length: clipCount }, (_, i) => ({ id: `c${i}`, startTime: now - 3_600_000 + i * 1000, duration: 500, generate: { sizeBytes, seed: i } })),
  }];
}

async function scenario(name: string, clipCount: number, sizeBytes: number) {
  const stack = await startLocalStack(cameras(clipCount, sizeBytes), 'bench-bucket');
  try {
    const before = stack.gcs.requests.upload ?? 0;
    const run = await timedRun(stack.env);
    const uploads = (stack.gcs.requests.upload ?? 0) - before;
    const noop = await timedRun(stack.env);
    const noopUploads = (stack.gcs.requests.upload ?? 0) - before - uploads;
    // The local limit: the same bytes streamed straight from the Scrypted test server into the GCS test server.
    const rawStart = process.hrtime.bigint();
    for (let i = 0; i < clipCount; i++) {
      const upload = request(`${stack.gcs.endpoint}/upload/storage/v1/b/bench-bucket/o?uploadType=media&name=raw-${i}`, { method: 'POST' });
      const done = new Promise<void>((resolve, reject) => upload.on('response', (response) => (response.resume(), response.on('end', resolve))).on('error', reject));
      await pipeline(stack.scrypted.clipBytes(`c${i}`), upload);
      await done;
    }
    const rawSeconds = Number(process.hrtime.bigint() - rawStart) / 1e9;
    const mb = (clipCount * sizeBytes) / 1e6;
    return {
      name, clips: clipCount, clipMb: sizeBytes / 1e6,
      runnerMbPerS: mb / run.seconds, clipsPerS: clipCount / run.seconds, cpuSecondsPerGb: run.cpuSeconds / (mb / 1000),
      peakRssMb: run.peakRssMb, rawMbPerS: mb / rawSeconds, runnerOverRaw: (mb / run.seconds) / (mb / rawSeconds),
      noopSeconds: noop.seconds, noopUploads, wallSeconds: run.seconds,
    };
  } finally {
    await stack.stop();
  }
}

const results = [
  await scenario('large clips', 8, 100_000_000),
  await scenario('small clips', 200, 1_000_000),
  await scenario('memory: 10 MB clips', 3, 10_000_000),
  await scenario('memory: 200 MB clips', 2, 200_000_000),
];
const table = [
  '| scenario | clips | runner MB/s | clips/s | CPU s/GB | peak RSS MB | raw copy MB/s | runner/raw | no-op run s (uploads) |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...results.map((r) => `| ${r.name} | ${r.clips} x ${r.clipMb} MB | ${r.runnerMbPerS.toFixed(1)} | ${r.clipsPerS.toFixed(1)} | ${r.cpuSecondsPerGb.toFixed(1)} | ${r.peakRssMb.toFixed(0)} | ${r.rawMbPerS.toFixed(1)} | ${r.runnerOverRaw.toFixed(2)} | ${r.noopSeconds.toFixed(2)} (${r.noopUploads}) |`),
].join('\n');
console.log(table);
const out = fileURLToPath(new URL('../../bench/results/', import.meta.url));
mkdirSync(out, { recursive: true });
writeFileSync(`${out}latest.json`, `${JSON.stringify({ date: new Date().toISOString(), machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version }, note: 'wall times include process start (~1 s of tsx)', results }, null, 2)}\n`);
console.log(`written to ${out}latest.json`);

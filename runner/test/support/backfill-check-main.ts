// A harness, not a test (not part of `make test`): a first backfill of 1,000 clips (5 cameras x 200, small clips)
// against the local stack (Scrypted test server, GCS test server, the Firestore emulator), RUNS times, each with
// a fresh state document (its own SITE_ID, so its own object names): every run must end exit 0, with every clip in
// the bucket. Prints one line per run (exit code, time, how often Firestore contention was waited out) and exits 1
// if any run did not end 0. `make backfill-check RUNS=10`.
import { runCli } from './cli-process.js';
import { startLocalStack } from './local-stack.js';
import type { TestCamera } from '../scrypted-server/server.js';

const runs = Number(process.env.RUNS ?? process.argv[2] ?? 10);
const CAMERAS = 5;
const CLIPS = 200;

function cameras(now: number): TestCamera[] {
  return Array.from({ length: CAMERAS }, (_, c) => ({
    id: String(201 + c),
    name: `Camera ${c + 1}`,
    clips: Array.from({ length: CLIPS }, (_, i) => ({
      id: `bf-${c}-${i}`,
      startTime: now - (CLIPS * 2 + 10 - i * 2) * 60_000,
      duration: 15_000,
      bytePath: 'href' as const,
      generate: { sizeBytes: 16_000 + ((i * 7 + c) % 5) * 4000, seed: c * 1000 + i + 1 },
    })),
  }));
}

const stack = await startLocalStack(cameras(Date.now()));
let bad = 0;
try {
  for (let run = 1; run <= runs; run++) {
    const started = Date.now();
    const result = await runCli(['run'], { ...stack.env, SITE_ID: `backfill-${Date.now()}-${run}`, LOG_FORMAT: 'json' }, 900_000);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const waits = result.stdout.split('\n').filter((line) => line.includes('"event":"state.contention"')).length;
    const summary = result.stderr.trim().split('\n').filter((line) => line.startsWith('backup ') || line.startsWith('stopped')).join(' | ');
    const ok = result.code === 0 && summary.includes(`${CAMERAS * CLIPS} clip(s) uploaded`);
    if (!ok) bad += 1;
    process.stdout.write(`run ${run}/${runs}: exit ${result.code} in ${seconds} s, ${waits} contention wait line(s): ${summary}${ok ? '' : `\n${result.stderr}`}\n`);
  }
} finally {
  await stack.stop();
}
process.stdout.write(`${runs - bad} of ${runs} first backfills of ${CAMERAS * CLIPS} clips ended exit 0 with every clip uploaded\n`);
process.exitCode = bad === 0 ? 0 : 1;

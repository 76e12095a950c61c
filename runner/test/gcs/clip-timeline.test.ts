// The per-clip `clip.timeline` debug line: a run through the real GCS sink (against the GCS test server) logs
// one per uploaded clip, once the state transaction that records it is done, with the phases in the order an
// upload passes them (a resumable upload's session opening among them); at info level there is none.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import type { Camera, Clip } from '../../src/core/ports.js';
import { createGcsClipSink } from '../../src/gcs/index.js';
import { runBackup } from '../../src/job/run-backup.js';
import { createLogger } from '../../src/log.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';
import { MemoryClipSource } from '../support/memory-clip-source.js';
import { MemoryStateStore } from '../support/memory-state-store.js';
import { freshBucket, testSinkOptions } from './sink-fixture.js';

const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
const MIN = 60_000;

let server: GcsTestServer;
before(async () => {
  server = await startGcsTestServer();
});
after(() => server.close());

async function run(level: 'debug' | 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level, destination: new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk)) as Record<string, unknown>), done()) }) });
  const camera: Camera = { id: 'front', name: 'Front' };
  const clip = (id: string, minutesAgo: number): Clip => ({ id, cameraId: 'front', startTime: NOW - minutesAgo * MIN, duration: MIN });
  const source = new MemoryClipSource([{
    camera,
    clips: [
      { clip: clip('small-1', 50), bytes: randomBytes(20_000) },
      { clip: clip('small-2', 40), bytes: randomBytes(30_000) },
      { clip: clip('large', 30), bytes: randomBytes(600_000) }, // over the 100 kB threshold: resumable
    ],
  }]);
  const bucket = await freshBucket(server.endpoint, 'timeline');
  const sink = createGcsClipSink(testSinkOptions(server.endpoint, bucket, { logger }));
  const result = await runBackup({ source, sink, state: new MemoryStateStore(), clock: () => NOW, logger }, {
    owner: 'timeline-test', leaseMs: 60_000, cameraConcurrency: 1, uploadConcurrency: 2,
    plan: { lookbackMs: 60 * MIN, settleMs: MIN, openClipMaxMs: 60 * MIN }, objectPrefix: '', backfillMs: 24 * 60 * MIN, dryRun: false,
  });
  sink.close();
  assert.equal(result.status, 'complete');
  return lines.filter((line) => line.event === 'clip.timeline');
}

it('debug: one clip.timeline per uploaded clip, its phases in order, ending with the state transaction', async () => {
  const timelines = await run('debug');
  assert.deepEqual(timelines.map((t) => t.clipId).sort(), ['large', 'small-1', 'small-2']);
  for (const t of timelines) {
    // A resumable upload opens its session before it reads the clip's bytes; a small one reads them first.
    const order = ['sourceOpened', ...(t.clipId === 'large' ? ['sessionOpened'] : []), 'firstByte', 'lastByte', 'requestSent', 'answerStarted', 'done', 'stateRecorded'];
    const phases = t.phases as Record<string, unknown>;
    const times = order.map((phase) => phases[phase]);
    for (const [i, time] of times.entries()) assert.equal(typeof time, 'number', `${String(t.clipId)} has no ${order[i]}: ${JSON.stringify(t)}`);
    for (let i = 1; i < times.length; i += 1) {
      assert.ok((times[i] as number) >= (times[i - 1] as number), `${String(t.clipId)}: ${order[i]} before ${order[i - 1]}: ${JSON.stringify(t)}`);
    }
    assert.equal(typeof t.listMs, 'number');
    assert.equal(t.bytes, t.clipId === 'large' ? 600_000 : t.clipId === 'small-1' ? 20_000 : 30_000);
  }
});

it('info: no timeline is logged', async () => {
  assert.deepEqual(await run('info'), []);
});

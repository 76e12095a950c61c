// The run orchestrator with the in-memory adapters: ordering, watermark rules, failures, lease, dry run.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { Camera, Clip } from '../../src/core/ports.js';
import { UnsupportedClipError } from '../../src/core/errors.js';
import { createLogger } from '../../src/log.js';
import { exitCodeOf, runBackup, type BackupSettings } from '../../src/job/run-backup.js';
import { MemoryClipSink } from '../support/memory-clip-sink.js';
import { MemoryClipSource } from '../support/memory-clip-source.js';
import { MemoryStateStore } from '../support/memory-state-store.js';

const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
const MIN = 60_000;
const lines: string[] = [];
const logger = createLogger({ level: 'info', destination: new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }) });
const settings = (overrides: Partial<BackupSettings> = {}): BackupSettings => ({
  owner: 'runner-test', leaseMs: 60_000, cameraConcurrency: 2, uploadConcurrency: 3,
  plan: { lookbackMs: 60 * MIN, settleMs: MIN, openClipMaxMs: 60 * MIN },
  objectPrefix: '', backfillMs: 24 * 60 * MIN, dryRun: false, ...overrides,
});
const clip = (cameraId: string, id: string, minutesAgo: number, durationMinutes = 1): Clip => ({ id, cameraId, startTime: NOW - minutesAgo * MIN, duration: durationMinutes * MIN });

function world() {
  const front: Camera = { id: 'f', name: 'Front' };
  const back: Camera = { id: 'b', name: 'Back' };
  const source = new MemoryClipSource([
    { camera: front, clips: [clip('f', 'f1', 50), clip('f', 'f2', 40), clip('f', 'f3', 30), clip('f', 'rec', 1, 0.9)].map((c) => ({ clip: c, bytes: randomBytes(100) })) },
    { camera: back, clips: [clip('b', 'b1', 45), clip('b', 'b2', 20)].map((c) => ({ clip: c, bytes: randomBytes(100) })) },
  ]);
  return { source, sink: new MemoryClipSink(), state: new MemoryStateStore(), clock: () => NOW };
}

describe('runBackup', () => {
  it('uploads every finished clip, leaves the recording one, and moves each watermark to its last clip\'s end', async () => {
    const w = world();
    const result = await runBackup({ ...w, logger }, settings());
    assert.equal(result.status, 'complete');
    assert.equal(exitCodeOf(result), 0);
    assert.equal(w.sink.objects.size, 5);
    assert.equal(result.counts.stillRecording, 1);
    const state = await w.state.read();
    assert.equal(state.cameras.get('f')?.lastTimestamp, NOW - 29 * MIN);
    assert.equal(state.cameras.get('b')?.lastTimestamp, NOW - 19 * MIN);
    assert.equal(state.lastTimestamp, NOW - 29 * MIN, 'the minimum over cameras');
    assert.equal(state.lease, undefined, 'the lease is released');
    assert.equal(state.lastRun?.uploaded, 5);
    assert.deepEqual(
      { lastTimestamp: result.state?.lastTimestamp, lease: result.state?.lease, uploaded: result.state?.lastRun?.uploaded },
      { lastTimestamp: state.lastTimestamp, lease: undefined, uploaded: 5 },
      'the result carries the state the run\'s record wrote',
    );
  });

  it('a run with nothing to write carries no state (the caller reads it if it needs it)', async () => {
    const w = world();
    await runBackup({ ...w, logger }, settings());
    assert.equal((await runBackup({ ...w, logger }, settings())).state, undefined);
  });

  it('the document-level watermark is the minimum over all cameras even when cameras run one after another', async () => {
    const w = world();
    await runBackup({ ...w, logger }, settings({ cameraConcurrency: 1 }));
    assert.equal((await w.state.read()).lastTimestamp, NOW - 29 * MIN);
  });

  it('a second run uploads nothing and sends no upload at all', async () => {
    const w = world();
    await runBackup({ ...w, logger }, settings());
    const puts = w.sink.puts;
    const second = await runBackup({ ...w, logger }, settings());
    assert.equal(second.counts.uploaded + second.counts.existing, 0);
    assert.equal(w.sink.puts, puts);
  });

  it('picks up a clip that arrived late inside the lookback window', async () => {
    const w = world();
    await runBackup({ ...w, logger }, settings());
    w.source.addClip('f', clip('f', 'late', 35), randomBytes(10));
    const result = await runBackup({ ...w, logger }, settings());
    assert.equal(result.counts.uploaded, 1);
    assert.equal((await w.state.read()).cameras.get('f')?.lastTimestamp, NOW - 29 * MIN, 'a late clip does not move the watermark back');
  });

  it('a failed clip stops its camera\'s watermark (later clips still upload), other cameras go on; the next run retries it', async () => {
    const w = world();
    w.source.failOpen('f2', 1);
    const first = await runBackup({ ...w, logger }, settings());
    assert.equal(first.status, 'incomplete');
    assert.equal(exitCodeOf(first), 1);
    assert.equal(first.counts.failed, 1);
    assert.equal(w.sink.objects.size, 4, 'f1, f3, b1, b2');
    let state = await w.state.read();
    assert.equal(state.cameras.get('f')?.lastTimestamp, NOW - 49 * MIN, 'stopped at f1, before the failed f2');
    assert.equal(state.cameras.get('b')?.lastTimestamp, NOW - 19 * MIN);
    const second = await runBackup({ ...w, logger }, settings());
    assert.equal(second.status, 'complete');
    assert.equal(second.counts.uploaded, 1, 'only f2; f3 is remembered as landed');
    state = await w.state.read();
    assert.equal(state.cameras.get('f')?.lastTimestamp, NOW - 29 * MIN);
  });

  it('does nothing and exits 0 when another runner holds the lease', async () => {
    const w = world();
    await w.state.acquireLease('other-runner', 60_000, NOW);
    const result = await runBackup({ ...w, logger }, settings());
    assert.equal(result.status, 'lease-held');
    assert.equal(exitCodeOf(result), 0);
    assert.equal(w.sink.puts, 0);
    assert.match(result.summary, /another runner \(other-runner\) holds the lease/);
  });

  it('takes over a lease a crashed runner left behind once it expired', async () => {
    const w = world();
    await w.state.acquireLease('crashed', 1000, NOW - 10_000);
    assert.equal((await runBackup({ ...w, logger }, settings())).status, 'complete');
  });

  it('dry run lists the objects it would write and writes nothing', async () => {
    const w = world();
    const result = await runBackup({ ...w, logger }, settings({ dryRun: true }));
    assert.equal(result.dryRunObjects.length, 5);
    assert.match(result.dryRunObjects[0] ?? '', /^(Front|Back)\/2026\/11\/01\/11-\d\d-00_[0-9a-f]{8}\.mp4$/);
    assert.equal(w.sink.puts, 0);
    const state = await w.state.read();
    assert.equal(state.cameras.size, 0);
    assert.equal(state.lease, undefined);
  });

  it('an abort stops the run cleanly and keeps what landed', async () => {
    const w = world();
    const controller = new AbortController();
    controller.abort();
    const result = await runBackup({ ...w, logger }, settings({ signal: controller.signal }));
    assert.equal(result.status, 'aborted');
    assert.equal(exitCodeOf(result), 1);
    assert.equal((await w.state.read()).lease, undefined);
  });

  it('does not advance past a clip whose watermark write failed, and reports it', async () => {
    const w = world();
    const store = w.state;
    await store.read();
    const original = store.advanceCamera.bind(store);
    let calls = 0;
    store.advanceCamera = async (advance) => {
      calls += 1;
      if (advance.cameraId === 'b' && advance.landed.size > 0) throw new Error('firestore down');
      return original(advance);
    };
    const result = await runBackup({ ...w, logger }, settings());
    assert.equal(result.status, 'incomplete');
    assert.ok(calls > 0);
    assert.equal((await store.read()).cameras.get('b')?.lastTimestamp, NOW - 24 * 60 * MIN, 'b stays at its starting watermark');
    // Its clips are in the bucket: a failed state write is not a failed clip, it is counted apart.
    assert.equal(result.counts.failed, 0);
    assert.equal(result.counts.stateWritesFailed, 1);
    assert.match(result.summary, /0 failed, .*1 watermark write\(s\) failed \(the clips are in the bucket; the next run records them\)/);
  });

  it('an object stored with wrong bytes holds the watermark on every run until the clip is copied under _r1; a 412 for its name never counts', async () => {
    const w = world();
    w.sink.corruptNext(1);
    const first = await runBackup({ ...w, logger }, settings({ uploadConcurrency: 1 }));
    assert.equal(first.status, 'incomplete');
    let front = (await w.state.read()).cameras.get('f');
    assert.equal(front?.lastTimestamp, NOW - 24 * 60 * MIN, 'f1 (the first upload) has wrong bytes: the watermark stays before it');
    const [record] = front?.mismatches ?? [];
    assert.equal(record?.clipId, 'f1');
    assert.equal(record?.rightCopy, undefined);
    const wrongName = record?.wrongObject as string;
    assert.ok(w.sink.objects.has(wrongName));
    const second = await runBackup({ ...w, logger }, settings());
    assert.equal(second.status, 'complete');
    front = (await w.state.read()).cameras.get('f');
    const copy = wrongName.replace(/\.mp4$/, '_r1.mp4');
    assert.equal(front?.mismatches[0]?.rightCopy, copy);
    assert.ok(w.sink.objects.has(copy));
    assert.equal(front?.lastTimestamp, NOW - 29 * MIN);
    const third = await runBackup({ ...w, logger }, settings());
    assert.equal(third.counts.uploaded + third.counts.existing, 0);
  });

  it('an unsupported clip is counted in the camera\'s state and passed; the next run does not retry it', async () => {
    const w = world();
    const original = w.source.openClip.bind(w.source);
    w.source.openClip = async (camera, clip) => {
      if (clip.id === 'f2') throw new UnsupportedClipError('only an ffmpeg input');
      return original(camera, clip);
    };
    const first = await runBackup({ ...w, logger }, settings());
    assert.equal(first.counts.unsupported, 1);
    assert.equal(exitCodeOf(first), 1);
    const front = (await w.state.read()).cameras.get('f');
    assert.deepEqual([front?.unsupported.count, front?.unsupported.recent.map((entry) => entry.clipId)], [1, ['f2']]);
    assert.equal(front?.lastTimestamp, NOW - 29 * MIN);
    const second = await runBackup({ ...w, logger }, settings());
    assert.equal(exitCodeOf(second), 0);
    assert.equal(second.counts.unsupported, 0);
  });
});

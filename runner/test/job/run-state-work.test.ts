// A run's state work, each transaction of which crosses the uplink: the cameras' last watermark advances ride
// with the run's record, and a run started with work due (the watch) makes no read and takes the lease while
// Scrypted lists. In-memory adapters; the StateStore conformance suite proves the record's advances on Firestore.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { Camera, CameraAdvance, Clip, SiteState } from '../../src/core/ports.js';
import { createLogger } from '../../src/log.js';
import { runBackup, type BackupSettings } from '../../src/job/run-backup.js';
import { MemoryClipSink } from '../support/memory-clip-sink.js';
import { MemoryClipSource } from '../support/memory-clip-source.js';
import { MemoryStateStore } from '../support/memory-state-store.js';

const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
const MIN = 60_000;
type Line = Record<string, unknown>;
const settings = (overrides: Partial<BackupSettings> = {}): BackupSettings => ({
  owner: 'runner-test', leaseMs: 60_000, cameraConcurrency: 2, uploadConcurrency: 3,
  plan: { lookbackMs: 60 * MIN, settleMs: MIN, openClipMaxMs: 60 * MIN },
  objectPrefix: '', backfillMs: 24 * 60 * MIN, dryRun: false, ...overrides,
});
const clip = (cameraId: string, id: string, minutesAgo: number): Clip => ({ id, cameraId, startTime: NOW - minutesAgo * MIN, duration: MIN });

function world() {
  const lines: Line[] = [];
  const logger = createLogger({ level: 'info', destination: new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk)) as Line), done()) }) });
  const front: Camera = { id: 'f', name: 'Front' };
  const back: Camera = { id: 'b', name: 'Back' };
  const source = new MemoryClipSource([
    { camera: front, clips: [clip('f', 'f1', 50), clip('f', 'f2', 40), clip('f', 'f3', 30)].map((c) => ({ clip: c, bytes: randomBytes(100) })) },
    { camera: back, clips: [clip('b', 'b1', 45), clip('b', 'b2', 20)].map((c) => ({ clip: c, bytes: randomBytes(100) })) },
  ]);
  const state = new MemoryStateStore();
  const calls: string[] = [];
  const records: Array<readonly CameraAdvance[]> = [];
  let failRecord = false;
  const recordRun = state.recordRun.bind(state);
  state.recordRun = (counters, listed, owner, advances = []) => {
    calls.push('recordRun');
    records.push(advances);
    if (failRecord) {
      failRecord = false;
      return Promise.reject(new Error('firestore down (injected)'));
    }
    return recordRun(counters, listed, owner, advances);
  };
  for (const method of ['read', 'acquireLease', 'advanceCamera'] as const) {
    const call = state[method].bind(state) as (...args: unknown[]) => Promise<unknown>;
    (state as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => (calls.push(method), call(...args));
  }
  return { source, sink: new MemoryClipSink(), state, clock: () => NOW, logger, lines, calls, records, failNextRecord: () => (failRecord = true) };
}

describe("a run's state work", () => {
  it("the cameras' last watermark advances ride with the run's record: one transaction for both", async () => {
    const w = world();
    // A long interval between a camera's transactions: after its first clip's, the rest wait for the record.
    const result = await runBackup(w, settings({ stateWriteIntervalMs: 60_000 }));
    assert.equal(result.status, 'complete');
    assert.equal(w.calls.filter((call) => call === 'recordRun').length, 1);
    assert.equal(w.calls.filter((call) => call === 'advanceCamera').length, 2, 'one per camera (its first clip): the lease recorded the new cameras');
    const carried = new Map((w.records[0] ?? []).map((advance) => [advance.cameraId, advance]));
    assert.deepEqual(
      { f: carried.get('f')?.lastTimestamp, fLanded: [...(carried.get('f')?.landed.keys() ?? [])].sort(), b: carried.get('b')?.lastTimestamp, bLanded: [...(carried.get('b')?.landed.keys() ?? [])] },
      { f: NOW - 29 * MIN, fLanded: ['f2', 'f3'], b: NOW - 19 * MIN, bLanded: ['b2'] },
      'each camera\'s clips after its first transaction, and the watermark past them',
    );
    const stored = await w.state.read();
    for (const site of [stored, result.state as SiteState]) {
      assert.deepEqual(
        { f: site.cameras.get('f')?.lastTimestamp, b: site.cameras.get('b')?.lastTimestamp, clips: site.cameras.get('f')?.recentClips.size, lease: site.lease, uploaded: site.lastRun?.uploaded },
        { f: NOW - 29 * MIN, b: NOW - 19 * MIN, clips: 3, lease: undefined, uploaded: 5 },
      );
    }
    assert.equal(w.lines.filter((line) => line.event === 'state.advanced').length, 4, 'each camera: its first advance and the one in the record');
  });

  it('a failed record leaves the run incomplete, its last clips counted as watermark writes failed (not failed clips); the next run records them, uploading nothing', async () => {
    const w = world();
    w.failNextRecord();
    const first = await runBackup(w, settings({ stateWriteIntervalMs: 60_000 }));
    assert.deepEqual(
      { status: first.status, failed: first.counts.failed, stateWritesFailed: first.counts.stateWritesFailed, uploaded: first.counts.uploaded },
      { status: 'incomplete', failed: 0, stateWritesFailed: 2, uploaded: 5 },
    );
    assert.equal(w.lines.filter((line) => line.event === 'state.advance_failed').length, 2);
    assert.ok(w.lines.some((line) => line.event === 'lease.release_failed'));
    const held = await w.state.read();
    assert.equal(held.cameras.get('f')?.lastTimestamp, NOW - 49 * MIN, 'only the first clip\'s advance is stored');
    const puts = w.sink.puts;
    const second = await runBackup(w, settings());
    assert.deepEqual({ status: second.status, uploaded: second.counts.uploaded, existing: second.counts.existing }, { status: 'complete', uploaded: 0, existing: 3 });
    assert.equal(w.sink.puts - puts, 3, 'one create-only request each, answered "exists"');
    const site = await w.state.read();
    assert.deepEqual({ f: site.cameras.get('f')?.lastTimestamp, b: site.cameras.get('b')?.lastTimestamp }, { f: NOW - 29 * MIN, b: NOW - 19 * MIN });
  });

  it('with work due and the state in hand, the run reads nothing and takes the lease while Scrypted lists', async () => {
    const w = world();
    await w.state.read();
    const known = await w.state.read();
    w.calls.length = 0;
    let listingDone = false;
    let release: () => void = () => undefined;
    const listed = new Promise<void>((resolve) => (release = resolve));
    const listClips = w.source.listClips.bind(w.source);
    w.source.listClips = async (...args) => {
      await listed;
      const clips = await listClips(...args);
      listingDone = true;
      return clips;
    };
    const acquireLease = w.state.acquireLease.bind(w.state);
    let leaseDuringListing: boolean | undefined;
    w.state.acquireLease = (...args) => {
      leaseDuringListing = !listingDone;
      release();
      return acquireLease(...args);
    };
    const result = await runBackup({ ...w, firstRead: Promise.resolve(known), workDue: true }, settings());
    assert.equal(result.status, 'complete');
    assert.equal(result.counts.uploaded, 5);
    assert.equal(leaseDuringListing, true, 'the lease was asked for before the listing ended');
    assert.ok(!w.calls.includes('read'), w.calls.join(', '));
  });

  /** A state that holds both cameras, their watermarks before every clip: what the watch's last write returned. */
  async function knownCameras(w: ReturnType<typeof world>): Promise<SiteState> {
    const cameras = [{ cameraId: 'f', name: 'Front' }, { cameraId: 'b', name: 'Back' }].map((c) => ({ ...c, lastTimestamp: NOW - 60 * MIN, at: NOW }));
    await w.state.acquireLease('setup', MIN, NOW, cameras);
    await w.state.recordRun({ startedAt: NOW, finishedAt: NOW, uploaded: 0, existing: 0, failed: 0, bytes: 0 }, [], 'setup');
    const known = await w.state.read();
    w.calls.length = 0;
    return known;
  }

  /** How many of the sink's puts have ended (each started put must end: none may wait on a lease forever). */
  function countSettled(w: ReturnType<typeof world>): () => number {
    let settled = 0;
    const putIfAbsent = w.sink.putIfAbsent.bind(w.sink);
    w.sink.putIfAbsent = (...args) => putIfAbsent(...args).finally(() => (settled += 1));
    return () => settled;
  }

  /**
   * The lease's answer waits until an upload has started, then 50 more turns of the event loop (time for any other
   * upload to start, which none may); what the bucket held and how many uploads had started at that moment.
   */
  function leaseAfterAnUploadStarts(w: ReturnType<typeof world>): { objectsWhenAnswered: () => number | undefined; putsWhenAnswered: () => number | undefined } {
    const acquireLease = w.state.acquireLease.bind(w.state);
    let objects: number | undefined;
    let puts: number | undefined;
    w.state.acquireLease = async (...args) => {
      for (let waited = 0; w.sink.puts < 1; waited += 1) {
        if (waited > 1000) throw new Error('no upload started before the lease\'s answer');
        await new Promise((resolve) => setImmediate(resolve));
      }
      for (let turn = 0; turn < 50; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      objects = w.sink.objects.size;
      puts = w.sink.puts;
      return acquireLease(...args);
    };
    return { objectsWhenAnswered: () => objects, putsWhenAnswered: () => puts };
  }

  it('with work due and the state in hand, one upload starts before the lease answers and creates nothing until it does; the others start after', async () => {
    const w = world();
    const known = await knownCameras(w);
    const lease = leaseAfterAnUploadStarts(w);
    const result = await runBackup({ ...w, firstRead: Promise.resolve(known), workDue: true }, settings());
    assert.equal(lease.putsWhenAnswered(), 1, 'one upload went ahead of the lease, the other two of the three slots waited');
    assert.equal(lease.objectsWhenAnswered(), 0, 'the upload ahead had not created its object');
    assert.deepEqual(
      { status: result.status, uploaded: result.counts.uploaded, planned: result.counts.planned, abandoned: result.counts.abandoned, objects: w.sink.objects.size },
      { status: 'complete', uploaded: 5, planned: 5, abandoned: 0, objects: 5 },
    );
    const site = await w.state.read();
    assert.deepEqual({ f: site.cameras.get('f')?.lastTimestamp, b: site.cameras.get('b')?.lastTimestamp, lease: site.lease }, { f: NOW - 29 * MIN, b: NOW - 19 * MIN, lease: undefined });
  });

  it('uploads started ahead of a lease another runner holds create no object and write no state', async () => {
    const w = world();
    const known = await knownCameras(w);
    await w.state.acquireLease('other-runner', 60 * MIN, NOW);
    w.calls.length = 0;
    leaseAfterAnUploadStarts(w);
    const settled = countSettled(w);
    const result = await runBackup({ ...w, firstRead: Promise.resolve(known), workDue: true }, settings());
    assert.equal(result.status, 'lease-held');
    assert.equal(w.sink.objects.size, 0);
    assert.equal(settled(), w.sink.puts, 'every upload had ended when the run did');
    assert.deepEqual(w.calls, ['acquireLease'], 'no advance, no record');
    assert.equal((await w.state.read()).lease?.owner, 'other-runner');
  });

  it('uploads started ahead of a lease whose write fails create no object and write no state; the run fails with the write\'s error', async () => {
    const w = world();
    const known = await knownCameras(w);
    const acquireLease = w.state.acquireLease.bind(w.state);
    w.state.acquireLease = async (...args) => {
      await acquireLease(...args).catch(() => undefined);
      for (let waited = 0; w.sink.puts < 1 && waited < 1000; waited += 1) await new Promise((resolve) => setImmediate(resolve));
      throw new Error('firestore unreachable (injected)');
    };
    const settled = countSettled(w);
    await assert.rejects(runBackup({ ...w, firstRead: Promise.resolve(known), workDue: true }, settings()), /firestore unreachable \(injected\)/);
    assert.equal(w.sink.puts, 1, 'the upload ahead had started; the others started nothing without the lease');
    assert.equal(settled(), w.sink.puts, 'every upload had ended when the run did: none is left waiting');
    assert.equal(w.sink.objects.size, 0);
    assert.deepEqual(w.calls, ['acquireLease'], 'no advance, no record (the lease was written, its answer lost)');
  });

  it('when the state changed since the watch\'s last write, the uploads started on it are stopped and the cameras planned again', async () => {
    const w = world();
    const known = await knownCameras(w);
    // Another runner stored Front's first clip meanwhile.
    await w.state.advanceCamera({ cameraId: 'f', name: 'Front', lastTimestamp: NOW - 49 * MIN, landed: new Map([['f1', NOW - 49 * MIN]]), forgetBefore: NOW - 120 * MIN, at: NOW });
    w.calls.length = 0;
    const lease = leaseAfterAnUploadStarts(w);
    const result = await runBackup({ ...w, firstRead: Promise.resolve(known), workDue: true }, settings());
    assert.equal(lease.objectsWhenAnswered(), 0);
    assert.ok(w.lines.some((line) => line.event === 'job.replanned'));
    assert.deepEqual(
      { status: result.status, uploaded: result.counts.uploaded, planned: result.counts.planned, abandoned: result.counts.abandoned, failed: result.counts.failed },
      { status: 'complete', uploaded: 4, planned: 4, abandoned: 0, failed: 0 },
      'counted as planned on the lease\'s state: Front\'s first clip is not planned again',
    );
    assert.deepEqual([...w.sink.objects.keys()].filter((name) => name.includes('f1')), [], 'the clip the other runner stored was not created again');
    const site = await w.state.read();
    assert.deepEqual({ f: site.cameras.get('f')?.lastTimestamp, b: site.cameras.get('b')?.lastTimestamp }, { f: NOW - 29 * MIN, b: NOW - 19 * MIN });
  });

  it('with work due but nothing to do after all, the record frees the lease the run took', async () => {
    const w = world();
    await runBackup(w, settings());
    const known = await w.state.read();
    const puts = w.sink.puts;
    const result = await runBackup({ ...w, firstRead: Promise.resolve(known), workDue: true }, settings());
    assert.deepEqual({ status: result.status, uploaded: result.counts.uploaded, puts: w.sink.puts - puts }, { status: 'complete', uploaded: 0, puts: 0 });
    const site = await w.state.read();
    assert.equal(site.lease, undefined);
    assert.equal(site.lastRun?.uploaded, 0);
  });

  it('with work due, a clock that differs from the store\'s (its time carried to now) stops the run before any lease', async () => {
    const w = world();
    const known = { ...(await w.state.read()), readAt: NOW - 2 * 60 * MIN };
    w.calls.length = 0;
    const result = await runBackup({ ...w, firstRead: Promise.resolve(known), workDue: true }, settings());
    assert.equal(result.status, 'incomplete');
    assert.match(result.summary, /clock is 120 min ahead of Firestore's/);
    assert.deepEqual(w.calls, [], 'no lease, no write');
    assert.equal(w.sink.puts, 0);
  });
});

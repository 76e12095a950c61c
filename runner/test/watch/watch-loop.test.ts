// The watch loop on the in-memory adapters (fast, short timings): a hint starts a run, runs never overlap, a run
// that did not complete is retried no sooner than retryAfterMs, a quiet loop touches neither the sink nor the
// state, and the stop signal ends it.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import type { Clip } from '../../src/core/ports.js';
import { createLogger } from '../../src/log.js';
import { watch, type WatchedSource } from '../../src/watch/watch-loop.js';
import { MemoryClipSink } from '../support/memory-clip-sink.js';
import { MemoryClipSource } from '../support/memory-clip-source.js';
import { MemoryStateStore } from '../support/memory-state-store.js';

type Line = Record<string, unknown>;
const camera = { id: '101', name: 'Front Door' };
const settle = 100;
const timing = { pollMs: 60_000, hotPollMs: 50, hotForMs: 1_000, retryAfterMs: 400 };

/** A memory source that can raise device events, as the Scrypted adapter does. */
class EventSource extends MemoryClipSource implements WatchedSource {
  private listener: ((event: { deviceId: string; eventInterface: string | undefined; property: string | undefined }) => void) | undefined;
  onDeviceEvent(listener: NonNullable<EventSource['listener']>): () => void {
    this.listener = listener;
    return () => (this.listener = undefined);
  }
  motion(): void {
    this.listener?.({ deviceId: camera.id, eventInterface: 'MotionSensor', property: 'motionDetected' });
  }
}

const running = new Set<() => Promise<void>>();
afterEach(async () => {
  for (const stop of running) await stop();
  running.clear();
});

function world() {
  const lines: Line[] = [];
  const logger = createLogger({ level: 'debug', destination: new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk)) as Line), done()) }) });
  const source = new EventSource([{ camera, clips: [] }]);
  const sink = new MemoryClipSink();
  const state = new MemoryStateStore();
  let reads = 0;
  let calls = 0;
  const read = state.read.bind(state);
  state.read = () => ((reads += 1), read());
  // Every call the state gets, reads included.
  for (const method of ['read', 'acquireLease', 'renewLease', 'advanceCamera', 'recordClipIssue', 'recordRun'] as const) {
    const call = state[method].bind(state) as (...args: unknown[]) => Promise<unknown>;
    (state as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => ((calls += 1), call(...args));
  }
  const controller = new AbortController();
  const loop = watch(
    { source, sink, state, logger },
    {
      backup: {
        owner: 'watch-test', leaseMs: 60_000, cameraConcurrency: 2, uploadConcurrency: 2, objectPrefix: '', backfillMs: 3_600_000,
        plan: { lookbackMs: 3_600_000, settleMs: settle, openClipMaxMs: 3_600_000 },
      },
      timing,
      signal: controller.signal,
    },
  );
  const until = async (what: string, match: (line: Line) => boolean, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = lines.find(match);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no ${what} within ${timeoutMs} ms: ${lines.map((line) => `${String(line.event)} ${String(line.status ?? '')}${String(line.clipId ?? '')} ${String(line.err ?? '')}`).join(' | ')}`);
  };
  const stop = async () => {
    controller.abort();
    await loop;
  };
  running.add(stop);
  return { lines, source, sink, state, reads: () => reads, calls: () => calls, stop, until };
}

const clip = (id: string, endedAgoMs: number): Clip => ({ id, cameraId: camera.id, startTime: Date.now() - endedAgoMs - 1_000, duration: 1_000 });

describe('the watch loop', () => {
  it('a hint starts a run for a settled clip; quiet checks then touch neither the sink nor the state', async () => {
    const w = world();
    await w.until('the first run (a new camera)', (line) => line.event === 'job.end');
    const [readsAfterStart, callsAfterStart] = [w.reads(), w.calls()];
    w.source.addClip(camera.id, clip('a', 500), Buffer.from('clip a'));
    w.source.motion();
    await w.until('clip a uploaded', (line) => line.event === 'clip.uploaded' && line.clipId === 'a');
    await w.until('the run after it', (line) => line.event === 'job.end' && line.uploaded === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const puts = w.sink.puts;
    const calls = w.calls();
    assert.ok(calls > callsAfterStart, 'the run took the lease and recorded itself');
    assert.equal(w.reads(), readsAfterStart, 'the run starts from the state the watch holds: no read of its own');
    for (let i = 0; i < 5; i++) {
      w.source.motion();
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    assert.equal(w.sink.puts, puts, 'no upload while quiet');
    assert.equal(w.calls(), calls, 'no state call while quiet');
    assert.ok(w.lines.filter((line) => line.event === 'watch.checked').length >= 3);
    await w.stop();
    assert.ok(w.lines.some((line) => line.event === 'watch.stop'));
  });

  it('runs never overlap, and a run that failed is retried no sooner than retryAfterMs', async () => {
    const w = world();
    await w.until('the first run', (line) => line.event === 'job.end');
    w.sink.failPuts(1);
    w.source.addClip(camera.id, clip('b', 500), Buffer.from('clip b'));
    w.source.motion();
    const retry = await w.until('the retry notice', (line) => line.event === 'watch.retry_later');
    const failedAt = Date.parse(String(retry.retryAt)) - timing.retryAfterMs;
    for (let i = 0; i < 5; i++) {
      w.source.motion();
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await w.until('clip b uploaded on the retry', (line) => line.event === 'clip.uploaded' && line.clipId === 'b');
    const starts = w.lines.filter((line) => line.event === 'job.start');
    const retried = starts.at(-1) as Line;
    assert.ok(Date.parse(String(retried.time)) >= failedAt + timing.retryAfterMs, 'the retry waited retryAfterMs');
    // job.start and job.end alternate: a run starts only after the previous one ended.
    const sequence = w.lines.filter((line) => line.event === 'job.start' || line.event === 'job.end').map((line) => line.event);
    sequence.forEach((event, i) => assert.equal(event, i % 2 === 0 ? 'job.start' : 'job.end', sequence.join(',')));
    await w.stop();
  });

  it('a clip that ends after its listing is backed up once it settled, without another event', async () => {
    const w = world();
    await w.until('the first run', (line) => line.event === 'job.end');
    w.source.addClip(camera.id, { id: 'c', cameraId: camera.id, startTime: Date.now() - 1_000, duration: 1_050 }, Buffer.from('clip c'));
    w.source.motion();
    await w.until('clip c uploaded', (line) => line.event === 'clip.uploaded' && line.clipId === 'c');
    await w.stop();
  });
});

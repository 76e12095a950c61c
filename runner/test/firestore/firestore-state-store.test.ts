// The StateStore conformance suite against the Firestore adapter on the official emulator (a real peer).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Firestore } from '@google-cloud/firestore';
import { startTcpFaultProxy } from '../../faults/tcp-proxy.js';
import { MAX_RECENT_CLIPS_PER_CAMERA } from '../../src/core/state-limits.js';
import { DOCUMENT_BUDGET_BYTES, storageSize } from '../../src/firestore/document-codec.js';
import { createFirestoreStateStore, type FirestoreStateStore } from '../../src/firestore/index.js';
import { stateStoreConformance } from '../conformance/state-store-suite.js';
import { startFirestoreEmulator, type FirestoreEmulator } from '../support/firestore-emulator.js';

let emulator: FirestoreEmulator;
const open: FirestoreStateStore[] = [];

before(async () => {
  emulator = await startFirestoreEmulator({ projectId: 'demo-test' });
  process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
  process.env.METADATA_SERVER_DETECTION = 'none';
});
after(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
  await emulator?.stop();
});

function store(documentPath = 'nvr-backup/home'): FirestoreStateStore {
  const created = createFirestoreStateStore({ projectId: 'demo-test', databaseId: '(default)', documentPath, keyFilename: undefined, initialWatermark: 0 });
  open.push(created);
  return created;
}

// Each test gets a fresh document path, so tests never see each other's state.
let counter = 0;
stateStoreConformance(
  'Firestore (official emulator)',
  async () => {
    const path = `nvr-backup/site-${++counter}`;
    return { store: store(path), secondStore: async () => store(path), teardown: async () => {} };
  },
  { raceTimeoutMs: 60_000 },
);

describe('Firestore state store specifics', () => {
  it('probeReadWrite succeeds and leaves the watermark alone', async () => {
    const s = store('nvr-backup/probe');
    await s.advanceCamera({ cameraId: 'a', name: 'A', lastTimestamp: 77, landed: new Map(), forgetBefore: 0 });
    await s.probeReadWrite();
    assert.equal((await s.read()).cameras.get('a')?.lastTimestamp, 77);
  });

  it('keeps clip and camera ids Firestore cannot hold as field names (__x__, 5,000 characters, lone surrogates, dots, backticks)', async () => {
    const s = store('nvr-backup/hostile-keys');
    const ids = ['__x__', 'x'.repeat(5000), 'lone\uD800', '\uDC00lone', 'a.b.c', '`tick`', '__proto__', 'constructor'];
    for (const cameraId of ids) {
      await s.advanceCamera({ cameraId, name: cameraId, lastTimestamp: 1000, landed: new Map(ids.map((id, i) => [id, 900 + i])), forgetBefore: 0 });
    }
    const state = await s.read();
    assert.equal(state.cameras.size, ids.length);
    for (const cameraId of ids) {
      const camera = state.cameras.get(cameraId);
      assert.equal(camera?.lastTimestamp, 1000, JSON.stringify(cameraId.slice(0, 20)));
      assert.equal(camera?.recentClips.size, ids.length);
    }
  });

  it('stays under the 1 MiB document limit at 10x a busy site: 20 cameras, 2,400 landed clips each with 1,000-character ids, watermarks stuck', async () => {
    const s = store('nvr-backup/busy-site');
    for (let camera = 0; camera < 20; camera += 1) {
      const landed = new Map(Array.from({ length: 2400 }, (_, i) => [`${String(camera).padStart(2, '0')}-${i}-${'i'.repeat(1000)}`, 10_000 + i * 30_000] as [string, number]));
      await s.advanceCamera({ cameraId: `camera-${camera}-${'c'.repeat(200)}`, name: `Camera ${camera}`, lastTimestamp: 5_000, landed, forgetBefore: 0 });
    }
    const state = await s.read();
    assert.equal(state.cameras.size, 20);
    for (const camera of state.cameras.values()) {
      assert.equal(camera.lastTimestamp, 5_000);
      assert.equal(camera.recentClips.size, MAX_RECENT_CLIPS_PER_CAMERA, 'the oldest records (those the watermark needs next) are kept');
      assert.equal(Math.min(...camera.recentClips.values()), 10_000);
    }
    const raw = (await new Firestore({ projectId: 'demo-test', host: emulator.host, ssl: false }).doc('nvr-backup/busy-site').get()).data();
    const size = storageSize(raw);
    assert.ok(size < DOCUMENT_BUDGET_BYTES, `document of ${size} bytes`);
  });

  it('trims recent-clip records to its byte budget when there are more cameras than a site should have (30 x 1,000)', async () => {
    const s = store('nvr-backup/too-many');
    for (let camera = 0; camera < 30; camera += 1) {
      const landed = new Map(Array.from({ length: 1000 }, (_, i) => [`${camera}-${i}`, 10_000 + i] as [string, number]));
      await s.advanceCamera({ cameraId: `camera-${camera}`, name: `Camera ${camera}`, lastTimestamp: 5_000, landed, forgetBefore: 0 });
    }
    const state = await s.read();
    assert.equal(state.cameras.size, 30, 'no camera is dropped');
    const kept = [...state.cameras.values()].reduce((total, camera) => total + camera.recentClips.size, 0);
    assert.ok(kept < 30_000 && kept > 20_000, `kept ${kept} records`);
    const raw = (await new Firestore({ projectId: 'demo-test', host: emulator.host, ssl: false }).doc('nvr-backup/too-many').get()).data();
    assert.ok(storageSize(raw) <= DOCUMENT_BUDGET_BYTES, `document of ${storageSize(raw)} bytes`);
  });

  it('refuses to store a watermark ahead of its own clock (a runner whose clock is ahead), and repairs one found stored', async () => {
    const s = store('nvr-backup/clock-ahead');
    const day = 24 * 3_600_000;
    await assert.rejects(
      s.advanceCamera({ cameraId: 'a', name: 'A', lastTimestamp: Date.now() + day, landed: new Map(), forgetBefore: 0 }),
      /refusing to store watermark .* ahead of Firestore's clock .*set it right \(NTP\)/,
    );
    assert.equal((await s.read()).cameras.size, 0);
    const raw = new Firestore({ projectId: 'demo-test', host: emulator.host, ssl: false }).doc('nvr-backup/clock-ahead');
    await raw.set({ cameras: { x: { id: 'a', name: 'A', lastTimestamp: Date.now() + day } } }, { merge: true });
    const seen = await s.read();
    assert.ok((seen.cameras.get('a')?.lastTimestamp ?? Infinity) <= Date.now(), 'read as repaired');
    assert.match(seen.found?.[0]?.what ?? '', /in the future/);
    await s.advanceCamera({ cameraId: 'a', name: 'A', lastTimestamp: 0, landed: new Map(), forgetBefore: 0 });
    const data = (await raw.get()).data();
    assert.ok(Object.values(data?.cameras as Record<string, { lastTimestamp: number }>).every((camera) => camera.lastTimestamp <= Date.now()), 'the repair is written');
    assert.match(JSON.stringify(data?.repairs), /in the future/);
  });

  it('a run record whose last advance is ahead of its clock stores nothing: not the counters, not the other advances, not the release', async () => {
    const s = store('nvr-backup/record-ahead');
    const now = Date.now();
    await s.acquireLease('runner-1', 60_000, now);
    const run = { startedAt: now, finishedAt: now, uploaded: 2, existing: 0, failed: 0, bytes: 10 };
    const ahead = { cameraId: 'b', name: 'B', lastTimestamp: now + 24 * 3_600_000, landed: new Map(), forgetBefore: 0 };
    await assert.rejects(
      s.recordRun(run, ['a', 'b'], 'runner-1', [{ cameraId: 'a', name: 'A', lastTimestamp: now - 1000, landed: new Map([['c', now - 1000]]), forgetBefore: 0 }, ahead]),
      /refusing to store watermark .* for camera B: it is ahead of Firestore's clock/,
    );
    const state = await s.read();
    assert.deepEqual({ cameras: state.cameras.size, lastRun: state.lastRun, lease: state.lease?.owner }, { cameras: 0, lastRun: undefined, lease: 'runner-1' });
  });

  it('a write against the version it last wrote is refused when another client wrote since, and made again on a fresh read: nothing lost', async () => {
    const s = store('nvr-backup/stale-version');
    await s.advanceCamera({ cameraId: 'a', name: 'A', lastTimestamp: 100, landed: new Map([['x1', 100]]), forgetBefore: 0 });
    const raw = new Firestore({ projectId: 'demo-test', host: emulator.host, ssl: false }).doc('nvr-backup/stale-version');
    await raw.set({ note: 'another tool', lastRun: { startedAt: 1, finishedAt: 2, uploaded: 9, existing: 0, failed: 0, bytes: 9 } }, { merge: true });
    const before = s.requests.transactions;
    const state = await s.advanceCamera({ cameraId: 'a', name: 'A', lastTimestamp: 200, landed: new Map([['x2', 200]]), forgetBefore: 0 });
    assert.equal(s.requests.transactions - before, 2, 'refused once (stale version), then made on a fresh read');
    assert.equal(state.lastRun?.uploaded, 9, "the other client's write is in the state it was made on");
    assert.equal((await raw.get()).data()?.note, 'another tool');
    const read = await s.read();
    assert.deepEqual({ watermark: read.cameras.get('a')?.lastTimestamp, clips: read.cameras.get('a')?.recentClips.size }, { watermark: 200, clips: 2 });
  });

  it('an answer that writes nothing comes from a fresh read, not from the version it last wrote', async () => {
    const s = store('nvr-backup/fresh-answer');
    const other = store('nvr-backup/fresh-answer');
    await other.acquireLease('runner-2', 60_000, Date.now());
    assert.equal((await s.acquireLease('runner-1', 60_000, Date.now())).acquired, false, 'held by runner-2');
    await other.recordRun({ startedAt: 1, finishedAt: Date.now(), uploaded: 0, existing: 0, failed: 0, bytes: 0 }, [], 'runner-2');
    const taken = await s.acquireLease('runner-1', 60_000, Date.now());
    assert.equal(taken.acquired, true, 'the lease runner-2 freed since');
    assert.equal(await s.renewLease('runner-1', 60_000, Date.now()), true);
    await other.acquireLease('runner-2', 60_000, Date.now() + 120_000); // runner-1's lease expired on runner-2's clock: taken over
    assert.equal(await s.renewLease('runner-1', 60_000, Date.now()), false, 'no longer ours: said from a fresh read');
  });

  it('a write from the version it last wrote fails within its own budget when Firestore goes down, not after the library\'s 10 minutes of retries', { timeout: 30_000 }, async () => {
    const proxy = await startTcpFaultProxy(emulator.host);
    // The client takes the emulator's address from the environment when it is made.
    process.env.FIRESTORE_EMULATOR_HOST = proxy.host;
    const s = createFirestoreStateStore({ projectId: 'demo-test', databaseId: '(default)', documentPath: 'nvr-backup/down', keyFilename: undefined, initialWatermark: 0, unreachableBudgetMs: 0 });
    process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
    open.push(s);
    try {
      await s.advanceCamera({ cameraId: 'a', name: 'A', lastTimestamp: 100, landed: new Map(), forgetBefore: 0 });
      proxy.setDown(true);
      // The next write goes straight to a commit (no read first): the call the library itself retries for minutes.
      await assert.rejects(s.advanceCamera({ cameraId: 'a', name: 'A', lastTimestamp: 200, landed: new Map(), forgetBefore: 0 }), /Firestore watermark advance on .* failed: .*Firestore is unreachable/);
      await assert.rejects(s.recordRun({ startedAt: 0, finishedAt: 1, uploaded: 0, existing: 0, failed: 0, bytes: 0 }), /not tried: Firestore was unreachable moments ago/);
    } finally {
      await proxy.close();
    }
  });

  it('keeps fields it does not own and reads a format-1 document', async () => {
    const raw = new Firestore({ projectId: 'demo-test', host: emulator.host, ssl: false }).doc('nvr-backup/format-1');
    await raw.set({ lastTimestamp: 100, cameras: { 'cam.1': { name: 'One', lastTimestamp: 100, recentClips: { constructor: 90 } } }, lease: null, note: 'mine' });
    const s = store('nvr-backup/format-1');
    const state = await s.advanceCamera({ cameraId: 'cam.1', name: 'One', lastTimestamp: 200, landed: new Map([['b', 200]]), forgetBefore: 0 });
    assert.equal(state.cameras.get('cam.1')?.recentClips.size, 2);
    const data = (await raw.get()).data();
    assert.equal(data?.note, 'mine');
    assert.equal(data?.schema, 2);
  });

  it('writes a readable date next to every watermark, the lease expiry and the last run, and binds the document to its bucket', async () => {
    const raw = new Firestore({ projectId: 'demo-test', host: emulator.host, ssl: false }).doc('nvr-backup/readable');
    const bound = createFirestoreStateStore({ projectId: 'demo-test', databaseId: '(default)', documentPath: 'nvr-backup/readable', keyFilename: undefined, initialWatermark: 0, bucket: 'first-bucket' });
    open.push(bound);
    const t = Date.UTC(2026, 10, 30, 19, 45, 0);
    await bound.acquireLease('me', 60_000, Date.now());
    await bound.advanceCamera({ cameraId: 'c1', name: 'Front', lastTimestamp: t, landed: new Map(), forgetBefore: 0 });
    await bound.recordRun({ startedAt: t, finishedAt: t + 1000, uploaded: 1, existing: 0, failed: 0, bytes: 5 });
    const data = (await raw.get()).data() as Record<string, any>;
    assert.equal(data.lastTimestampIso, '2026-11-30T19:45:00.000Z');
    const camera = Object.values(data.cameras as Record<string, any>)[0];
    assert.equal(camera.lastTimestamp, t, 'the number stays the truth');
    assert.equal(camera.lastTimestampIso, '2026-11-30T19:45:00.000Z');
    assert.equal(data.lastRun.finishedAtIso, '2026-11-30T19:45:01.000Z');
    assert.match(data.lease.expiresAtIso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(data.bucket, 'first-bucket');
    // A store for another bucket reads the first one back (the job refuses it) and never rebinds the document.
    const other = createFirestoreStateStore({ projectId: 'demo-test', databaseId: '(default)', documentPath: 'nvr-backup/readable', keyFilename: undefined, initialWatermark: 0, bucket: 'second-bucket' });
    open.push(other);
    assert.equal((await other.read()).bucket, 'first-bucket');
    await other.advanceCamera({ cameraId: 'c1', name: 'Front', lastTimestamp: t + 5000, landed: new Map(), forgetBefore: 0 });
    assert.equal((await raw.get()).data()?.bucket, 'first-bucket');
  });

});

it('startFirestoreEmulator fails fast with the missing jar path', async () => {
  const saved = process.env.FIRESTORE_EMULATOR_JAR;
  process.env.FIRESTORE_EMULATOR_JAR = '/nonexistent/emulator.jar';
  try {
    await assert.rejects(startFirestoreEmulator(), /\/nonexistent\/emulator\.jar/);
  } finally {
    if (saved === undefined) delete process.env.FIRESTORE_EMULATOR_JAR;
    else process.env.FIRESTORE_EMULATOR_JAR = saved;
  }
});

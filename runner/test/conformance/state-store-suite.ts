// One conformance suite for the StateStore port, run against every implementation (the Firestore adapter on
// the real emulator, and the in-memory store), the way rclone tests every backend with one suite.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CameraAdvance, StateStore } from '../../src/core/ports.js';
import { clipKey } from '../../src/core/state-limits.js';

/** recentClips as the state keeps it: keyed by clipKey(id). */
const recent = (byId: Record<string, number>) => new Map(Object.entries(byId).map(([id, end]) => [clipKey(id), end]));

export interface StateStoreFixture {
  store: StateStore;
  /** An independent client on the same document: a second runner. */
  secondStore(): Promise<StateStore>;
  teardown(): Promise<void>;
}

const advance = (cameraId: string, lastTimestamp: number, landed: Record<string, number> = {}, forgetBefore = 0): CameraAdvance => ({
  cameraId,
  name: `camera ${cameraId}`,
  lastTimestamp,
  landed: new Map(Object.entries(landed)),
  forgetBefore,
});

export function stateStoreConformance(name: string, setup: () => Promise<StateStoreFixture>, options: { raceTimeoutMs?: number } = {}): void {
  describe(`StateStore conformance: ${name}`, () => {
    let fixture: StateStoreFixture;
    beforeEach(async () => {
      fixture = await setup();
    });
    afterEach(async () => {
      await fixture.teardown();
    });

    it('creates the document with watermark 0, no cameras and no lease', async () => {
      const state = await fixture.store.read();
      assert.equal(state.lastTimestamp, 0);
      assert.equal(state.cameras.size, 0);
      assert.equal(state.lease, undefined);
    });

    it('moves a camera forward and never back', async () => {
      await fixture.store.advanceCamera(advance('a', 1000, { c1: 1000 }));
      const back = await fixture.store.advanceCamera(advance('a', 500, { c0: 500 }));
      assert.equal(back.cameras.get('a')?.lastTimestamp, 1000);
      assert.deepEqual(back.cameras.get('a')?.recentClips, recent({ c1: 1000, c0: 500 }));
      assert.equal((await fixture.store.read()).cameras.get('a')?.name, 'camera a');
    });

    it('forgets recent clip ids that ended before forgetBefore', async () => {
      await fixture.store.advanceCamera(advance('a', 1000, { old: 100, mid: 600 }));
      const state = await fixture.store.advanceCamera(advance('a', 2000, { fresh: 2000 }, 500));
      assert.deepEqual(state.cameras.get('a')?.recentClips, recent({ mid: 600, fresh: 2000 }));
    });

    it('keeps camera ids that are not plain field names', async () => {
      await fixture.store.advanceCamera(advance('cam.with.dots/and/slashes', 42));
      assert.equal((await fixture.store.read()).cameras.get('cam.with.dots/and/slashes')?.lastTimestamp, 42);
    });

    it('keeps both cameras when two advance in parallel, document-level watermark = minimum, never back', async () => {
      await Promise.all([fixture.store.advanceCamera(advance('a', 0)), fixture.store.advanceCamera(advance('b', 0))]);
      await Promise.all([fixture.store.advanceCamera(advance('a', 300)), fixture.store.advanceCamera(advance('b', 200))]);
      let state = await fixture.store.read();
      assert.equal(state.cameras.get('a')?.lastTimestamp, 300);
      assert.equal(state.cameras.get('b')?.lastTimestamp, 200);
      assert.equal(state.lastTimestamp, 200);
      state = await fixture.store.advanceCamera(advance('c', 50));
      assert.equal(state.lastTimestamp, 200, 'a camera joining with an older watermark does not pull it back');
    });

    it('takes a free lease, refuses a live one held by another, takes over an expired one', async () => {
      const other = await fixture.secondStore();
      const first = await fixture.store.acquireLease('runner-1', 60_000, 1_000);
      assert.equal(first.acquired, true);
      const refused = await other.acquireLease('runner-2', 60_000, 2_000);
      assert.deepEqual(refused, { acquired: false, heldBy: { owner: 'runner-1', expiresAt: 61_000 } });
      const again = await fixture.store.acquireLease('runner-1', 60_000, 3_000);
      assert.equal(again.acquired, true, 'the owner may take its own lease again');
      const takeover = await other.acquireLease('runner-2', 60_000, 70_000);
      assert.ok(takeover.acquired);
      assert.deepEqual(takeover.lease, { owner: 'runner-2', expiresAt: 130_000 });
    });

    it('a taken lease comes with the state its transaction read, the new lease in it', async () => {
      const other = await fixture.secondStore();
      await other.advanceCamera(advance('a', 700, { seen: 700 }));
      const taken = await fixture.store.acquireLease('runner-1', 60_000, 1_000);
      assert.ok(taken.acquired);
      assert.deepEqual(taken.state.lease, { owner: 'runner-1', expiresAt: 61_000 });
      assert.equal(taken.state.cameras.get('a')?.lastTimestamp, 700, "another runner's advance before the lease is in it");
      const read = await fixture.store.read();
      assert.deepEqual(
        { lastTimestamp: taken.state.lastTimestamp, cameras: [...taken.state.cameras.keys()], recent: taken.state.cameras.get('a')?.recentClips },
        { lastTimestamp: read.lastTimestamp, cameras: [...read.cameras.keys()], recent: read.cameras.get('a')?.recentClips },
      );
    });

    it('a lease given cameras records those the state does not hold at their starting watermark, in its own write, and leaves the others', async () => {
      const now = Date.now(); // a camera's listedAt: one listed more than a week before the store's clock holds nothing back
      await fixture.store.advanceCamera({ ...advance('known', 5_000, { k: 5_000 }), at: now });
      const taken = await fixture.store.acquireLease('runner-1', 60_000, 10_000, [
        { cameraId: 'known', name: 'camera known', lastTimestamp: 1_000, at: now },
        { cameraId: 'new', name: 'camera new', lastTimestamp: 2_000, at: now },
      ]);
      assert.ok(taken.acquired);
      const read = await fixture.store.read();
      for (const state of [taken.state, read]) {
        assert.deepEqual(
          { known: state.cameras.get('known')?.lastTimestamp, knownClips: state.cameras.get('known')?.recentClips.size, new: state.cameras.get('new')?.lastTimestamp, name: state.cameras.get('new')?.name, site: state.lastTimestamp },
          { known: 5_000, knownClips: 1, new: 2_000, name: 'camera new', site: 5_000 },
        );
      }
      const later = await fixture.store.advanceCamera({ ...advance('known', 9_000), at: now });
      assert.equal(later.lastTimestamp, 5_000, 'the new camera holds the site watermark back (it never moves back, so it stays)');
      const other = await fixture.secondStore();
      const refused = await other.acquireLease('runner-2', 60_000, 10_000, [{ cameraId: 'third', name: 'camera third', lastTimestamp: 3_000, at: now }]);
      assert.equal(refused.acquired, false);
      assert.equal((await fixture.store.read()).cameras.has('third'), false, 'a lease not taken records nothing');
    });

    it('renews only its own lease; a run record given its owner frees that lease in the same write, never another owner\'s', async () => {
      const other = await fixture.secondStore();
      const run = { startedAt: 1, finishedAt: 2, uploaded: 3, existing: 4, failed: 0, bytes: 5 };
      await fixture.store.acquireLease('runner-1', 1_000, 0);
      assert.equal(await fixture.store.renewLease('runner-1', 1_000, 500), true);
      assert.equal(await other.renewLease('runner-2', 1_000, 500), false);
      await other.recordRun(run, [], 'runner-2');
      assert.equal((await fixture.store.read()).lease?.owner, 'runner-1', 'runner-2 does not hold it: it stays');
      const written = await fixture.store.recordRun(run, [], 'runner-1');
      assert.deepEqual({ lease: written.lease, lastRun: written.lastRun }, { lease: undefined, lastRun: run }, 'it returns the state it wrote');
      const state = await fixture.store.read();
      assert.equal(state.lease, undefined);
      assert.deepEqual(state.lastRun, run);
      assert.equal(await fixture.store.renewLease('runner-1', 1_000, 600), false);
    });

    it('a run record given the last advances moves those watermarks as advanceCamera does (never back), in the write that frees the lease', async () => {
      await fixture.store.advanceCamera(advance('a', 500, { x: 500 }));
      await fixture.store.acquireLease('runner-1', 60_000, 0);
      const run = { startedAt: 1, finishedAt: 2, uploaded: 2, existing: 0, failed: 0, bytes: 10 };
      const written = await fixture.store.recordRun(run, ['a', 'b'], 'runner-1', [advance('a', 400, { y: 400 }), advance('b', 900, { z: 900 })]);
      const read = await fixture.store.read();
      for (const state of [written, read]) {
        assert.deepEqual(
          {
            a: state.cameras.get('a')?.lastTimestamp, aClips: state.cameras.get('a')?.recentClips, b: state.cameras.get('b')?.lastTimestamp,
            bClips: state.cameras.get('b')?.recentClips, lease: state.lease, lastRun: state.lastRun, site: state.lastTimestamp,
          },
          { a: 500, aClips: recent({ x: 500, y: 400 }), b: 900, bClips: recent({ z: 900 }), lease: undefined, lastRun: run, site: 500 },
        );
      }
    });

    it('lets exactly one of two racing runners take the lease', { timeout: options.raceTimeoutMs ?? 30_000 }, async () => {
      const other = await fixture.secondStore();
      const results = await Promise.all([fixture.store.acquireLease('runner-1', 60_000, 0), other.acquireLease('runner-2', 60_000, 0)]);
      assert.equal(results.filter((result) => result.acquired).length, 1, JSON.stringify(results));
    });

    it('never loses or regresses a watermark when two runners race advances on one camera', { timeout: options.raceTimeoutMs ?? 30_000 }, async () => {
      const other = await fixture.secondStore();
      const one = [1, 3, 5, 7, 9].map((i) => () => fixture.store.advanceCamera(advance('a', i * 100, { [`x${i}`]: i * 100 })));
      const two = [2, 4, 6, 8, 10].map((i) => () => other.advanceCamera(advance('a', i * 100, { [`y${i}`]: i * 100 })));
      const sequence = async (steps: Array<() => Promise<unknown>>) => {
        for (const step of steps) await step();
      };
      await Promise.all([sequence(one.reverse()), sequence(two)]);
      const state = await fixture.store.read();
      assert.equal(state.cameras.get('a')?.lastTimestamp, 1000);
      assert.equal(state.cameras.get('a')?.recentClips.size, 10, 'no landed clip id lost');
    });

    it('a wrong object holds the camera\'s watermark before its clip until a right copy is recorded', async () => {
      await fixture.store.advanceCamera(advance('m', 100));
      await fixture.store.recordClipIssue('m', 'camera m', { kind: 'mismatch', clipId: '__proto__', startTime: 150, end: 200, wrongObject: 'm/x.mp4', at: 1 });
      let state = await fixture.store.advanceCamera(advance('m', 500, { __proto__: 200, later: 500 }));
      assert.equal(state.cameras.get('m')?.lastTimestamp, 199, 'not past the clip whose object has wrong bytes');
      await fixture.store.recordClipIssue('m', 'camera m', { kind: 'mismatch-retry-failed', clipId: '__proto__', object: 'm/x_r1.mp4', at: 2 });
      await fixture.store.recordClipIssue('m', 'camera m', { kind: 'right-copy', clipId: '__proto__', object: 'm/x_r2.mp4', at: 3 });
      state = await fixture.store.advanceCamera(advance('m', 500));
      assert.equal(state.cameras.get('m')?.lastTimestamp, 500);
      const [record] = state.cameras.get('m')?.mismatches ?? [];
      assert.deepEqual(
        { clipId: record?.clipId, wrong: record?.wrongObject, attempts: record?.attempts, right: record?.rightCopy },
        { clipId: '__proto__', wrong: 'm/x.mp4', attempts: 1, right: 'm/x_r2.mp4' },
      );
    });

    it('counts unsupported clips and keeps the last five', async () => {
      for (let i = 0; i < 7; i += 1) {
        await fixture.store.recordClipIssue('u', 'camera u', { kind: 'unsupported', clipId: `clip-${i}`, startTime: i, reason: 'ffmpeg only', at: i });
      }
      const unsupported = (await fixture.store.read()).cameras.get('u')?.unsupported;
      assert.equal(unsupported?.count, 7);
      assert.deepEqual(unsupported?.recent.map((entry) => entry.clipId), ['clip-2', 'clip-3', 'clip-4', 'clip-5', 'clip-6']);
    });

    it('a camera no run has listed for a week stops holding the site watermark back', async () => {
      const week = 7 * 24 * 3_600_000;
      const now = Date.now();
      await fixture.store.advanceCamera({ ...advance('gone', 100), at: now - 2 * week });
      await fixture.store.advanceCamera({ ...advance('here', 5000), at: now });
      await fixture.store.recordRun({ startedAt: now, finishedAt: now, uploaded: 0, existing: 0, failed: 0, bytes: 0 }, ['here']);
      const state = await fixture.store.read();
      assert.equal(state.lastTimestamp, 5000);
      assert.equal(state.cameras.get('gone')?.lastTimestamp, 100, 'its own watermark still tells the truth');
    });

    it('stores the last run counters', async () => {
      const run = { startedAt: 1, finishedAt: 2, uploaded: 3, existing: 4, failed: 0, bytes: 5 };
      await fixture.store.recordRun(run);
      assert.deepEqual((await fixture.store.read()).lastRun, run);
    });
  });
}

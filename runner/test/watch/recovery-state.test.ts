// The recovery point in the state document (format 2): written with the camera, read back exactly; a document
// from before it existed, or a malformed record, reads as no recovery point (never as a repair or a failure).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSiteState, encodeSiteState } from '../../src/firestore/document-codec.js';
import { mergeCameraAdvance } from '../../src/core/watermark.js';
import type { SiteState } from '../../src/core/ports.js';

const NOW = Date.UTC(2026, 10, 30, 20, 0, 0);
const options = { initialWatermark: 0, now: NOW };

function siteWith(recovery: boolean): SiteState {
  const camera = mergeCameraAdvance(undefined, {
    cameraId: '101', name: 'Front Door', lastTimestamp: NOW - 1_000, landed: new Map(), forgetBefore: 0, at: NOW,
    ...(recovery ? { recovery: { lastMs: 31_000, worstMs: 45_000, at: NOW } } : {}),
  });
  return { lastTimestamp: NOW - 1_000, cameras: new Map([['101', camera]]), lease: undefined, lastRun: undefined, repairs: [] };
}

describe('the recovery point in the state document', () => {
  it('round-trips through the document', () => {
    const encoded = encodeSiteState(siteWith(true));
    const { state, repairs } = decodeSiteState(structuredClone(encoded), options);
    assert.deepEqual(repairs, []);
    assert.deepEqual(state.cameras.get('101')?.recovery, { lastMs: 31_000, lastAt: NOW, day: Date.UTC(2026, 10, 30), worstOfDayMs: 45_000 });
  });

  it('a camera written before the field existed reads without one, and is written without one', () => {
    const encoded = encodeSiteState(siteWith(false)) as { cameras: Record<string, Record<string, unknown>> };
    for (const camera of Object.values(encoded.cameras)) assert.equal(Object.hasOwn(camera, 'recovery'), false);
    const { state, repairs } = decodeSiteState(structuredClone(encoded), options);
    assert.deepEqual(repairs, []);
    assert.equal(Object.hasOwn(state.cameras.get('101') ?? {}, 'recovery'), false);
  });

  it('a malformed record (a hand edit, a string, a negative time) reads as none and is not a repair', () => {
    for (const bad of ['fast', { lastMs: -1, lastAt: NOW, day: NOW, worstOfDayMs: 1 }, { lastMs: 1 }, null, [1, 2]]) {
      const encoded = encodeSiteState(siteWith(true)) as { cameras: Record<string, Record<string, unknown>> };
      for (const camera of Object.values(encoded.cameras)) camera.recovery = bad;
      const { state, repairs } = decodeSiteState(encoded, options);
      assert.deepEqual(repairs, []);
      assert.equal(state.cameras.get('101')?.recovery, undefined, JSON.stringify(bad));
      assert.equal(state.cameras.get('101')?.lastTimestamp, NOW - 1_000);
    }
  });
});

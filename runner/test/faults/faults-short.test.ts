// The short version of `make faults`, in the test suite: one trial of five kinds of trouble (a kill inside the
// watermark transaction, GCS errors and resets, a Scrypted restart, a second runner mid-run, Firestore down),
// on the real runner and the real local servers. Nothing may be lost, wrong, or passed while missing.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { faultSummary, runFaultHarness } from '../../faults/harness.js';

it('fault harness, short: 5 trials, nothing lost, nothing wrong, no watermark regression', { timeout: 540_000 }, async () => {
  // The last is a fixed schedule kept as a regression case (trials.ts, REGRESSION_KINDS).
  const kinds = ['kill -9: in transaction', 'GCS 429/503/resets/slow', 'Scrypted restarts (password)', 'a runner started mid-run', 'Firestore down 4.6 s after an upload (seed 20261130, trial 25)'];
  const result = await runFaultHarness({ trials: kinds.length, seed: 424242, kinds });
  const summary = faultSummary(result);
  const details = result.rows.map((row) => `${row.kind}: ${row.outcome.detail} (exit ${row.outcome.exit}, clean ${row.cleanExit})`).join('\n');
  assert.equal(summary, 'faults: 5 trials, 0 lost, 0 wrong, 0 regressions', details);
  assert.equal(result.totals.overlaps, 0, details);
  assert.equal(result.totals.hangs, 0, details);
  // The faults really happened: the runner was killed, and every clean run completed.
  assert.ok(result.rows[0]?.outcome.killed, details);
  assert.ok(result.rows.every((row) => row.cleanExit === '0'), details);
});

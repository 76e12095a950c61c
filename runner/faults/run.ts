// `make faults [TRIALS=n] [SEED=s]`: the fault harness (harness.ts) over n seeded trials, cycling through every
// kind of fault in trials.ts; prints the table and `faults: N trials, 0 lost, 0 wrong, 0 regressions`, writes
// both to bench/results/faults.md, and exits 1 if anything was lost, wrong, passed while missing, if two
// runners uploaded at once, or if a run never ended.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { faultKindTable, faultSummary, faultTable, runFaultHarness } from './harness.js';

const trials = Number(process.argv[2] ?? 24);
const seed = Number(process.argv[3] ?? 20261124);
/** One kind only (`make faults TRIALS=1 KIND='...'`), e.g. a regression schedule of trials.ts. */
const kind = process.argv[4] || undefined;
const started = Date.now();
const result = await runFaultHarness({ trials, seed, ...(kind ? { kinds: [kind] } : {}), log: (line) => process.stderr.write(`${line}\n`) });
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const report = `${faultTable(result)}\n\nBy kind:\n\n${faultKindTable(result)}\n\nseed ${seed}, ${minutes} min; runs where two runners uploaded at once: ${result.totals.overlaps}; runs that never ended (killed after 2 min): ${result.totals.hangs}\n${faultSummary(result)}\n`;
process.stdout.write(report);
const out = fileURLToPath(new URL('../../bench/results/', import.meta.url));
mkdirSync(out, { recursive: true });
writeFileSync(`${out}faults.md`, `# make faults, ${new Date().toISOString()}\n\n${report}`);
const { lost, wrong, regressions, incomplete, unsafe, overlaps, hangs } = result.totals;
process.exit(lost + wrong + regressions + incomplete + unsafe + overlaps + hangs === 0 ? 0 : 1);

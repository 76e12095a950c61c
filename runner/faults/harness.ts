// The fault harness: trials of the real runner against the real local servers while things go wrong, each on
// a site (state document) and object prefix of its own, on one shared stack. After each faulty run the
// watermark must not be past a missing clip; then a clean run must leave everything in place (verify.ts).
// Killed runners leave a lease that must expire: their clean runs wait until the end, when it has.
import { setTimeout as sleep } from 'node:timers/promises';
import { demoCameras, startLocalStack } from '../test/support/local-stack.js';
import { seededRandom } from './random.js';
import { startRunner } from './runner-process.js';
import { startTcpFaultProxy } from './tcp-proxy.js';
import { KINDS, REGRESSION_KINDS, type TrialOutcome } from './trials.js';
import { checkComplete, clipsPassedButMissing, leaseHeld, watermarks, type TrialWorld, type Verdict } from './verify.js';

export interface HarnessOptions {
  trials: number;
  seed: number;
  /** Which kinds, in turn (default: all of KINDS). */
  kinds?: string[];
  log?: (line: string) => void;
}

export interface TrialRow extends Verdict {
  trial: number;
  kind: string;
  outcome: TrialOutcome;
  unsafe: number;
  cleanExit: string;
  /** How the faulty run uploaded: 'sessions' (every clip a resumable session and one PUT) or 'by size'. */
  uploads: UploadPath;
}

type UploadPath = 'sessions' | 'by size';

export interface HarnessResult {
  rows: TrialRow[];
  totals: Verdict & { unsafe: number; overlaps: number; hangs: number };
}

const LEASE_SECONDS = 30;

export async function runFaultHarness(options: HarnessOptions): Promise<HarnessResult> {
  const kinds = options.kinds ?? Object.keys(KINDS);
  const random = seededRandom(options.seed);
  const cameras = demoCameras(3, 12);
  const stack = await startLocalStack(cameras, 'fault-bucket');
  const firestoreProxy = await startTcpFaultProxy(stack.firestore.host);
  const rows: TrialRow[] = [];
  const waiting: Array<{ world: TrialWorld; row: TrialRow; killedAt: number }> = [];
  const finish = async (world: TrialWorld, row: TrialRow) => {
    const before = await watermarks(world);
    const clean = await startRunner(envOf(world)).done;
    row.cleanExit = clean.signal ?? String(clean.code);
    Object.assign(row, await checkComplete(world, before));
    options.log?.(`trial ${row.trial} (${row.kind}): ${row.outcome.detail}; lost ${row.lost}, wrong ${row.wrong}, regressions ${row.regressions}, incomplete ${row.incomplete}, unsafe ${row.unsafe}`);
  };
  // Even trials send every clip through a resumable session (threshold 0); odd ones choose by size, so most of
  // the demo's clips go in one multipart request. Over two rounds of the kinds, each fault meets both paths.
  const envOf = (world: TrialWorld, uploads: UploadPath = 'by size') => ({
    ...stack.env, SITE_ID: world.site, OBJECT_PREFIX: world.prefix, LEASE_SECONDS: String(LEASE_SECONDS), GCS_MAX_ATTEMPTS: '8',
    ...(uploads === 'sessions' ? { GCS_RESUMABLE_THRESHOLD_MB: '0' } : {}),
  });
  try {
    for (let trial = 1; trial <= options.trials; trial++) {
      const kind = kinds[(trial - 1) % kinds.length] as string;
      const tag = `t${trial}-${options.seed}-${Date.now().toString(36)}`;
      const world: TrialWorld = { stack, cameras, site: tag, prefix: tag };
      const trialKind = KINDS[kind] ?? REGRESSION_KINDS[kind];
      if (!trialKind) throw new Error(`no such fault kind: ${kind}`);
      const uploads: UploadPath = trial % 2 === 0 ? 'sessions' : 'by size';
      const outcome = await trialKind({ stack, env: envOf(world, uploads), random, firestoreProxy });
      const row: TrialRow = { trial, kind, uploads, outcome, lost: 0, wrong: 0, regressions: 0, incomplete: 0, unsafe: await clipsPassedButMissing(world), cleanExit: '' };
      rows.push(row);
      // Whatever the kind, a lease still held after the faulty run (it could not be freed) must expire before the
      // clean run, or the clean run finds it held and does nothing.
      if (outcome.killed || outcome.leaseLeft || (await leaseHeld(world))) waiting.push({ world, row, killedAt: Date.now() });
      else await finish(world, row);
    }
    for (const { world, row, killedAt } of waiting) {
      await sleep(Math.max(0, killedAt + (LEASE_SECONDS + 1) * 1000 - Date.now()));
      await finish(world, row);
    }
  } finally {
    await firestoreProxy.close();
    await stack.stop();
  }
  const sum = (key: CountedKey) => sumOf(rows, key);
  return {
    rows,
    totals: {
      lost: sum('lost'), wrong: sum('wrong'), regressions: sum('regressions'), incomplete: sum('incomplete'), unsafe: sum('unsafe'),
      overlaps: rows.filter((row) => row.outcome.overlap).length,
      // A faulty run the harness had to kill (it never ended by itself) is a hang, as is a clean run that did not end.
      hangs: rows.filter((row) => (row.outcome.exit.includes('SIGKILL') && !row.outcome.killed) || row.cleanExit === 'SIGKILL').length,
    },
  };
}

type CountedKey = 'lost' | 'wrong' | 'regressions' | 'incomplete' | 'unsafe';

function sumOf(rows: TrialRow[], key: CountedKey): number {
  return rows.reduce((total, row) => total + row[key], 0);
}

export function faultTable(result: HarnessResult): string {
  return [
    '| trial | fault | uploads | what happened | faulty run exit | watermark past a missing clip | clean run exit | lost | wrong | regressions | incomplete |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...result.rows.map((r) => `| ${r.trial} | ${r.kind} | ${r.uploads} | ${r.outcome.detail} | ${r.outcome.exit} | ${r.unsafe} | ${r.cleanExit} | ${r.lost} | ${r.wrong} | ${r.regressions} | ${r.incomplete} |`),
  ].join('\n');
}

/** One line per kind of fault: trials (of them through sessions), the faulty runs' exits, and the verdicts. */
export function faultKindTable(result: HarnessResult): string {
  const kinds = [...new Set(result.rows.map((row) => row.kind))];
  const count = (values: string[]) => [...new Set(values)].map((value) => `${value} x${values.filter((v) => v === value).length}`).join(', ');
  return [
    '| fault | trials (sessions) | faulty run exits | watermark past a missing clip | clean run exits | lost | wrong | regressions |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...kinds.map((kind) => {
      const rows = result.rows.filter((row) => row.kind === kind);
      const sum = (key: CountedKey) => sumOf(rows, key);
      const sessions = rows.filter((row) => row.uploads === 'sessions').length;
      return `| ${kind} | ${rows.length} (${sessions}) | ${count(rows.map((row) => row.outcome.exit))} | ${sum('unsafe')} | ${count(rows.map((row) => row.cleanExit))} | ${sum('lost')} | ${sum('wrong')} | ${sum('regressions')} |`;
    }),
  ].join('\n');
}

/**
 * The last line `make faults` prints. Clips passed while missing count as regressions of the watermark; a clean
 * run that did not bring a camera's watermark to its last clip is `incomplete` (a separate failure: the watermark
 * did not move back).
 */
export function faultSummary(result: HarnessResult): string {
  const { lost, wrong, regressions, unsafe, incomplete } = result.totals;
  return `faults: ${result.rows.length} trials, ${lost} lost, ${wrong} wrong, ${regressions + unsafe} regressions${incomplete > 0 ? `, ${incomplete} incomplete` : ''}`;
}

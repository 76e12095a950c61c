#!/usr/bin/env node
// Runs every test file of the repository with node's test runner (TypeScript through tsx), and fails on any
// failure. Usage: node tools/run-tests.mjs [path-filter ...]  e.g. `node tools/run-tests.mjs runner/test/core`.
// Each file runs in a process of its own with --expose-gc (the Scrypted client's tests prove that collected proxies
// send `finalize`) and TypeScript through tsx; TEST_CONCURRENCY files at a time (default 3: most files spend their
// time waiting on servers, child processes and the Firestore emulator), the slowest first (tools/slow-tests.txt).
// tools/run-test-files.mjs runs them, each file within 300 s.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const roots = ['runner/test', 'infra/test'];

function findTests(dir) {
  let found = [];
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (entry === 'node_modules') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found = found.concat(findTests(path));
    else if (entry.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

/**
 * The files of tools/slow-tests.txt first, slowest first, then the rest in name order: with several files at once,
 * a long file that starts last would run alone at the end.
 */
function orderSlowestFirst(list) {
  const seconds = new Map();
  for (const line of readFileSync(join(root, 'tools', 'slow-tests.txt'), 'utf8').split('\n')) {
    const match = /^([\d.]+) (\S+)$/.exec(line);
    if (match) seconds.set(match[2], Number(match[1]));
  }
  list.sort((a, b) => (seconds.get(b) ?? 0) - (seconds.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
}

const filters = process.argv.slice(2);
const files = roots
  .flatMap((dir) => findTests(join(root, dir)))
  .map((file) => relative(root, file))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)));
orderSlowestFirst(files);
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 3);
mkdirSync(join(root, '.tmp'), { recursive: true });
const tapFile = join(root, '.tmp', 'test-results.tap');
const durationsFile = join(root, '.tmp', 'test-durations.txt');
const result = spawnSync(
  process.execPath,
  ['--expose-gc', '--import', 'tsx', join(root, 'tools', 'run-test-files.mjs'), String(concurrency), tapFile, durationsFile, ...files],
  { cwd: root, stdio: 'inherit' },
);
// The closing line, in the plain form CI reads: "tests: N passed, N failed, N skipped".
const tap = readFileSync(tapFile, 'utf8');
const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
console.log(`tests: ${count('pass')} passed, ${count('fail') + count('cancelled')} failed, ${count('skipped')} skipped`);
process.exit(result.status ?? 1);

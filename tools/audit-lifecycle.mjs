#!/usr/bin/env node
// `make audit BUCKET=...`: the bucket's lifecycle, as `gsutil lifecycle get` prints it, must equal
// tools/gcs-lifecycle-7d.json (compared as parsed JSON). Exit 0 equal, 1 different, 2 cannot check.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const bucket = process.argv[2];
if (!bucket) {
  console.error('usage: make audit BUCKET=<bucket name>');
  process.exit(2);
}
const expectedFile = new URL('./gcs-lifecycle-7d.json', import.meta.url);
const expected = JSON.parse(readFileSync(expectedFile, 'utf8'));
const result = spawnSync('gsutil', ['lifecycle', 'get', `gs://${bucket}`], { encoding: 'utf8' });
if (result.error) {
  console.error(`audit: cannot run gsutil (${result.error.message}); install the Google Cloud CLI`);
  process.exit(2);
}
if (result.status !== 0) {
  console.error(`audit: gsutil lifecycle get gs://${bucket} failed: ${result.stderr.trim()}`);
  process.exit(2);
}
const canonical = (value) =>
  Array.isArray(value) ? value.map(canonical) : value && typeof value === 'object'
    ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key])]))
    : value;
let actual;
try {
  actual = JSON.parse(result.stdout);
} catch {
  console.log(`audit: FAILED gs://${bucket} has no lifecycle configuration (gsutil said: ${result.stdout.trim()})`);
  process.exit(1);
}
if (JSON.stringify(canonical(actual)) === JSON.stringify(canonical(expected))) {
  console.log(`audit: ok gs://${bucket} lifecycle equals tools/gcs-lifecycle-7d.json`);
  process.exit(0);
}
console.log(`audit: FAILED gs://${bucket} lifecycle is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
process.exit(1);

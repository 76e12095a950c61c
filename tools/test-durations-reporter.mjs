// A node:test reporter that writes one line per test file: the summed duration of its top-level tests (their hooks
// included), slowest first, after the total wall time. run-test-files.mjs writes it to .tmp/test-durations.txt, so a
// slow file shows without running files one by one, and tools/slow-tests.txt can be refreshed from it. (Events reach
// reporters in file order, not when they happen, so the time a file ends is not known here.) A suite defined in a
// shared file (runner/test/conformance/*-suite.ts) counts under that file.
import { relative } from 'node:path';

export default async function* durations(source) {
  const files = new Map();
  const started = Date.now();
  for await (const event of source) {
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0) continue;
    if (typeof event.data.file !== 'string') continue;
    const file = relative(process.cwd(), event.data.file);
    files.set(file, (files.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0));
  }
  const seconds = (ms) => (ms / 1000).toFixed(1);
  yield `# ${files.size} files, ${seconds(Date.now() - started)} s in all; seconds of each file's top-level tests:\n`;
  for (const [file, ms] of [...files].sort(([, a], [, b]) => b - a)) yield `${seconds(ms)} ${file}\n`;
}

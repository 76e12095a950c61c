// A node:test reporter that writes one line per test file: the summed duration of its top-level tests, when its
// last event came and the time since the previous file's last event, slowest first. run-tests.mjs writes
// it to .tmp/test-durations.txt, so a slow file shows without running files one by one.
import { EventEmitter } from 'node:events';
import { relative } from 'node:path';

// A third reporter takes the runner's stream past node's default warning limit of 10 'end' listeners (they are the
// runner's own pipes, not a leak). This module is loaded in the runner's process before any reporter is piped.
EventEmitter.defaultMaxListeners = Math.max(EventEmitter.defaultMaxListeners, 20);

export default async function* durations(source) {
  const files = new Map();
  const started = Date.now();
  for await (const event of source) {
    const file = typeof event.data?.file === 'string' ? relative(process.cwd(), event.data.file) : undefined;
    if (typeof file !== 'string' || !['test:start', 'test:pass', 'test:fail'].includes(event.type)) continue;
    const now = Date.now();
    let entry = files.get(file);
    if (!entry) {
      entry = { last: now, tests: 0 };
      files.set(file, entry);
    }
    entry.last = now;
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0) {
      entry.tests += event.data.details?.duration_ms ?? 0;
    }
  }
  // With one file at a time (--test-concurrency=1) a file's wall time is the time since the previous file ended.
  const byEnd = [...files].sort(([, a], [, b]) => a.last - b.last);
  const sincePrevious = new Map(byEnd.map(([file, { last }], i) => [file, last - (byEnd[i - 1]?.[1].last ?? started)]));
  const rows = [...files].sort(([, a], [, b]) => b.tests - a.tests);
  const seconds = (ms) => (ms / 1000).toFixed(1).padStart(7);
  yield `# ${files.size} files, ${seconds(Date.now() - started).trim()} s in all\n`;
  yield '# top-level tests (s), last event (s), since the previous file ended (s), file\n';
  for (const [file, { last, tests }] of rows) {
    yield `${seconds(tests)} ${seconds(last - started)} ${seconds(sincePrevious.get(file) ?? 0)}  ${file}\n`;
  }
}

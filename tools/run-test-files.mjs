// The test runner's process, started by tools/run-tests.mjs as
//   node --expose-gc --import tsx tools/run-test-files.mjs <concurrency> <tap file> <durations file> <test file ...>
// It is `node --test` through node:test's run(), for one reason: node 20's --test sorts the files by name, and
// run() starts them in the order given, so the slowest can start first. Each file still runs in a process of its
// own, with this process's flags (--expose-gc, --import tsx). Reporters: spec on stdout, TAP and the per-file
// durations (test-durations-reporter.mjs) into files.
import { createWriteStream } from 'node:fs';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import durations from './test-durations-reporter.mjs';

const [concurrency, tapFile, durationsFile, ...files] = process.argv.slice(2);
// What `node --test --test-timeout=300000` did: in node 20 this timeout bounds each file's whole run (from when it
// starts, not while it waits for a slot), so a stuck server fails its file instead of hanging CI. The slowest file
// takes about 90 s with 3 files at a time beside another job on 2 cores.
const FILE_TIMEOUT_MS = 300_000;

const stream = run({
  files,
  concurrency: Number(concurrency),
  timeout: FILE_TIMEOUT_MS,
  setup(reporter) {
    // Three reporters take the stream past node's default warning limit of 10 'end' listeners (the runner's own
    // pipes, not a leak).
    reporter.setMaxListeners(20);
    reporter.compose(new spec()).pipe(process.stdout);
    reporter.compose(tap).pipe(createWriteStream(tapFile));
    reporter.compose(durations).pipe(createWriteStream(durationsFile));
  },
});
stream.on('test:fail', (data) => {
  if (!data.todo) process.exitCode = 1;
});

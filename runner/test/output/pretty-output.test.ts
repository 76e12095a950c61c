// Human output: LOG_FORMAT=pretty (and a real terminal, through `script`) prints one readable line per clip,
// progress lines with counts, bytes, rate and time left on long runs, local times; JSON lines otherwise.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { PrettyLog, shortDuration } from '../../src/output/pretty-log.js';
import { CLI, runCli } from '../support/cli-process.js';
import { demoCameras, startLocalStack, type LocalStack } from '../support/local-stack.js';

const CLOCK = /^\d\d:\d\d:\d\d {2}/;

describe('pretty lines (unit)', () => {
  it('turns an upload into one line with the local time, and escapes names from outside', () => {
    const pretty = new PrettyLog();
    const time = '2026-11-30T12:00:05.000Z';
    const out = pretty.format(JSON.stringify({ level: 'info', time, event: 'clip.uploaded', camera: 'Evil\u001b[2J', object: 'Evil/2026/x.mp4', bytes: 1_200_000, mbPerSecond: 12.5, startTime: Date.parse('2026-11-30T11:50:00Z') }));
    const local = new Date(time);
    const hh = String(local.getHours()).padStart(2, '0');
    assert.match(out, new RegExp(`^${hh}:00:05  ✓ Evil\\\\u001b\\[2J: Evil/2026/x\\.mp4  1\\.2 MB  12\\.5 MB/s \\(recorded 2026-11-30 \\d\\d:50:00\\)\\n$`));
    assert.equal(pretty.format(JSON.stringify({ level: 'info', time, event: 'state.advanced' })), '', 'routine steps print nothing');
    assert.match(pretty.format(JSON.stringify({ level: 'warn', time, event: 'x', msg: 'careful', err: 'why' })), /warning: careful \(why\)/);
  });

  it('time left reads like a person would say it', () => {
    assert.equal(shortDuration(12_400), '12s');
    assert.equal(shortDuration(250_000), '4m 10s');
    assert.equal(shortDuration(3_900_000), '1h 05m');
  });
});

describe('run output (real CLI, local stack)', { timeout: 300_000 }, () => {
  let stack: LocalStack;
  before(async () => {
    stack = await startLocalStack(demoCameras(3, 30));
  });
  after(async () => {
    await stack?.stop();
  });

  it('LOG_FORMAT=pretty: one line per clip, progress lines, no JSON; the summary on stderr', async () => {
    const result = await runCli(['run'], { ...stack.env, SITE_ID: 'pretty', LOG_FORMAT: 'pretty', UPLOAD_CONCURRENCY: '2' });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.ok(lines.every((line) => !line.startsWith('{')), 'no JSON line');
    const uploaded = lines.filter((line) => / ✓ /.test(line));
    assert.equal(uploaded.length, 31, result.stdout);
    for (const line of uploaded) assert.match(line, /^\d\d:\d\d:\d\d {2}✓ (Front Door|Garage|Back\/Yard \.\.): \S+\.mp4 {2}[\d.]+ [KM]?B {2}[\d.]+ MB\/s \(recorded \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)$/);
    assert.ok(lines.some((line) => /^\d\d:\d\d:\d\d {2}Front Door: 11 clip\(s\) to back up$/.test(line)), result.stdout);
    const progress = lines.filter((line) => line.includes('progress:'));
    assert.ok(progress.length >= 1, result.stdout);
    // The total grows as each camera is planned (up to the run's 31 clips).
    for (const line of progress) assert.match(line, /progress: \d+\/(2\d|3[01]) clips \(\d+%\), [\d.]+ [KMG]?B, [\d.]+ MB\/s, about (\d+s|\d+m \d\ds|\d+h \d\dm) left$/);
    assert.ok(lines.every((line) => CLOCK.test(line) || line.includes('progress:')), result.stdout);
    assert.match(result.stderr, /^backup complete: 3 camera\(s\), 31 clip\(s\) uploaded/m);
  });

  it('not a terminal and no LOG_FORMAT: JSON lines', async () => {
    const result = await runCli(['run'], { ...stack.env, SITE_ID: 'pretty' });
    assert.equal(result.code, 0, result.stderr);
    for (const line of result.stdout.trimEnd().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
  });

  it('on a real terminal (script(1) gives the CLI a TTY), readable lines without LOG_FORMAT', async (t) => {
    const probe = spawnSync('script', ['--version'], { encoding: 'utf8' });
    if (probe.status !== 0) return t.skip('script(1) from util-linux is not installed: no way to give the CLI a terminal here');
    const env = { ...stack.env, SITE_ID: 'pretty-tty', PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
    const command = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(CLI)} run`;
    // Asynchronous: the servers under test live in this process and must keep answering.
    const child = spawn('script', ['-qefc', command, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, text);
    const output = text.replace(/\r/g, '');
    assert.doesNotMatch(output, /^\{"level"/m);
    assert.match(output, /^\d\d:\d\d:\d\d {2}✓ /m);
    assert.match(output, /^backup complete: 3 camera\(s\), 31 clip\(s\) uploaded/m);
  });
});

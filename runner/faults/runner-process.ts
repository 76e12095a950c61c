// The runner as a child process (the real CLI), with its JSON log lines delivered as they come, so a trial can
// act at a chosen point of the run (kill it, restart a server, cut the network) and then wait for it to end.
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from '../test/support/cli-process.js';

export interface RunnerProcess {
  child: ChildProcess;
  /** The log lines so far. */
  lines: Array<Record<string, unknown>>;
  /** Resolves on the first log line with this event (the nth, when given); undefined if the run ended first. */
  when(event: string, nth?: number): Promise<Record<string, unknown> | undefined>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; lines: Array<Record<string, unknown>> }>;
  kill(): Promise<void>;
}

/** A run that has not ended after `timeoutMs` is killed: the harness counts it as a hang. */
export function startRunner(env: Record<string, string>, timeoutMs = 120_000, args: string[] = ['run']): RunnerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ event: string; nth: number; resolve: (line: Record<string, unknown> | undefined) => void }> = [];
  let partial = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk;
    const complete = partial.split('\n');
    partial = complete.pop() ?? '';
    for (const text of complete) {
      if (!text.startsWith('{')) continue;
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (line.event === waiter.event && --waiter.nth === 0) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; lines: Array<Record<string, unknown>> }>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const waiter of waiters.splice(0)) waiter.resolve(undefined);
      resolve({ code, signal, stderr: stderr + (signal === 'SIGKILL' && code === null ? '' : ''), lines });
    });
  });
  return {
    child,
    lines,
    done,
    when: (event, nth = 1) => {
      const seen = lines.filter((line) => line.event === event).length;
      if (seen >= nth) return Promise.resolve(lines.filter((line) => line.event === event)[nth - 1]);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(undefined);
      return new Promise((resolve) => waiters.push({ event, nth: nth - seen, resolve }));
    },
    async kill() {
      child.kill('SIGKILL');
      await done;
    },
  };
}

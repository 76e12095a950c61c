// The real CLI as a child process the test can signal (SIGTERM mid-run) or stop once a log line appears.
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli-process.js';

export interface CliChild {
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first stdout/stderr line that matches, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
}

export function startCli(args: string[], env: Record<string, string>): CliChild {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const onData = (chunk: Buffer) => {
    text += chunk;
    for (const waiter of waiters) {
      const line = text.split('\n').find((candidate) => waiter.pattern.test(candidate));
      if (line !== undefined) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const found = text.split('\n').find((line) => pattern.test(line));
        if (found !== undefined) return resolve(found);
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        const waiter = {
          pattern,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        waiters.add(waiter);
        void exited.then(() => {
          if (waiters.delete(waiter)) {
            clearTimeout(timer);
            reject(new Error(`the CLI ended without a line matching ${pattern}:\n${text}`));
          }
        });
      });
    },
  };
}

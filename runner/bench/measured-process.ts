// Runs a command under GNU time: its wall time, CPU time and peak RSS, plus its stdout (for the runner's own
// log lines). A failure rejects with the command's stderr.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Measurement {
  seconds: number;
  /** User + system CPU seconds of the process (its own, not its peers'). */
  cpuSeconds: number;
  /** The system (kernel) part of cpuSeconds: mostly the sockets' copies on loopback. */
  systemSeconds: number;
  peakRssMb: number;
  stdout: string;
  /** When the process was spawned and when it had exited, ms since the epoch (the shaped link's trace is cut to these). */
  startedAt: number;
  endedAt: number;
}

/** A contender's environment: only PATH and HOME from the bench's own, then its settings. */
export const childEnv = (env: Record<string, string>): Record<string, string> => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env });

export function measured(command: string, args: string[], env: Record<string, string>): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const child = spawn('/usr/bin/time', ['-f', 'TIME %e %U %S %M', command, ...args], {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const endedAt = Date.now();
      const line = stderr.split('\n').reverse().find((l) => l.startsWith('TIME ')) ?? '';
      const [wall, user, system, rssKb] = line.split(' ').slice(1).map(Number);
      if (code !== 0 || wall === undefined || Number.isNaN(wall)) {
        reject(new Error(`${command} failed (exit ${code}):\n${stderr.slice(-2000)}`));
        return;
      }
      resolve({ seconds: wall, cpuSeconds: (user ?? 0) + (system ?? 0), systemSeconds: system ?? 0, peakRssMb: (rssKb ?? 0) / 1024, stdout, startedAt, endedAt });
    });
  });
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

let clockTicks: number | undefined;

/**
 * A running process's CPU seconds so far (user + system), from /proc/<pid>/stat: fields 14 and 15, in clock ticks
 * (`getconf CLK_TCK`). For a process that is not under GNU time, e.g. one the bench reads while it lives.
 */
export function processCpuSeconds(pid: number): number {
  return cpuSecondsOfStat(`/proc/${pid}/stat`);
}

/** The CPU seconds (user + system) of a /proc stat file: a process's, or one of its threads'. */
function cpuSecondsOfStat(path: string): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const stat = readFileSync(path, 'utf8');
  // Field 2 (the command's name, in parentheses) may hold spaces: count from the last ')', where field 3 starts.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[14 - 3]) + Number(fields[15 - 3])) / clockTicks;
}

/**
 * A running process's main thread's CPU seconds so far (its JavaScript, the event loop, its system calls); the
 * rest of processCpuSeconds is its other threads' (V8's collector and compiler helpers, libuv's pool).
 */
export function mainThreadCpuSeconds(pid: number): number {
  return cpuSecondsOfStat(`/proc/${pid}/task/${pid}/stat`);
}

/** A running process's peak resident memory so far (VmHWM of /proc/<pid>/status), in MB. */
export function processPeakRssMb(pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`/proc/${pid}/status has no VmHWM line`);
  return Number(kb) / 1024;
}

// Runs a command under GNU time: its wall time, CPU time and peak RSS, plus its stdout (for the runner's own
// log lines). A failure rejects with the command's stderr.
import { spawn } from 'node:child_process';

export interface Measurement {
  seconds: number;
  /** User + system CPU seconds of the process (its own, not its peers'). */
  cpuSeconds: number;
  /** The system (kernel) part of cpuSeconds: mostly the sockets' copies on loopback. */
  systemSeconds: number;
  peakRssMb: number;
  stdout: string;
}

export function measured(command: string, args: string[], env: Record<string, string>): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'TIME %e %U %S %M', command, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stderr.split('\n').reverse().find((l) => l.startsWith('TIME ')) ?? '';
      const [wall, user, system, rssKb] = line.split(' ').slice(1).map(Number);
      if (code !== 0 || wall === undefined || Number.isNaN(wall)) {
        reject(new Error(`${command} failed (exit ${code}):\n${stderr.slice(-2000)}`));
        return;
      }
      resolve({ seconds: wall, cpuSeconds: (user ?? 0) + (system ?? 0), systemSeconds: system ?? 0, peakRssMb: (rssKb ?? 0) / 1024, stdout });
    });
  });
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

// Starts the shaped link (link-relay-main.ts) as a process of its own, so its work is charged to no contender:
// one loopback port per target, in order; a target written host:port+ has its own address rewritten in answers.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const RELAY_MAIN = fileURLToPath(new URL('./link-relay-main.ts', import.meta.url));

export interface RelayProcess {
  /** The relay's loopback port for each target, in the order given. */
  ports: number[];
  stop(): void;
}

/** `traceFile`: where the relay appends the uplink's busy spans (link-relay-main.ts, link-trace.ts). */
export async function startRelayProcess(linkText: string, targets: string[], traceFile?: string): Promise<RelayProcess> {
  const env = traceFile ? { ...process.env, LINK_TRACE_FILE: traceFile } : process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', RELAY_MAIN, linkText, ...targets], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the link relay exited (${code})`)));
  });
  const { ports } = JSON.parse(line) as { ports: number[] };
  return {
    ports,
    stop: () => {
      child.stdin.end();
      child.kill('SIGTERM');
    },
  };
}

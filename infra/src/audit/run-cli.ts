// Runs one Google Cloud CLI command with a deadline: gcloud retries an unreachable API for half a minute or more
// (and waits forever on a silent network), so the audit kills it and says why.
import { spawn } from 'node:child_process';

export type CliResult =
  | { kind: 'missing' }
  | { kind: 'timeout' }
  | { kind: 'done'; status: number | null; stdout: string; stderr: string };

const MAX_OUTPUT = 1024 * 1024;

export function runCli(command: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return new Promise((resolve) => {
    // Its own process group, so the deadline ends gcloud and anything it started.
    const child = spawn(command, args, { env: { ...env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (result: CliResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      finish({ kind: 'timeout' });
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { if (stdout.length < MAX_OUTPUT) stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { if (stderr.length < MAX_OUTPUT) stderr += chunk; });
    child.on('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'done', status: null, stdout, stderr: `${stderr}${error.message}` }));
    child.on('close', (status) => finish({ kind: 'done', status, stdout, stderr }));
  });
}

/** What gcloud and gsutil print when the API cannot be reached at all (DNS, refused, unreachable, TLS to a proxy). */
export function looksUnreachable(stderr: string): boolean {
  return /ConnectionError|NameResolutionError|Failed to resolve|Name or service not known|Temporary failure in name resolution|Connection refused|Network is unreachable|Max retries exceeded|Unable to find the server|timed out/i.test(stderr);
}

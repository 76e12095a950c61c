// Podman for the image test (image.test.ts): every call has a deadline, and `whyPodmanCannot` says in one line
// which command failed and what it printed when this machine cannot build or run the image, so the test skips
// with that line instead of failing on the machine or hanging.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** runner/Dockerfile's default base (ARG BASE_IMAGE), as podman names it. */
const REGISTRY_BASE = 'docker.io/library/node:20-bookworm-slim';
/** The base tools/container/make-local-base.sh makes from this machine's node when no registry answers. */
export const LOCAL_BASE = 'localhost/node20-local';

export interface CallResult {
  code: number | null;
  output: string;
  /** The command line, for messages. */
  command: string;
}

const quote = (args: string[]) => args.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg}'`)).join(' ');

/** The line of a command's output that says what went wrong: podman's `Error:` line, else the last line. */
export function errorLine(output: string): string {
  const lines = output.trim().split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.findLast((line) => /^Error:/.test(line)) ?? lines.at(-1) ?? '(no output)';
}

export function describeFailure(result: CallResult): string {
  const how = result.code === null ? 'did not finish within its deadline' : `failed (exit ${result.code})`;
  return `\`${result.command}\` ${how}: ${errorLine(result.output)}`;
}

/** A command run to its end or killed at its deadline (code null), without blocking the event loop. */
export function call(command: string, args: string[], deadlineMs: number, env?: NodeJS.ProcessEnv): Promise<CallResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let output = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, deadlineMs);
    const done = (code: number | null) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? null : code, output, command: quote([command, ...args]) });
    };
    child.on('error', (error) => {
      output += `${error.message}\n`;
      done(127);
    });
    child.on('close', done);
  });
}

/** The same, blocking: for the probes that decide, before any test starts, whether the image test can run here. */
function callSync(command: string, args: string[], deadlineMs: number): CallResult {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', timeout: deadlineMs, killSignal: 'SIGKILL' });
  const timedOut = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error && !timedOut ? result.error.message : ''}`;
  return { code: timedOut ? null : (result.status ?? 127), output, command: quote([command, ...args]) };
}

/**
 * `--ulimit` flags at this process's hard limits. Podman asks the runtime for higher default limits (nofile
 * 1048576); where the engine runs without the right to raise them (a sandbox), runc's setrlimit is denied and no
 * container starts. The current limits can be kept, except a process limit above the kernel's pid_max, which was
 * refused too on the development machine (nproc 32769 and more, with pid_max 32768), and means nothing more anyway.
 */
export function currentUlimitFlags(): string[] {
  const probe = callSync('bash', ['-c', 'ulimit -Hn; ulimit -Hu; cat /proc/sys/kernel/pid_max'], 5_000);
  const [nofile, nproc, pidMax] = probe.output.trim().split('\n').map((line) => (/^\d+$/.test(line) ? Number(line) : undefined));
  const flags: string[] = [];
  if (nofile) flags.push('--ulimit', `nofile=${nofile}:${nofile}`);
  const processes = nproc && pidMax ? Math.min(nproc, pidMax) : nproc;
  if (processes) flags.push('--ulimit', `nproc=${processes}:${processes}`);
  return flags;
}

export interface PodmanHere {
  /** The build argument BASE_IMAGE to use; undefined = the Dockerfile's default (pulled from the registry). */
  baseImage: string | undefined;
  /** Extra flags `podman build` needs here (`--isolation=chroot` where the default isolation cannot run a step). */
  buildFlags: string[];
  /** Extra flags `podman run` needs here (the current ulimits). */
  runFlags: string[];
}

/** The base image: NVR_BACKUP_BASE_IMAGE, else the registry's (present or pulled), else the local one (made if missing). */
function chooseBase(): { base: string | undefined; name: string } | { why: string } {
  const given = process.env.NVR_BACKUP_BASE_IMAGE?.trim();
  if (given) return { base: given, name: given };
  if (callSync('podman', ['image', 'exists', REGISTRY_BASE], 30_000).code === 0) return { base: undefined, name: REGISTRY_BASE };
  const pull = callSync('podman', ['pull', '-q', REGISTRY_BASE], 120_000);
  if (pull.code === 0) return { base: undefined, name: REGISTRY_BASE };
  // No registry: the local base, kept between runs (a new one would invalidate the build cache).
  if (callSync('podman', ['image', 'exists', LOCAL_BASE], 30_000).code === 0) return { base: LOCAL_BASE, name: LOCAL_BASE };
  const make = callSync('tools/container/make-local-base.sh', [LOCAL_BASE], 120_000);
  if (make.code === 0) return { base: LOCAL_BASE, name: LOCAL_BASE };
  return { why: `no base image: ${describeFailure(pull)}; and ${describeFailure(make)}` };
}

/**
 * Whether podman can build and run the image here, or why not (one line: the command that failed and its message).
 * Checks, in order: podman installed, `podman info`, the npm registry, a base image, a container started from it, a
 * RUN step built.
 */
export function whyPodmanCannot(): { why: string } | PodmanHere {
  const version = callSync('podman', ['--version'], 10_000);
  if (version.code !== 0) return { why: version.code === 127 ? `podman is not installed (${errorLine(version.output)})` : describeFailure(version) };
  const info = callSync('podman', ['info'], 30_000);
  if (info.code !== 0) return { why: describeFailure(info) };
  // runner/Dockerfile's build runs npm ci: without the npm registry no image can be built here.
  const registry = callSync('npm', ['ping', '--no-audit'], 30_000);
  if (registry.code !== 0) return { why: `the npm registry does not answer (the image's build runs npm ci): ${describeFailure(registry)}` };
  const base = chooseBase();
  if ('why' in base) return base;
  const runFlags = currentUlimitFlags();
  const run = callSync('podman', ['run', '--rm', ...runFlags, '--network=host', base.name, 'node', '-e', 'process.exit(0)'], 90_000);
  if (run.code !== 0) return { why: `podman cannot run a container here: ${describeFailure(run)}` };
  const dir = mkdtempSync(join(tmpdir(), 'nvr-podman-probe-'));
  try {
    writeFileSync(join(dir, 'Containerfile'), `FROM ${base.name}\nRUN node -e "process.exit(0)"\n`);
    const tag = `localhost/nvr-backup-build-probe:${process.pid}`;
    const build = (flags: string[]) => callSync('podman', ['build', '-q', '--format', 'docker', ...flags, '-t', tag, dir], 60_000);
    let buildFlags: string[] = [];
    const probe = build(buildFlags);
    if (probe.code !== 0) {
      const chroot = build((buildFlags = ['--isolation=chroot']));
      if (chroot.code !== 0) return { why: `podman cannot build a RUN step here: ${describeFailure(probe)}; with --isolation=chroot: ${errorLine(chroot.output)}` };
    }
    callSync('podman', ['rmi', '-f', tag], 30_000);
    return { baseImage: base.base, buildFlags, runFlags };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

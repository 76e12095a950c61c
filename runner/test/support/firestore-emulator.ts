// Starts the official Firestore emulator (the jar shipped with the Google Cloud CLI) on a loopback port, for
// tests and the demo. Never falls back to another emulator: @firestore-emulator/server's transactions are fake.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const DEFAULT_JAR = '/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar';

export interface FirestoreEmulator {
  /** host:port, the value of FIRESTORE_EMULATOR_HOST. */
  host: string;
  projectId: string;
  /** Deletes every document. */
  reset(): Promise<void>;
  /** Stops the emulator and starts it again on the same port (its data is lost). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function prerequisites(): string {
  const jar = process.env.FIRESTORE_EMULATOR_JAR ?? DEFAULT_JAR;
  if (!existsSync(jar)) {
    throw new Error(
      `Firestore emulator jar not found at ${jar}. It ships with the Google Cloud CLI ` +
        `(package google-cloud-cli-firestore-emulator; not on npm or Debian). Set FIRESTORE_EMULATOR_JAR to its path.`,
    );
  }
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).error) {
    throw new Error('java not found: the Firestore emulator needs Java 17+ (apt-get install openjdk-17-jre-headless)');
  }
  return jar;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Thrown when the emulator process ended before it answered: e.g. its port was taken in the meantime. */
class EmulatorExited extends Error {}

async function waitUntilReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new EmulatorExited(`Firestore emulator exited with code ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok && (await response.text()).trim() === 'Ok') return;
    } catch {
      // not listening yet
    }
    await sleep(150);
  }
  throw new Error(`Firestore emulator did not answer Ok at ${url} within ${timeoutMs} ms`);
}

export async function startFirestoreEmulator(options: { projectId?: string; port?: number } = {}): Promise<FirestoreEmulator> {
  const jar = prerequisites();
  const projectId = options.projectId ?? 'demo-test';
  let port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  const onExit = () => child && killGroup(child);
  process.once('exit', onExit);

  const launch = async () => {
    child = spawn(
      'java',
      ['-cp', jar, 'com.google.cloud.datastore.emulator.firestore.CloudFirestore', 'start', `--host=127.0.0.1`, `--port=${port}`, `--project_id=${projectId}`],
      { detached: true, stdio: 'ignore' },
    );
    await waitUntilReady(`http://127.0.0.1:${port}/`, child, 90_000).catch((error: unknown) => {
      if (child) killGroup(child);
      throw error;
    });
  };
  const stop = async () => {
    if (!child) return;
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    killGroup(child);
    // The 5 s bound must not keep the test's process alive once the emulator has exited: an unref'd timer.
    if (child.exitCode === null) await Promise.race([exited, sleep(5000, undefined, { ref: false })]);
    child = undefined;
  };
  // Test files run side by side (tools/run-tests.mjs): between freePort() and the emulator's bind another process
  // can take the port. The emulator then exits; a port chosen here is chosen again, twice at most.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (error) {
      if (!(error instanceof EmulatorExited) || options.port !== undefined || attempt === 3) {
        process.removeListener('exit', onExit);
        throw error;
      }
      port = await freePort();
    }
  }
  const host = `127.0.0.1:${port}`;
  return {
    host,
    projectId,
    async reset() {
      const response = await fetch(`http://${host}/emulator/v1/projects/${projectId}/databases/(default)/documents`, { method: 'DELETE' });
      if (!response.ok) throw new Error(`emulator reset failed: HTTP ${response.status}`);
    },
    async restart() {
      await stop();
      await launch();
    },
    async stop() {
      await stop();
      process.removeListener('exit', onExit);
    },
  };
}

// The benchmark's peers. Unlike the test stack, the Scrypted test server runs in a process of its own: in one
// process with the GCS server it halved the rate at which either could move bytes, and rclone (which reads files)
// would not have paid that. The GCS server keeps objects in memory-backed /dev/shm when it exists, so a disk's
// write-back does not add noise to the figures.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startGcsTestServer, type GcsTestServer } from '../test/gcs-server/server.js';
import type { TestCamera } from '../test/scrypted-server/server.js';
import { startFirestoreEmulator } from '../test/support/firestore-emulator.js';

const SCRYPTED_MAIN = fileURLToPath(new URL('../test/scrypted-server/main.ts', import.meta.url));

export interface BenchStack {
  gcs: GcsTestServer;
  bucket: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startBenchStack(cameras: TestCamera[], bucket: string): Promise<BenchStack> {
  const scratch = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'nvr-bench-'));
  writeFileSync(join(scratch, 'cameras.json'), JSON.stringify(cameras));
  const scrypted = spawn(process.execPath, ['--import', 'tsx', SCRYPTED_MAIN, join(scratch, 'cameras.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const firstLine = new Promise<string>((resolve, reject) => {
    createInterface({ input: scrypted.stdout }).once('line', resolve);
    scrypted.once('exit', (code) => reject(new Error(`the Scrypted test server exited (${code})`)));
  });
  const firestore = await startFirestoreEmulator({ projectId: 'demo-project' });
  const gcs = await startGcsTestServer({ buckets: [bucket], dataDir: join(scratch, 'gcs') });
  const { baseUrl, username, password } = JSON.parse(await firstLine) as Record<string, string>;
  return {
    gcs,
    bucket,
    env: {
      SCRYPTED_HOST: baseUrl as string, SCRYPTED_USER: username as string, SCRYPTED_PASSWORD: password as string,
      GCS_PROJECT_ID: 'demo-project', GCS_BUCKET_NAME: bucket, GCS_ENDPOINT: gcs.endpoint,
      FIRESTORE_EMULATOR_HOST: firestore.host, METADATA_SERVER_DETECTION: 'none', SETTLE_SECONDS: '60',
    },
    async stop() {
      scrypted.kill('SIGTERM');
      await Promise.allSettled([gcs.close(), firestore.stop()]);
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

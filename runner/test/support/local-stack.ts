// The whole job's peers on loopback: the Scrypted test server with cameras and real MP4 clips, the GCS test
// server with one bucket, and the Firestore emulator; plus the environment the runner needs to use them.
// Used by the end-to-end test and by `make demo`.
import { createFirestoreStateStore } from '../../src/firestore/index.js';
import type { SiteState } from '../../src/core/ports.js';
import { startFirestoreEmulator, type FirestoreEmulator } from './firestore-emulator.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';
import { startScryptedTestServer, type ScryptedTestServer, type TestCamera } from '../scrypted-server/server.js';

export interface LocalStack {
  scrypted: ScryptedTestServer;
  gcs: GcsTestServer;
  firestore: FirestoreEmulator;
  bucket: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

const CAMERA_NAMES = ['Front Door', 'Garage', 'Back/Yard ..', 'Driveway', 'Porch'];

/** `cameraCount` cameras, `clipCount` clips in all, of varied sizes, all finished minutes ago. */
export function demoCameras(cameraCount: number, clipCount: number, now = Date.now()): TestCamera[] {
  const cameras: TestCamera[] = Array.from({ length: cameraCount }, (_, i) => ({ id: String(101 + i), name: CAMERA_NAMES[i] ?? `Camera ${i + 1}`, clips: [] }));
  for (let i = 0; i < clipCount; i++) {
    const camera = cameras[i % cameraCount] as TestCamera;
    const sizes = [40_000, 250_000, 1_200_000, 3_000_000, 9_000_000];
    camera.clips.push({
      id: `clip-${camera.id}-${i}`,
      startTime: now - (90 - i * 3) * 60_000,
      duration: 20_000 + (i % 4) * 10_000,
      bytePath: i % 5 === 3 ? 'local-uri' : 'href',
      generate: { sizeBytes: sizes[i % sizes.length] as number, seed: i + 1 },
    });
  }
  // Two clips of one camera that start in the same second must get two objects.
  const first = cameras[0]?.clips[0];
  if (first) cameras[0]?.clips.push({ ...first, id: `${first.id}-twin`, startTime: first.startTime + 300, generate: { sizeBytes: 30_000, seed: 999 } });
  return cameras;
}

export async function startLocalStack(cameras: TestCamera[], bucket = 'demo-nvr-clips'): Promise<LocalStack> {
  const firestore = await startFirestoreEmulator({ projectId: 'demo-project' });
  const gcs = await startGcsTestServer({ buckets: [bucket] });
  const scrypted = await startScryptedTestServer({ cameras });
  const env = {
    SCRYPTED_HOST: scrypted.baseUrl,
    SCRYPTED_USER: scrypted.username,
    SCRYPTED_PASSWORD: scrypted.password,
    GCS_PROJECT_ID: 'demo-project',
    GCS_BUCKET_NAME: bucket,
    GCS_ENDPOINT: gcs.endpoint,
    FIRESTORE_EMULATOR_HOST: firestore.host,
    METADATA_SERVER_DETECTION: 'none',
    SITE_ID: 'home',
    SETTLE_SECONDS: '60',
    LOOKBACK_MINUTES: '120',
    LOG_LEVEL: 'info',
  };
  return {
    scrypted, gcs, firestore, bucket, env,
    async stop() {
      await Promise.allSettled([scrypted.close(), gcs.close(), firestore.stop()]);
    },
  };
}

/** The state document the runner wrote for SITE_ID `siteId` (its default STATE_DOCUMENT), read from the stack's Firestore emulator. */
export async function readSiteState(stack: LocalStack, siteId = 'home'): Promise<SiteState> {
  process.env.FIRESTORE_EMULATOR_HOST = stack.firestore.host;
  process.env.METADATA_SERVER_DETECTION = 'none';
  const store = createFirestoreStateStore({ projectId: 'demo-project', databaseId: '(default)', documentPath: `nvr-backup/${siteId}`, keyFilename: undefined, initialWatermark: 0 });
  try {
    return await store.read();
  } finally {
    await store.close();
  }
}

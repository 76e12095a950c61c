// The daemon's batch as a site lives with it: the state already holds the camera (every batch after the
// first does), its watermark before the bench's clips. Written straight to the Firestore emulator (not through
// the shaped link) by the runner's own store, as a runner's lease and record would write it. Without it, the
// batch is the site's first: the camera is new to the state, and its uploads wait for the lease, which records
// it (docs/watch.md, "Uploads ahead of the lease"). BENCH_DAEMON_NEW_SITE=1 measures that first batch instead.
import { FirestoreStateStore } from '../src/firestore/firestore-state-store.js';

export async function seedKnownCamera(env: Record<string, string>, camera: { id: string; name: string }, before: number): Promise<void> {
  const siteId = env.SITE_ID;
  if (!siteId) throw new Error('seedKnownCamera: no SITE_ID');
  // The emulator itself (the shaped bench sets it, and gives the runner the link's address instead).
  process.env.FIRESTORE_EMULATOR_HOST ??= env.FIRESTORE_EMULATOR_HOST;
  if (!process.env.FIRESTORE_EMULATOR_HOST) throw new Error('seedKnownCamera: no FIRESTORE_EMULATOR_HOST (the bench seeds the emulator only)');
  const store = new FirestoreStateStore({
    projectId: env.GCS_PROJECT_ID ?? 'demo-project', databaseId: '(default)', documentPath: `nvr-backup/${siteId}`,
    keyFilename: undefined, initialWatermark: 0, bucket: env.GCS_BUCKET_NAME,
  });
  try {
    const now = Date.now();
    const lease = await store.acquireLease('bench-seed', 60_000, now, [{ cameraId: camera.id, name: camera.name, lastTimestamp: before, at: now }]);
    if (!lease.acquired) throw new Error(`seeding ${siteId}: its lease is held`);
    await store.recordRun({ startedAt: now, finishedAt: now, uploaded: 0, existing: 0, failed: 0, bytes: 0 }, [], 'bench-seed');
  } finally {
    await store.close();
  }
}

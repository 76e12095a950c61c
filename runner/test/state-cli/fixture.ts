// Shared by the state-document CLI tests: one local stack per test file (the Scrypted and GCS test servers and
// the Firestore emulator), the runner's environment for one case (its cameras by CAMERAS_INCLUDE, its own state
// document and object prefix), direct reads of the state document, and checks of the bucket.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before } from 'node:test';
import { Firestore, type DocumentReference } from '@google-cloud/firestore';
import { clipEnd } from '../../src/core/clip-time.js';
import { objectName } from '../../src/core/object-name.js';
import type { Clip } from '../../src/core/ports.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';
import type { TestCamera, TestClip } from '../scrypted-server/server.js';

export const MIN = 60_000;
export const now = Date.now();

export const clipAt = (id: string, minutesAgo: number, seed: number, extra: Partial<TestClip> = {}): TestClip => ({
  id, startTime: now - minutesAgo * MIN, duration: 20_000, bytePath: 'href', generate: { sizeBytes: 30_000, seed }, ...extra,
});
export const asClip = (camera: TestCamera, clip: TestClip): Clip => ({ id: clip.id, cameraId: camera.id, startTime: clip.startTime, duration: clip.duration });
export const lastEnd = (camera: TestCamera) => Math.max(...camera.clips.map((clip) => clipEnd(asClip(camera, clip))));

export const sha = (bytes: Buffer | undefined): string => createHash('sha256').update(bytes ?? Buffer.alloc(0)).digest('hex');

export interface StateCliFixture {
  stack(): LocalStack;
  camera(id: string): TestCamera;
  env(site: string, cameraIds: string[], extra?: Record<string, string>): Record<string, string>;
  doc(site: string): DocumentReference;
  /** The camera's entry in the stored document (format 2), read straight from the emulator. */
  cameraState(site: string, cameraId: string): Promise<Record<string, unknown> | undefined>;
  /** Every clip of the camera is in the bucket under its name (or the name `names` gives), byte-identical. */
  assertAllStored(site: string, camera: TestCamera, names?: Map<string, string>): Promise<void>;
}

/** Starts the stack before the file's tests and stops it after. */
export function stateCliFixture(cameras: TestCamera[]): StateCliFixture {
  let stack: LocalStack | undefined;
  let db: Firestore | undefined;
  before(async () => {
    stack = await startLocalStack(cameras, 'state-bucket');
    db = new Firestore({ projectId: 'demo-project', host: stack.firestore.host, ssl: false });
  });
  after(async () => {
    await db?.terminate();
    await stack?.stop();
  });
  const live = () => stack as LocalStack;
  const doc = (site: string) => (db as Firestore).doc(`nvr-backup/${site}`);
  return {
    stack: live,
    camera: (id) => cameras.find((camera) => camera.id === id) as TestCamera,
    env: (site, cameraIds, extra = {}) => ({ ...live().env, SITE_ID: site, OBJECT_PREFIX: site, CAMERAS_INCLUDE: cameraIds.join(','), LOG_LEVEL: 'info', ...extra }),
    doc,
    async cameraState(site, cameraId) {
      const data = (await doc(site).get()).data() ?? {};
      return Object.values((data.cameras ?? {}) as Record<string, Record<string, unknown>>).find((entry) => entry.id === cameraId);
    },
    async assertAllStored(site, camera, names = new Map()) {
      for (const clip of camera.clips) {
        const name: string = names.get(clip.id) ?? objectName(camera, asClip(camera, clip), site, site);
        const stored = await live().gcs.readObject(live().bucket, name);
        assert.ok(stored, `missing: ${name}`);
        assert.equal(sha(stored.bytes), await live().scrypted.clipSha256(clip.id), name);
      }
    },
  };
}

// What the harness checks. After a faulty run: each camera's watermark is not past any clip missing from the
// bucket (the promise that matters while things go wrong). After the clean run that follows: every clip is in
// the bucket under its name, byte-identical, nothing else is there, and each watermark is at its camera's last
// clip's end and never went backwards.
import { createReadStream } from 'node:fs';
import { clipEnd } from '../src/core/clip-time.js';
import { Mp4StructureCheck } from '../src/core/mp4-structure.js';
import { objectName } from '../src/core/object-name.js';
import type { Clip, MismatchRecord, SiteState } from '../src/core/ports.js';
import { clipKey } from '../src/core/state-limits.js';
import { createFirestoreStateStore } from '../src/firestore/index.js';
import type { LocalStack } from '../test/support/local-stack.js';
import { fileSha256 } from '../test/support/stack-state.js';
import type { TestCamera } from '../test/scrypted-server/server.js';

export interface Verdict {
  lost: number;
  wrong: number;
  /** Cameras whose watermark moved back (below where it was before the clean run). */
  regressions: number;
  /** Cameras the clean run did not bring to their last clip's end (the watermark did not move back). */
  incomplete: number;
}

export interface TrialWorld {
  stack: LocalStack;
  cameras: TestCamera[];
  site: string;
  prefix: string;
}

const asClip = (camera: TestCamera, clip: TestCamera['clips'][number]): Clip => ({ id: clip.id, cameraId: camera.id, startTime: clip.startTime, duration: clip.duration });

/** True when the stored file is a whole MP4 (core/mp4-structure.ts, the check clip answers pass before they land). */
async function isWholeMp4(path: string): Promise<boolean> {
  const check = new Mp4StructureCheck();
  try {
    for await (const chunk of createReadStream(path)) check.push(chunk as Buffer);
    check.end();
    return true;
  } catch {
    return false;
  }
}

/** The trial's state document, read straight from the emulator (not through any fault proxy). */
export async function readSite(world: TrialWorld): Promise<SiteState> {
  process.env.FIRESTORE_EMULATOR_HOST = world.stack.firestore.host;
  process.env.METADATA_SERVER_DETECTION = 'none';
  const store = createFirestoreStateStore({ projectId: 'demo-project', databaseId: '(default)', documentPath: `nvr-backup/${world.site}`, keyFilename: undefined, initialWatermark: 0 });
  try {
    return await store.read();
  } finally {
    await store.close();
  }
}

/** Where the clip's right bytes must be: its own name, or the right copy its camera's state records. */
function rightObjectName(site: SiteState, camera: TestCamera, clip: TestCamera['clips'][number], prefix: string, siteId: string): string | undefined {
  const record = site.cameras.get(camera.id)?.mismatches.find((entry) => entry.clipKey === clipKey(clip.id));
  return record ? record.rightCopy : objectName(camera, asClip(camera, clip), prefix, siteId);
}

/**
 * Clips at or before their camera's watermark that are not in the bucket with their own bytes (must be 0 at every
 * moment): a wrong object where the clip's right bytes must be counts as missing.
 */
export async function clipsPassedButMissing(world: TrialWorld): Promise<number> {
  const site = await readSite(world);
  let missing = 0;
  for (const camera of world.cameras) {
    const watermark = site.cameras.get(camera.id)?.lastTimestamp ?? 0;
    for (const clip of camera.clips) {
      const passed = clipEnd(asClip(camera, clip)) <= watermark;
      if (!passed) continue;
      const name = rightObjectName(site, camera, clip, world.prefix, world.site);
      const path = name ? world.stack.gcs.objectPath(world.stack.bucket, name) : undefined;
      if (!path || (await fileSha256(path)) !== (await world.stack.scrypted.clipSha256(clip.id))) missing += 1;
    }
  }
  return missing;
}

/** True when the trial's state document holds a lease that has not expired. */
export async function leaseHeld(world: TrialWorld): Promise<boolean> {
  const lease = (await readSite(world)).lease;
  return lease !== undefined && lease.expiresAt > Date.now();
}

export async function watermarks(world: TrialWorld): Promise<Record<string, number>> {
  const site = await readSite(world);
  return Object.fromEntries(world.cameras.map((camera) => [camera.id, site.cameras.get(camera.id)?.lastTimestamp ?? 0]));
}

export async function checkComplete(world: TrialWorld, before: Record<string, number>): Promise<Verdict> {
  const verdict: Verdict = { lost: 0, wrong: 0, regressions: 0, incomplete: 0 };
  const site = await readSite(world);
  const expected = new Set<string>();
  for (const camera of world.cameras) {
    let last = 0;
    // A clip whose object was stored with wrong bytes and recorded as such is checked at its right copy; the
    // wrong object (the key cannot delete it) is known, so it is not counted as an unexpected object.
    const recorded = new Map<string, MismatchRecord>((site.cameras.get(camera.id)?.mismatches ?? []).map((record) => [record.clipKey, record]));
    for (const clip of camera.clips) {
      const record = recorded.get(clipKey(clip.id));
      if (record) expected.add(record.wrongObject);
      const name = rightObjectName(site, camera, clip, world.prefix, world.site) ?? '(no right copy yet)';
      expected.add(name);
      last = Math.max(last, clipEnd(asClip(camera, clip)));
      const path = world.stack.gcs.objectPath(world.stack.bucket, name);
      if (!path) verdict.lost += 1;
      else if ((await fileSha256(path)) !== (await world.stack.scrypted.clipSha256(clip.id))) verdict.wrong += 1;
    }
    const watermark = site.cameras.get(camera.id)?.lastTimestamp ?? 0;
    if (watermark < (before[camera.id] ?? 0)) verdict.regressions += 1;
    else if (watermark !== last) verdict.incomplete += 1;
  }
  // Anything else under the trial's prefix would be a partial or misnamed object; and every object there, the
  // recorded wrong ones aside, must be a whole MP4.
  const stored = (await world.stack.gcs.listObjects(world.stack.bucket)).filter((name) => name.startsWith(`${world.prefix}/`));
  verdict.wrong += stored.filter((name) => !expected.has(name)).length;
  const knownWrong = new Set([...site.cameras.values()].flatMap((camera) => camera.mismatches.map((record) => record.wrongObject)));
  for (const name of stored) {
    const path = world.stack.gcs.objectPath(world.stack.bucket, name);
    if (expected.has(name) && !knownWrong.has(name) && path && !(await isWholeMp4(path))) verdict.wrong += 1;
  }
  return verdict;
}

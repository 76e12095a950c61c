// Finds the clips of a time range: the camera folders under OBJECT_PREFIX (one listing with a delimiter), then,
// for each folder, only the prefixes of the range's UTC days and hours (listing-plan.ts), a few at a time. Cameras are matched on
// the objects' metadata (real name or id), not on folder names.
import { runBounded } from '../job/pool.js';
import type { GcsReader } from './gcs-reader.js';
import { rangePrefixes } from './listing-plan.js';
import { isCamera, storedClip, type StoredClip } from './stored-clip.js';
import type { TimeRange } from './time-range.js';

export interface Selection extends TimeRange {
  /** Camera ids or real names; empty: every camera. */
  cameras: string[];
}

export interface FoundClips {
  clips: StoredClip[];
  /** Every camera seen in the listed range (to say which exist when a name matched none). */
  camerasSeen: Array<{ id: string; name: string }>;
  /** Listing requests made. */
  requests: number;
}

/** Listings in flight at once (a week of several cameras is a few hundred small listings). */
const LISTING_CONCURRENCY = 6;

/** More objects than this in one selection is an error (memory is bounded; narrow the range). */
export const MAX_CLIPS = 100_000;

export interface FindOptions {
  pageSize?: number;
}

/** `OBJECT_PREFIX/` or ''. */
export const basePrefix = (objectPrefix: string) => (objectPrefix === '' ? '' : `${objectPrefix}/`);

export async function findClips(reader: GcsReader, objectPrefix: string, selection: Selection, options: FindOptions = {}): Promise<FoundClips> {
  const base = basePrefix(objectPrefix);
  const pageSize = options.pageSize ?? 1000;
  let requests = 0;
  const folders = new Set<string>();
  for await (const page of reader.list(base, { delimiter: '/', pageSize })) {
    requests += 1;
    for (const prefix of page.prefixes) folders.add(prefix);
  }
  const clips: StoredClip[] = [];
  const seen = new Map<string, { id: string; name: string }>();
  const listings = [...folders].sort().flatMap((folder) => rangePrefixes(selection).map((suffix) => `${folder}${suffix}`));
  let failure: unknown;
  await runBounded(listings, LISTING_CONCURRENCY, async (prefix) => {
    if (failure !== undefined) return;
    try {
      for await (const page of reader.list(prefix, { pageSize })) {
        requests += 1;
        for (const object of page.objects) {
          const clip = storedClip(object, base);
          if (!clip) continue;
          const end = clip.startMs + (clip.durationMs ?? 0);
          if (clip.startMs > selection.toMs || end < selection.fromMs) continue;
          seen.set(`${clip.cameraId}\u0000${clip.cameraName}`, { id: clip.cameraId, name: clip.cameraName });
          if (selection.cameras.length > 0 && !selection.cameras.some((camera) => isCamera(clip, camera))) continue;
          clips.push(clip);
          if (clips.length > MAX_CLIPS) throw new Error(`more than ${MAX_CLIPS} clips in this selection: narrow the range or name a camera`);
        }
      }
    } catch (error) {
      failure ??= error;
    }
  });
  if (failure !== undefined) throw failure;
  clips.sort((a, b) => a.startMs - b.startMs || a.cameraName.localeCompare(b.cameraName) || (a.objectName < b.objectName ? -1 : 1));
  const camerasSeen = [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { clips, camerasSeen, requests };
}

// A clip as the bucket holds it, read from the object's custom metadata (core/object-name.ts, objectMetadata:
// camera id and real name, clip start, duration, event, detection classes). Matching relies on that metadata,
// not on the object's path: the path's camera folder is a cleaned name and may change form. An object without
// our metadata (written by hand, or by an older runner) falls back to its path: folder as camera, UTC time.
import type { ObjectResource } from './gcs-reader.js';

export interface StoredClip {
  objectName: string;
  /** The camera's folder in the path (below OBJECT_PREFIX). */
  folder: string;
  cameraId: string;
  cameraName: string;
  startMs: number;
  durationMs: number | undefined;
  event: string | undefined;
  detectionClasses: string[];
  size: number;
  generation: string;
  crc32c: string | undefined;
}

/** `{yyyy}/{MM}/{dd}/{HH-mm-ss}[_tag].mp4` at the end of an object name, as UTC. */
function startFromPath(segments: string[]): number | undefined {
  const [year, month, day, file] = segments.slice(-4);
  const time = /^(\d{2})-(\d{2})-(\d{2})(?:_[^/]*)?\.mp4$/.exec(file ?? '');
  if (!time || !/^\d{4}$/.test(year ?? '') || !/^\d{2}$/.test(month ?? '') || !/^\d{2}$/.test(day ?? '')) return undefined;
  const ms = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(time[1]), Number(time[2]), Number(time[3]));
  return Number.isFinite(ms) ? ms : undefined;
}

const bounded = (value: string | undefined, max: number) => (value === undefined || value === '' ? undefined : value.slice(0, max));

/** A StoredClip from an object under `base` (OBJECT_PREFIX with its `/`), or undefined when it is not a clip. */
export function storedClip(object: ObjectResource, base: string): StoredClip | undefined {
  if (!object.name.startsWith(base) || !object.name.endsWith('.mp4')) return undefined;
  const segments = object.name.slice(base.length).split('/');
  if (segments.length !== 5) return undefined;
  const folder = segments[0] as string;
  const meta = object.metadata;
  const metaStart = Number(meta.get('startTimeMs'));
  const startMs = Number.isSafeInteger(metaStart) && metaStart > 0 ? metaStart : startFromPath(segments);
  if (startMs === undefined) return undefined;
  const duration = Number(meta.get('durationMs'));
  const classes = (meta.get('detectionClasses') ?? '').split(',').map((c) => c.trim()).filter((c) => c !== '').slice(0, 32);
  return {
    objectName: object.name,
    folder,
    cameraId: bounded(meta.get('cameraId'), 256) ?? '',
    cameraName: bounded(meta.get('cameraName'), 512) ?? folder,
    startMs,
    durationMs: Number.isFinite(duration) && duration >= 0 && duration < 7 * 86_400_000 ? duration : undefined,
    event: bounded(meta.get('event'), 512),
    detectionClasses: classes.map((c) => c.slice(0, 64)),
    size: object.size,
    generation: object.generation,
    crc32c: object.crc32c,
  };
}

/** Case, accents' composition and surrounding spaces do not matter when a person types a camera's name. */
const fold = (text: string) => text.normalize('NFC').trim().toLowerCase();

/** Whether `selector` (a camera's id or its real name) names this clip's camera. */
export function isCamera(clip: StoredClip, selector: string): boolean {
  const wanted = fold(selector);
  return (clip.cameraId !== '' && clip.cameraId === selector.trim()) || fold(clip.cameraName) === wanted;
}

// Converts between the state document as Firestore stores it and the core's SiteState. Firestore data from an
// older version or a hand edit in the console is read defensively: a missing or malformed field reads as empty.
import type { CameraState, Lease, RunCounters, SiteState } from '../core/ports.js';

type Data = Record<string, unknown>;

const asNumber = (value: unknown, fallback = 0): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
const asRecord = (value: unknown): Data => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Data) : {});

function decodeCamera(value: unknown): CameraState {
  const data = asRecord(value);
  const recentClips: Record<string, number> = {};
  for (const [id, end] of Object.entries(asRecord(data.recentClips))) recentClips[id] = asNumber(end);
  return { name: typeof data.name === 'string' ? data.name : '', lastTimestamp: asNumber(data.lastTimestamp), recentClips };
}

function decodeLease(value: unknown): Lease | undefined {
  const data = asRecord(value);
  return typeof data.owner === 'string' ? { owner: data.owner, expiresAt: asNumber(data.expiresAt) } : undefined;
}

function decodeRun(value: unknown): RunCounters | undefined {
  const data = asRecord(value);
  if (data.finishedAt === undefined) return undefined;
  return {
    startedAt: asNumber(data.startedAt),
    finishedAt: asNumber(data.finishedAt),
    uploaded: asNumber(data.uploaded),
    existing: asNumber(data.existing),
    failed: asNumber(data.failed),
    bytes: asNumber(data.bytes),
  };
}

export function decodeSiteState(data: Data | undefined, initialWatermark: number): SiteState {
  if (!data) return { lastTimestamp: initialWatermark, cameras: {}, lease: undefined, lastRun: undefined };
  const cameras: Record<string, CameraState> = {};
  for (const [id, camera] of Object.entries(asRecord(data.cameras))) cameras[id] = decodeCamera(camera);
  return { lastTimestamp: asNumber(data.lastTimestamp, initialWatermark), cameras, lease: decodeLease(data.lease), lastRun: decodeRun(data.lastRun) };
}

/** The document's fields (without `updatedAt`, which the store sets from the server clock). */
export function encodeSiteState(state: SiteState): Data {
  return {
    lastTimestamp: state.lastTimestamp,
    cameras: state.cameras,
    lease: state.lease ?? null,
    lastRun: state.lastRun ?? null,
  };
}

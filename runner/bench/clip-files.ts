// The benchmark's clips as files on disk: the Scrypted test server serves them, rclone and the raw copy read
// them, so all three move the same bytes. Generated once (valid MP4s, incompressible payload) and reused.
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { generatedClip } from '../test/scrypted-server/mp4.js';

export const CLIP_DURATION_MS = 30_000;

export async function clipFile(dir: string, sizeBytes: number, seed: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `clip-${sizeBytes}-${seed}.mp4`);
  if (existsSync(path) && statSync(path).size === sizeBytes) return path;
  await pipeline(generatedClip(sizeBytes, seed, CLIP_DURATION_MS), createWriteStream(`${path}.partial`));
  renameSync(`${path}.partial`, path);
  return path;
}

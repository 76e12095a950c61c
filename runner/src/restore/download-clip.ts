// Restores one clip into a folder: streamed to a temporary file, its CRC32C computed on the way and compared
// with the object's (https://cloud.google.com/storage/docs/hashes-etags), then renamed into place. A file that
// is already there with the right size and CRC32C is kept as it is; a different one is replaced.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sanitizeSegment } from '../core/object-name.js';
import { Crc32cPassThrough, FastCrc32c } from '../gcs/fast-crc32c.js';
import type { GcsReader } from './gcs-reader.js';
import type { StoredClip } from './stored-clip.js';
import { fileTime } from './time-range.js';

export type RestoreOutcome = 'restored' | 'replaced' | 'present';

/** `Front_Door_2026-11-29_15-02-10.mp4` (local time unless `utc`); clips sharing that get the object's tag too. */
export function restoredFileNames(clips: StoredClip[], utc: boolean): Map<StoredClip, string> {
  const base = (clip: StoredClip) => `${sanitizeSegment(clip.cameraName, 'camera')}_${fileTime(clip.startMs, utc)}`;
  const counts = new Map<string, number>();
  for (const clip of clips) counts.set(base(clip), (counts.get(base(clip)) ?? 0) + 1);
  const names = new Map<StoredClip, string>();
  for (const clip of clips) {
    const tag = /_([0-9a-f]{8})\.mp4$/.exec(clip.objectName)?.[1] ?? sanitizeSegment(clip.objectName, 'clip').slice(-12);
    names.set(clip, (counts.get(base(clip)) ?? 0) > 1 ? `${base(clip)}_${tag}.mp4` : `${base(clip)}.mp4`);
  }
  return names;
}

/** The CRC32C of a file (base64, as GCS gives it), streamed. */
export async function fileCrc32c(path: string): Promise<string> {
  const crc = new FastCrc32c();
  for await (const chunk of createReadStream(path)) crc.update(chunk as Buffer);
  return crc.toString();
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

/** Counts bytes going through, for progress. */
class Progress extends Transform {
  bytes = 0;

  constructor(private readonly report: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.report(this.bytes);
    callback(null, chunk);
  }
}

export interface RestoreClipOptions {
  folder: string;
  fileName: string;
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

export async function restoreClip(reader: GcsReader, clip: StoredClip, options: RestoreClipOptions): Promise<RestoreOutcome> {
  const expected = clip.crc32c;
  if (!expected) throw new Error(`${clip.objectName} has no CRC32C in the bucket to check a copy against`);
  const target = join(options.folder, options.fileName);
  const existingSize = await sizeOf(target);
  if (existingSize === clip.size && (await fileCrc32c(target)) === expected) return 'present';
  const temp = `${target}.partial-${process.pid}`;
  try {
    const download = await reader.download(clip.objectName, {
      ...(clip.generation ? { generation: clip.generation } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (download.status !== 200) {
      download.body.destroy();
      throw new Error(`GCS answered ${download.status} to the download of ${clip.objectName}`);
    }
    const crc = new Crc32cPassThrough();
    const progress = new Progress(options.onProgress ?? (() => {}));
    await pipeline(download.body, crc, progress, createWriteStream(temp), options.signal ? { signal: options.signal } : {});
    if (progress.bytes !== clip.size) throw new Error(`${clip.objectName}: got ${progress.bytes} bytes, the object has ${clip.size}; not kept`);
    if (!crc.crc.validate(expected)) throw new Error(`${clip.objectName}: CRC32C ${crc.crc.toString()} of the bytes received is not the object's ${expected}; not kept`);
    await rename(temp, target);
    return existingSize === undefined ? 'restored' : 'replaced';
  } finally {
    await rm(temp, { force: true });
  }
}

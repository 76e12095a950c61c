// The GCS test server's objects: bytes in files under a temporary directory, metadata in memory. Objects are
// created atomically (a finished temp file is renamed into place), so a failed upload leaves nothing behind.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';

export interface StoredObject {
  bucket: string;
  name: string;
  path: string;
  generation: number;
  size: number;
  contentType: string;
  metadata: Record<string, string>;
  crc32c: string;
  md5Hash: string;
  updated: string;
}

export interface Digests {
  size: number;
  crc32c: string;
  md5Hash: string;
}

/** A CRC32C as GCS reports it: the 4 bytes big-endian, base64. */
const base64Crc = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes.toString('base64');
};

/** CRC32C and MD5 of a file, streamed (native CRC32C: the JavaScript one made this server the bottleneck). */
export async function digestFile(path: string, start = 0, end?: number): Promise<Digests> {
  let crc = 0;
  const md5 = createHash('md5');
  let size = 0;
  if (end !== undefined && end < start) return { size, crc32c: base64Crc(crc), md5Hash: md5.digest('base64') };
  for await (const chunk of createReadStream(path, { start, ...(end === undefined ? {} : { end }) })) {
    const buffer = chunk as Buffer;
    crc = crc32c(buffer, crc);
    md5.update(buffer);
    size += buffer.length;
  }
  return { size, crc32c: base64Crc(crc), md5Hash: md5.digest('base64') };
}

export class ObjectStore {
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  private generation = Date.now() * 1000;
  private fileCounter = 0;

  constructor(readonly dataDir: string) {}

  createBucket(name: string): boolean {
    if (this.buckets.has(name)) return false;
    this.buckets.set(name, new Map());
    return true;
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  get(bucket: string, name: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.get(name);
  }

  list(bucket: string): StoredObject[] {
    return [...(this.buckets.get(bucket)?.values() ?? [])].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async tempPath(): Promise<string> {
    await mkdir(join(this.dataDir, 'tmp'), { recursive: true });
    return join(this.dataDir, 'tmp', `upload-${process.pid}-${++this.fileCounter}`);
  }

  /** Moves a finished temp file into place as a new object generation. The caller checked preconditions. */
  async commit(bucket: string, name: string, tempPath: string, digests: Digests, contentType: string, metadata: Record<string, string>): Promise<StoredObject> {
    await mkdir(join(this.dataDir, 'objects'), { recursive: true });
    const path = join(this.dataDir, 'objects', `object-${++this.fileCounter}`);
    await rename(tempPath, path);
    const previous = this.get(bucket, name);
    const object: StoredObject = {
      bucket, name, path, generation: ++this.generation, size: digests.size, contentType, metadata,
      crc32c: digests.crc32c, md5Hash: digests.md5Hash, updated: new Date().toISOString(),
    };
    this.buckets.get(bucket)?.set(name, object);
    if (previous) await rm(previous.path, { force: true });
    return object;
  }

  async delete(bucket: string, name: string): Promise<boolean> {
    const object = this.get(bucket, name);
    if (!object) return false;
    this.buckets.get(bucket)?.delete(name);
    await rm(object.path, { force: true });
    return true;
  }
}

/** The JSON object resource, in the form of https://cloud.google.com/storage/docs/json_api/v1/objects#resource */
export function objectResource(object: StoredObject, behaviour?: { emptySize: 'zero' | 'omitted' }): Record<string, unknown> {
  // Google's storage-testbench leaves `size` out of an empty object's resource (proto3 JSON omits a zero:
  // googleapis/storage-testbench:gcs/object.py rest_metadata); the JSON API reference lists it always.
  const size = object.size === 0 && behaviour?.emptySize === 'omitted' ? {} : { size: String(object.size) };
  return {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    name: object.name,
    bucket: object.bucket,
    generation: String(object.generation),
    metageneration: '1',
    contentType: object.contentType,
    ...size,
    crc32c: object.crc32c,
    md5Hash: object.md5Hash,
    metadata: object.metadata,
    updated: object.updated,
    timeCreated: object.updated,
    storageClass: 'STANDARD',
  };
}

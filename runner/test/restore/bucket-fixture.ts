// What the restore tests share: the GCS test server with a bucket, filled through the real sink with objects
// named and described as the runner names and describes them (core/object-name.ts), and a writable that keeps
// what a command printed.
import { Readable } from 'node:stream';
import { objectMetadata, objectName } from '../../src/core/object-name.js';
import type { Camera, Clip } from '../../src/core/ports.js';
import { GcsClipSink } from '../../src/gcs/index.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';
import { testSinkOptions } from '../gcs/sink-fixture.js';

export const FRONT_DOOR: Camera = { id: '101', name: 'Front Door' };
export const GARAGE: Camera = { id: '102', name: 'Garage' };

/** Deterministic clip bytes: `size` bytes from `seed`. */
export function clipBytes(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  let state = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

export interface StoredFixture {
  camera: Camera;
  clip: Clip;
  name: string;
  bytes: Buffer;
}

export interface FilledBucket {
  server: GcsTestServer;
  bucket: string;
  env: Record<string, string>;
  stored: StoredFixture[];
  put(camera: Camera, clip: Clip, bytes: Buffer, prefix?: string): Promise<StoredFixture>;
  close(): Promise<void>;
}

export async function startFilledBucket(bucket = 'restore-test'): Promise<FilledBucket> {
  const server = await startGcsTestServer({ buckets: [bucket] });
  const sink = new GcsClipSink(testSinkOptions(server.endpoint, bucket));
  const stored: StoredFixture[] = [];
  return {
    server, bucket, stored,
    env: { GCS_BUCKET_NAME: bucket, GCS_ENDPOINT: server.endpoint },
    async put(camera, clip, bytes, prefix = '') {
      const name = objectName(camera, clip, prefix);
      const result = await sink.putIfAbsent(
        { name, contentType: 'video/mp4', metadata: objectMetadata(camera, clip), size: bytes.length },
        async () => ({ stream: Readable.from([bytes]), size: bytes.length }),
      );
      if (result.outcome !== 'created') throw new Error(`${name} was not created`);
      const fixture = { camera, clip, name, bytes };
      stored.push(fixture);
      return fixture;
    },
    close: () => server.close(),
  };
}

/** A writable that keeps the text written to it. */
export function captured(): { write(text: string): boolean; text(): string } {
  let text = '';
  return {
    write(chunk: string) {
      text += chunk;
      return true;
    },
    text: () => text,
  };
}

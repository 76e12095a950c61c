// An in-memory ClipSink for core and job tests: create-only, like the real bucket for the runner's key.
import { StoredObjectMismatchError } from '../../src/core/errors.js';
import type { ClipSink, ClipStream, ObjectDescription, PutResult } from '../../src/core/ports.js';

export interface MemoryObject {
  bytes: Buffer;
  metadata: Record<string, string>;
  contentType: string;
}

export class MemoryClipSink implements ClipSink {
  readonly objects = new Map<string, MemoryObject>();
  private failures = 0;
  private corruptions = 0;
  puts = 0;

  /** The next `count` puts store the object with one byte changed and throw StoredObjectMismatchError, as a sink that finds the stored object's CRC32C wrong would. */
  corruptNext(count: number): void {
    this.corruptions = count;
  }

  /** The next `count` puts fail after consuming the stream, as a broken network would. */
  failPuts(count: number): void {
    this.failures = count;
  }

  async putIfAbsent(object: ObjectDescription, open: () => Promise<ClipStream>, signal?: AbortSignal, _phases?: unknown, ready?: Promise<void>): Promise<PutResult> {
    this.puts += 1;
    if (this.objects.has(object.name)) return { outcome: 'exists', bytes: 0, attempts: 1 };
    const clip = await open();
    const chunks: Buffer[] = [];
    for await (const chunk of clip.stream) {
      signal?.throwIfAborted();
      chunks.push(chunk as Buffer);
    }
    const bytes = Buffer.concat(chunks);
    if (clip.size !== undefined && bytes.length !== clip.size) throw new Error(`source ended after ${bytes.length} of ${clip.size} bytes`);
    // As the GCS sink holds back its last bytes: nothing is stored before `ready`, nothing at all if it rejects.
    if (ready) await ready;
    signal?.throwIfAborted();
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('upload failed (injected)');
    }
    if (this.objects.has(object.name)) return { outcome: 'exists', bytes: 0, attempts: 1 };
    if (this.corruptions > 0) {
      this.corruptions -= 1;
      const wrong = Buffer.from(bytes);
      wrong[0] = (wrong[0] ?? 0) ^ 0xff;
      this.objects.set(object.name, { bytes: wrong, metadata: { ...object.metadata }, contentType: object.contentType });
      throw new Error(`upload of ${object.name} failed`, { cause: new StoredObjectMismatchError('CRC32C does not match (injected)', { objectName: object.name }) });
    }
    this.objects.set(object.name, { bytes, metadata: { ...object.metadata }, contentType: object.contentType });
    return { outcome: 'created', bytes: bytes.length, attempts: 1 };
  }
}

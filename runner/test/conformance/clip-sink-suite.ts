// One conformance suite for the ClipSink port: the GCS adapter on the GCS test server, and the in-memory sink.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ClipSink, ClipStream, ObjectDescription } from '../../src/core/ports.js';

export interface ClipSinkFixture {
  sink: ClipSink;
  readBack(name: string): Promise<{ bytes: Buffer; metadata: Record<string, string>; contentType: string } | undefined>;
  teardown(): Promise<void>;
}

const describeObject = (name: string, size?: number): ObjectDescription => ({
  name,
  contentType: 'video/mp4',
  metadata: { clipId: name, cameraId: 'cam-1' },
  size,
});

/** A stream of `bytes` in 64 KiB pieces; `size` is announced unless `unknownSize`. */
export function clipOf(bytes: Buffer, options: { unknownSize?: boolean; failAfter?: number } = {}): () => Promise<ClipStream> {
  return async () => {
    const pieces: Buffer[] = [];
    for (let offset = 0; offset < bytes.length; offset += 65536) pieces.push(bytes.subarray(offset, offset + 65536));
    async function* generate() {
      let sent = 0;
      for (const piece of pieces) {
        if (options.failAfter !== undefined && sent + piece.length > options.failAfter) throw new Error('source connection dropped (injected)');
        sent += piece.length;
        yield piece;
      }
    }
    return { stream: Readable.from(generate()), size: options.unknownSize ? undefined : bytes.length };
  };
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export function clipSinkConformance(name: string, setup: () => Promise<ClipSinkFixture>, sizes: { small: number; large: number }): void {
  describe(`ClipSink conformance: ${name}`, () => {
    let fixture: ClipSinkFixture;
    beforeEach(async () => {
      fixture = await setup();
    });
    afterEach(async () => {
      await fixture.teardown();
    });

    for (const [label, size, unknownSize] of [
      ['a small clip', sizes.small, false],
      ['a large clip (several chunks)', sizes.large, false],
      ['a clip of unknown size', sizes.large, true],
      ['an empty clip', 0, false],
    ] as const) {
      it(`stores ${label} with exact bytes, content type and metadata`, async () => {
        const bytes = randomBytes(size);
        const result = await fixture.sink.putIfAbsent(describeObject(`cam/${size}-${unknownSize}.mp4`), clipOf(bytes, { unknownSize }));
        assert.equal(result.outcome, 'created');
        assert.equal(result.bytes, size);
        const stored = await fixture.readBack(`cam/${size}-${unknownSize}.mp4`);
        assert.ok(stored, 'object missing');
        assert.equal(sha(stored.bytes), sha(bytes));
        assert.equal(stored.contentType, 'video/mp4');
        assert.deepEqual(stored.metadata, { clipId: `cam/${size}-${unknownSize}.mp4`, cameraId: 'cam-1' });
      });
    }

    for (const [label, size] of [['small', sizes.small], ['large', sizes.large]] as const) {
      it(`never overwrites: a second ${label} put of the same name is "exists" and keeps the first bytes`, async () => {
        const first = randomBytes(size);
        await fixture.sink.putIfAbsent(describeObject('cam/same.mp4'), clipOf(first));
        const second = await fixture.sink.putIfAbsent(describeObject('cam/same.mp4'), clipOf(randomBytes(size)));
        assert.equal(second.outcome, 'exists');
        assert.equal(sha((await fixture.readBack('cam/same.mp4'))?.bytes ?? Buffer.alloc(0)), sha(first));
      });
    }

    it('leaves no object when the source stream breaks on every attempt', async () => {
      const bytes = randomBytes(sizes.large);
      await assert.rejects(fixture.sink.putIfAbsent(describeObject('cam/broken.mp4'), clipOf(bytes, { failAfter: sizes.large / 2 })), /dropped|failed/);
      assert.equal(await fixture.readBack('cam/broken.mp4'), undefined);
    });

    it('leaves no object when a source ends short of its announced size', async () => {
      const bytes = randomBytes(sizes.large);
      const short = async () => ({ ...(await clipOf(bytes.subarray(0, sizes.large / 2))()), size: sizes.large });
      await assert.rejects(fixture.sink.putIfAbsent(describeObject('cam/short.mp4'), short));
      assert.equal(await fixture.readBack('cam/short.mp4'), undefined);
    });

    /** A clip whose stream says when its last byte was read; and a `ready` the test settles. */
    function held(bytes: Buffer) {
      let consumed!: () => void;
      const allRead = new Promise<void>((resolve) => (consumed = resolve));
      const open = async (): Promise<ClipStream> => {
        const clip = await clipOf(bytes)();
        clip.stream.once('end', consumed);
        return clip;
      };
      let settle!: { resolve: () => void; reject: (error: Error) => void };
      const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      return { open, allRead, ready, settle };
    }

    for (const [label, size] of [['small', sizes.small], ['large', sizes.large]] as const) {
      it(`with \`ready\` pending, a ${label} clip is read whole but creates no object until it resolves`, async () => {
        const bytes = randomBytes(size);
        const clip = held(bytes);
        const put = fixture.sink.putIfAbsent(describeObject(`cam/held-${label}.mp4`), clip.open, undefined, undefined, clip.ready);
        await clip.allRead;
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(await fixture.readBack(`cam/held-${label}.mp4`), undefined, 'no object before ready');
        clip.settle.resolve();
        assert.equal((await put).outcome, 'created');
        assert.equal(sha((await fixture.readBack(`cam/held-${label}.mp4`))?.bytes ?? Buffer.alloc(0)), sha(bytes));
      });

      it(`when \`ready\` rejects, a ${label} clip's upload fails with its error and leaves no object`, async () => {
        const clip = held(randomBytes(size));
        const put = fixture.sink.putIfAbsent(describeObject(`cam/refused-${label}.mp4`), clip.open, undefined, undefined, clip.ready);
        await clip.allRead;
        clip.settle.reject(new Error('no lease (injected)'));
        await assert.rejects(put, /no lease \(injected\)/);
        assert.equal(await fixture.readBack(`cam/refused-${label}.mp4`), undefined);
      });
    }

    it('leaves no object when the upload is aborted', async () => {
      const controller = new AbortController();
      const bytes = randomBytes(sizes.large);
      const slow = async (): Promise<ClipStream> => {
        async function* generate() {
          yield bytes.subarray(0, 65536);
          controller.abort();
          await new Promise((resolve) => setTimeout(resolve, 50));
          yield bytes.subarray(65536);
        }
        return { stream: Readable.from(generate()), size: bytes.length };
      };
      await assert.rejects(fixture.sink.putIfAbsent(describeObject('cam/aborted.mp4'), slow, controller.signal));
      assert.equal(await fixture.readBack('cam/aborted.mp4'), undefined);
    });
  });
}

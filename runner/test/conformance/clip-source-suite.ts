// One conformance suite for the ClipSource port: the Scrypted adapter on the Scrypted test server, and the
// in-memory source.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Camera, Clip, ClipSource } from '../../src/core/ports.js';

export interface ClipSourceFixture {
  source: ClipSource;
  expected: {
    cameras: Camera[];
    clipsByCamera: Record<string, Array<{ clip: Clip; sha256: string }>>;
    /** Listed clips that can only be had as a stream (e.g. an ffmpeg input): probed and opened as unsupported. */
    unsupportedByCamera?: Record<string, Clip[]>;
  };
  teardown(): Promise<void>;
}

async function sha256(source: ClipSource, camera: Camera, clip: Clip): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of (await source.openClip(camera, clip)).stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function clipSourceConformance(name: string, setup: () => Promise<ClipSourceFixture>): void {
  describe(`ClipSource conformance: ${name}`, () => {
    let fixture: ClipSourceFixture;
    before(async () => {
      fixture = await setup();
    });
    after(async () => {
      await fixture.teardown();
    });

    it('lists the expected cameras', async () => {
      const byId = (a: Camera, b: Camera) => a.id.localeCompare(b.id);
      assert.deepEqual((await fixture.source.listCameras()).sort(byId), [...fixture.expected.cameras].sort(byId));
    });

    it('lists every clip of each camera for a wide window, with its times', async () => {
      for (const camera of fixture.expected.cameras) {
        const listed = await fixture.source.listClips(camera, { startTime: 0, endTime: Date.now() + 60_000 });
        const unsupported = (fixture.expected.unsupportedByCamera?.[camera.id] ?? []).map((clip) => ({ clip }));
        const expected = [...(fixture.expected.clipsByCamera[camera.id] ?? []), ...unsupported];
        assert.deepEqual(listed.map((c) => c.id).sort(), expected.map((e) => e.clip.id).sort());
        for (const clip of listed) {
          const want = expected.find((e) => e.clip.id === clip.id)?.clip;
          assert.equal(clip.cameraId, camera.id);
          assert.equal(clip.startTime, want?.startTime);
          assert.equal(clip.duration, want?.duration);
        }
      }
    });

    it('lists nothing for a window before every clip', async () => {
      for (const camera of fixture.expected.cameras) assert.deepEqual(await fixture.source.listClips(camera, { startTime: 0, endTime: 1 }), []);
    });

    it('streams each clip byte-identical, and a fresh stream per open', async () => {
      for (const camera of fixture.expected.cameras) {
        for (const { clip, sha256: expected } of fixture.expected.clipsByCamera[camera.id] ?? []) {
          assert.equal(await sha256(fixture.source, camera, clip), expected, clip.id);
          assert.equal(await sha256(fixture.source, camera, clip), expected, `${clip.id} (second open)`);
        }
      }
    });

    it('probes every streamable clip as supported, and every stream-only clip as unsupported, which opens as UnsupportedClipError', async () => {
      for (const camera of fixture.expected.cameras) {
        const listed = await fixture.source.listClips(camera, { startTime: 0, endTime: Date.now() + 60_000 });
        for (const { clip } of fixture.expected.clipsByCamera[camera.id] ?? []) {
          assert.deepEqual(await fixture.source.probeClip(camera, listed.find((c) => c.id === clip.id) ?? clip), { supported: true }, clip.id);
        }
        for (const clip of fixture.expected.unsupportedByCamera?.[camera.id] ?? []) {
          const probe = await fixture.source.probeClip(camera, listed.find((c) => c.id === clip.id) ?? clip);
          assert.equal(probe.supported, false, clip.id);
          assert.ok(!probe.supported && probe.reason.length > 0);
          await assert.rejects(fixture.source.openClip(camera, clip), (error: Error) => error.name === 'UnsupportedClipError');
        }
      }
    });

    it('fails to open a clip that does not exist', async () => {
      const camera = fixture.expected.cameras[0] as Camera;
      await assert.rejects(fixture.source.openClip(camera, { id: 'no-such-clip', cameraId: camera.id, startTime: 1000, duration: 1 }));
    });
  });
}

// An in-memory ClipSource for core and job tests.
import { Readable } from 'node:stream';
import { UnsupportedClipError } from '../../src/core/errors.js';
import type { Camera, Clip, ClipProbe, ClipSource, ClipStream, TimeWindow } from '../../src/core/ports.js';

export class MemoryClipSource implements ClipSource {
  private readonly cameras: Camera[];
  private readonly clips = new Map<string, Array<{ clip: Clip; bytes: Buffer }>>();
  private readonly failures = new Map<string, number>();
  private readonly unsupported = new Set<string>();
  readonly listWindows: TimeWindow[] = [];
  opens = 0;

  constructor(cameras: Array<{ camera: Camera; clips: Array<{ clip: Clip; bytes: Buffer }> }>) {
    this.cameras = cameras.map((entry) => entry.camera);
    for (const entry of cameras) this.clips.set(entry.camera.id, [...entry.clips]);
  }

  /** The next `times` opens of this clip fail. */
  failOpen(clipId: string, times: number): void {
    this.failures.set(clipId, times);
  }

  /** This clip can only be had as a stream (like an ffmpeg-only clip): opening it throws UnsupportedClipError. */
  markUnsupported(clipId: string): void {
    this.unsupported.add(clipId);
  }

  addClip(cameraId: string, clip: Clip, bytes: Buffer): void {
    this.clips.get(cameraId)?.push({ clip, bytes });
  }

  async listCameras(): Promise<Camera[]> {
    return [...this.cameras];
  }

  async listClips(camera: Camera, window: TimeWindow): Promise<Clip[]> {
    this.listWindows.push(window);
    return (this.clips.get(camera.id) ?? [])
      .filter(({ clip }) => clip.startTime >= window.startTime && clip.startTime <= window.endTime)
      .map(({ clip }) => ({ ...clip }));
  }

  async probeClip(_camera: Camera, clip: Clip): Promise<ClipProbe> {
    return this.unsupported.has(clip.id) ? { supported: false, reason: `clip ${clip.id} is only a stream (test)` } : { supported: true };
  }

  async openClip(camera: Camera, clip: Clip): Promise<ClipStream> {
    this.opens += 1;
    if (this.unsupported.has(clip.id)) throw new UnsupportedClipError(`clip ${clip.id} is only a stream (test)`);
    const left = this.failures.get(clip.id) ?? 0;
    if (left > 0) {
      this.failures.set(clip.id, left - 1);
      throw new Error(`clip ${clip.id} could not be opened (injected)`);
    }
    const entry = this.clips.get(camera.id)?.find((candidate) => candidate.clip.id === clip.id);
    if (!entry) throw new Error(`no clip ${clip.id} on camera ${camera.id}`);
    return { stream: Readable.from([entry.bytes]), size: entry.bytes.length };
  }

  async close(): Promise<void> {}
}

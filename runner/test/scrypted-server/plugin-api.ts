// The objects the test server exports over RPC, shaped like the real ones (protocol §5, §7, §8): the PluginAPI
// proxy, the MediaManager, VideoClips devices and MediaObjects. Each is a class instance, so the peer exports it
// by reference with its constructor name, as the real server does.
import { createHash } from 'node:crypto';

export interface TestClip {
  id: string;
  startTime: number;
  duration: number;
  bytePath?: 'href' | 'local-uri' | 'ffmpeg-only';
  file?: string;
  generate?: { sizeBytes: number; seed: number };
  event?: string;
  detectionClasses?: string[];
}

export interface TestCamera {
  id: string;
  name: string;
  interfaces?: string[];
  clips: TestClip[];
}

export const HREF_PREFIX = '/endpoint/@test/videoclips-fixture/clip/';
export const PUBLIC_PREFIX = '/endpoint/21/public/';

/** What plugin objects need from the server: its cameras and the public file host. */
export interface ServerWorld {
  cameras: Map<string, TestCamera>;
  publish(clip: TestClip): string;
  headerBytes(clip: TestClip): Buffer;
}

const ASYNC_ITERATOR_PROPS = { 'Symbol(Symbol.asyncIterator)': { next: 'next', throw: 'throw', return: 'return' } };

export class MediaObject {
  readonly __proxy_props: Record<string, unknown>;
  constructor(readonly clip: TestClip, readonly mimeType: string, sourceId: string) {
    this.__proxy_props = { sourceId, mimeType, convert: null, toMimeTypes: null };
  }
}

export class ScryptedDevice {
  readonly __proxy_props = ASYNC_ITERATOR_PROPS;
  constructor(private readonly world: ServerWorld, readonly id: string) {}

  private camera(): TestCamera {
    const camera = this.world.cameras.get(this.id);
    if (!camera) throw new Error(`device ${this.id} not found`);
    return camera;
  }

  /** One documented provider behaviour: clips whose start lies in [startTime, endTime], oldest first. */
  async getVideoClips(options: { startTime?: number; endTime?: number; count?: number } = {}) {
    const camera = this.camera();
    if (!(camera.interfaces ?? ['VideoClips']).includes('VideoClips')) throw new Error(`${camera.name} does not implement VideoClips`);
    const start = options.startTime ?? 0;
    const end = options.endTime ?? Number.MAX_SAFE_INTEGER;
    const clips = camera.clips
      .filter((clip) => clip.startTime >= start && clip.startTime <= end)
      .sort((a, b) => a.startTime - b.startTime)
      .slice(0, options.count ?? Number.MAX_SAFE_INTEGER);
    return clips.map((clip) => ({
      id: clip.id,
      startTime: clip.startTime,
      duration: clip.duration,
      event: clip.event ?? 'motion',
      detectionClasses: clip.detectionClasses ?? ['person'],
      thumbnailId: clip.id,
      videoId: clip.id,
      ...(clip.bytePath === undefined || clip.bytePath === 'href'
        ? { resources: { video: { href: `${HREF_PREFIX}${encodeURIComponent(clip.id)}.mp4` } } }
        : {}),
    }));
  }

  async getVideoClip(videoId: string): Promise<MediaObject> {
    const clip = this.camera().clips.find((candidate) => candidate.id === videoId);
    if (!clip) throw new Error(`clip ${videoId} not found`);
    const mime = clip.bytePath === 'ffmpeg-only' ? 'x-scrypted/x-ffmpeg-input' : 'x-scrypted/x-scrypted-scheme-file';
    return new MediaObject(clip, mime, this.id);
  }

  async removeVideoClips(): Promise<never> {
    throw new Error('removeVideoClips is not supported by the fixture');
  }
}

export class MediaManagerImpl {
  readonly __proxy_props = { __cluster: { id: 'test-cluster', port: 0, proxyId: 'media', sha256: 'none' } };
  constructor(private readonly world: ServerWorld) {}

  /** text/x-local-uri: a public URL on the core plugin's file host, whose host part is wrong (protocol §8). */
  async convertMediaObject(mediaObject: unknown, toMimeType: string): Promise<string> {
    if (!(mediaObject instanceof MediaObject)) throw new Error('not a MediaObject');
    if (toMimeType !== 'text/x-local-uri' || mediaObject.mimeType !== 'x-scrypted/x-scrypted-scheme-file') {
      throw new Error(`no converter found for ${mediaObject.mimeType} to ${toMimeType}`);
    }
    return `https://undefined:10443${PUBLIC_PREFIX}${this.world.publish(mediaObject.clip)}.mp4`;
  }

  /** The whole payload through RPC (one sideband buffer): the path the runner must never use for clips. */
  async convertMediaObjectToBuffer(mediaObject: unknown, _toMimeType: string): Promise<Buffer> {
    if (!(mediaObject instanceof MediaObject)) throw new Error('not a MediaObject');
    return this.world.headerBytes(mediaObject.clip);
  }
}

export class PluginAPIProxy {
  private readonly devices = new Map<string, ScryptedDevice>();
  constructor(private readonly world: ServerWorld, private readonly mediaManager: MediaManagerImpl) {}

  async getMediaManager(): Promise<MediaManagerImpl> {
    return this.mediaManager;
  }

  async getDeviceById(id: string): Promise<ScryptedDevice> {
    if (!this.world.cameras.has(id)) throw new Error(`device ${id} not found`);
    let device = this.devices.get(id);
    if (!device) {
      device = new ScryptedDevice(this.world, id);
      this.devices.set(id, device);
    }
    return device;
  }
}

export function publicHash(clipId: string): string {
  return createHash('sha256').update(`public-${clipId}`).digest('hex').slice(0, 32);
}

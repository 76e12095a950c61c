// The objects the test server exports over RPC, shaped like the real ones (protocol §5, §7, §8): the PluginAPI
// proxy, the MediaManager, VideoClips devices and MediaObjects. Each is a class instance, so the peer exports it
// by reference with its constructor name, as the real server does.
import { createHash } from 'node:crypto';

export interface TestClip {
  id: string;
  startTime: number;
  duration: number;
  /**
   * How Scrypted gives the clip's bytes (docs/scrypted-protocol.md §11): `href` in the listing (default);
   * `local-uri` a file-backed MediaObject (x-scrypted/x-scrypted-scheme-file) served by the core's file host;
   * `buffer` a MediaObject holding the bytes (video/mp4), served by the core's buffer host; `ffmpeg-only` an
   * x-scrypted/x-ffmpeg-input (an RTSP clip session) that only ffmpeg can turn into a file.
   */
  bytePath?: 'href' | 'local-uri' | 'buffer' | 'ffmpeg-only';
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
  /**
   * getVideoClips answers every clip it has, whatever the window asked for, so a clip that starts in the future
   * reaches the runner. Providers filter the window differently (docs/scrypted-protocol.md §10: Scrypted's own
   * HomeKit plugin answers every stored clip once one starts after the window's start); this is the far end of
   * that, as a provider with a wrong clock or a hostile one would answer. Default: the window is applied.
   */
  listingIgnoresWindow?: boolean;
}

export const HREF_PREFIX = '/endpoint/@test/videoclips-fixture/clip/';
/** The core plugin's "HTTPS File Host" and "HTTPS Buffer Host" devices (koush/scrypted:plugins/core/src/media-core.ts). */
export const FILE_HOST_PREFIX = '/endpoint/21/public/';
export const BUFFER_HOST_PREFIX = '/endpoint/22/public/';

/** How the media manager answers a conversion to text/x-local-uri (docs/scrypted-protocol.md §8). */
export type LocalUriAnswer = 'buffer' | 'string';

/** What plugin objects need from the server: its cameras and the core plugin's public hosts. */
export interface ServerWorld {
  cameras: Map<string, TestCamera>;
  /** Hosts the clip on the core's file or buffer host; returns the URL path. */
  publish(clip: TestClip, host: 'file' | 'buffer', body?: Buffer): string;
  headerBytes(clip: TestClip): Buffer;
  localUriAnswer: () => LocalUriAnswer;
}

/**
 * An FFmpegInput (x-scrypted/x-ffmpeg-input), the JSON payload of an RTSP clip session's MediaObject: `{url,
 * inputArguments}` as createFFmpegMediaObject stores it (koush/scrypted:server/src/plugin/media.ts).
 */
export function ffmpegInputOf(clip: TestClip): Buffer {
  return Buffer.from(JSON.stringify({ url: `rtsp://127.0.0.1:8554/clip/${clip.id}`, inputArguments: ['-rtsp_transport', 'tcp', '-i', `rtsp://127.0.0.1:8554/clip/${clip.id}`] }));
}

/**
 * The MediaObject type getVideoClip gives per clip kind (docs/scrypted-protocol.md §11): a file path is the
 * `file` scheme (createMediaObjectFromUrl: SchemePrefix + scheme, koush/scrypted:server/src/plugin/media.ts),
 * a buffer carries its content type, an RTSP clip session is an FFmpegInput (seen on 0.144.2, 2026-11-30).
 */
const MIME_OF: Record<NonNullable<TestClip['bytePath']>, string> = {
  href: 'x-scrypted/x-scrypted-scheme-file',
  'local-uri': 'x-scrypted/x-scrypted-scheme-file',
  buffer: 'video/mp4',
  'ffmpeg-only': 'x-scrypted/x-ffmpeg-input',
};

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
      .filter((clip) => camera.listingIgnoresWindow === true || (clip.startTime >= start && clip.startTime <= end))
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
    return new MediaObject(clip, MIME_OF[clip.bytePath ?? 'href'], this.id);
  }

  async removeVideoClips(): Promise<never> {
    throw new Error('removeVideoClips is not supported by the fixture');
  }
}

export class MediaManagerImpl {
  readonly __proxy_props = { __cluster: { id: 'test-cluster', port: 0, proxyId: 'media', sha256: 'none' } };
  constructor(private readonly world: ServerWorld) {}

  /**
   * text/x-local-uri: a public URL on the core plugin's hosts, whose host part is wrong (docs/scrypted-protocol.md
   * §8). A file MediaObject goes to the file host, anything else to the buffer host, whose converter takes every
   * MIME type, so an ffmpeg input is hosted too, as its JSON (koush/scrypted:plugins/core/src/converters.ts,
   * FileHost and BufferHost). Both converters return `Buffer.from(url)`, and convertMediaObject hands that data
   * back as it is (koush/scrypted:server/src/plugin/media.ts): a Buffer, sent as a sideband frame. The `string`
   * mode stands for converters that answer a string.
   */
  async convertMediaObject(mediaObject: unknown, toMimeType: string): Promise<Buffer | string> {
    if (!(mediaObject instanceof MediaObject)) throw new Error('not a MediaObject');
    if (toMimeType !== 'text/x-local-uri') throw new Error(`no converter found for ${mediaObject.mimeType} to ${toMimeType}`);
    const path = mediaObject.mimeType === 'x-scrypted/x-scrypted-scheme-file'
      ? this.world.publish(mediaObject.clip, 'file')
      : this.world.publish(mediaObject.clip, 'buffer', mediaObject.mimeType === 'x-scrypted/x-ffmpeg-input' ? ffmpegInputOf(mediaObject.clip) : undefined);
    const url = `https://undefined:10443${path}`;
    return this.world.localUriAnswer() === 'buffer' ? Buffer.from(url) : url;
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

/** The file host names a file by a hash of its path: the same URL for every conversion of one clip. */
export function publicHash(clipId: string): string {
  return createHash('sha256').update(`public-${clipId}`).digest('hex');
}

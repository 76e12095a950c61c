// The ClipSource port on Scrypted: every device with VideoClips (after the user's filter), its clips for a
// window, and each clip's bytes over HTTP(S). A dropped connection is reopened on the next call.
import type { Agent } from 'node:http';
import { isUnsupportedClipError } from '../core/errors.js';
import type { Camera, Clip, ClipProbe, ClipSource, ClipStream, TimeWindow } from '../core/ports.js';
import type { Logger } from '../log.js';
import { openClipBytes, type VideoClipShape } from './clip-bytes.js';
import { ScryptedConnection, type DeviceEvent, type MediaManager } from './connection.js';
import { ClipFetchRetry, httpStatus, markAnsweredByScrypted } from './fetch-retry.js';
import { assertFileLike, LOCAL_URI_MIME, localUriFromAnswer, type MediaObjectProxy } from './local-uri.js';
import { login } from './login.js';
import { ClipHttpClient } from './clip-http-client.js';
import { httpAgent, tlsOptions } from './tls.js';

export interface ScryptedSourceOptions {
  baseUrl: string;
  username: string;
  password: string;
  allowSelfSigned: boolean;
  caFile: string | undefined;
  include: string[];
  exclude: string[];
  timeoutMs: number;
  /** How long one clip's bytes are retried through a Scrypted restart (ms); default 60 s. */
  fetchRetryMs?: number;
  logger: Logger;
}

export const DEFAULT_FETCH_RETRY_MS = 60_000;
/** Clips whose public URL is remembered at once, and for how long (the buffer host keeps a clip 10 minutes). */
const MAX_CACHED_URLS = 256;
const LOCAL_URL_REUSE_MS = 5 * 60_000;

const clipKey = (cameraId: string, clipId: string) => `${cameraId}\u0000${clipId}`;

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface RawClip extends VideoClipShape {
  startTime: number;
  duration?: number;
  event?: string;
  description?: string;
  detectionClasses?: string[];
}

/** Exclude wins; an empty include list means every camera. Matches a camera's name or id. */
export function selectCameras(cameras: Camera[], include: string[], exclude: string[]): Camera[] {
  const matches = (camera: Camera, list: string[]) => list.includes(camera.id) || list.includes(camera.name);
  return cameras.filter((camera) => (include.length === 0 || matches(camera, include)) && !matches(camera, exclude));
}

export class ScryptedClipSource implements ClipSource {
  private connection: ScryptedConnection | undefined;
  private reopening: Promise<ScryptedConnection> | undefined;
  private relogin: Promise<void> | undefined;
  private mediaManager: MediaManager | undefined;
  private readonly agent: Agent;
  /** Clip bytes only; login and the RPC connection use the agent. */
  private readonly clipHttp: ClipHttpClient;
  private readonly raw = new Map<string, RawClip>();
  private readonly localUrls = new Map<string, { url: URL; until: number }>();
  private readonly retry: ClipFetchRetry;
  private readonly eventListeners = new Set<(event: DeviceEvent) => void>();

  private constructor(private readonly options: ScryptedSourceOptions, private token: string) {
    this.agent = httpAgent(options.baseUrl, options);
    this.clipHttp = new ClipHttpClient(tlsOptions(options));
    this.retry = new ClipFetchRetry({ budgetMs: options.fetchRetryMs ?? DEFAULT_FETCH_RETRY_MS });
  }

  static async connect(options: ScryptedSourceOptions): Promise<ScryptedClipSource> {
    const agent = httpAgent(options.baseUrl, options);
    const { token, longLived } = await login(options.baseUrl, options.username, options.password, agent, options.timeoutMs);
    agent.destroy();
    options.logger.info({ event: 'scrypted.login', baseUrl: options.baseUrl, longLivedToken: longLived }, 'logged in to Scrypted');
    const source = new ScryptedClipSource(options, token);
    await source.live();
    return source;
  }

  /**
   * The live connection, reopened (with a fresh login if the token was refused) when it dropped. Callers that
   * find it dead at the same time share one reopening: two would leave a connection that nothing closes.
   */
  private live(): Promise<ScryptedConnection> {
    if (this.connection?.alive) return Promise.resolve(this.connection);
    this.reopening ??= this.reopen().finally(() => {
      this.reopening = undefined;
    });
    return this.reopening;
  }

  private async reopen(): Promise<ScryptedConnection> {
    const dead = this.connection;
    if (dead) {
      this.options.logger.warn({ event: 'scrypted.reconnect' }, 'connection to Scrypted lost; reconnecting');
      dead.close();
    }
    const open = () => ScryptedConnection.open({ ...this.options, token: this.token, agent: this.agent, onDeviceEvent: (event) => this.dispatch(event) });
    try {
      this.connection = await open();
    } catch (error) {
      if (dead === undefined) throw error;
      await this.refreshToken(this.token);
      this.connection = await open();
    }
    this.mediaManager = await this.connection.api.getMediaManager();
    return this.connection;
  }

  /** Logs in again unless someone already replaced `stale` (a restarted Scrypted forgets its 1-day tokens). */
  private async refreshToken(stale: string): Promise<void> {
    if (this.token !== stale) return;
    this.relogin ??= login(this.options.baseUrl, this.options.username, this.options.password, this.agent, this.options.timeoutMs)
      .then(({ token }) => {
        this.token = token;
        this.options.logger.info({ event: 'scrypted.login' }, 'logged in to Scrypted again');
      })
      .finally(() => {
        this.relogin = undefined;
      });
    await this.relogin;
  }

  /**
   * Listens to the device events of this connection and of every reconnection (the watch's hints). Events only
   * flow while a connection is open: after a drop, the next call reopens it. Returns the function that stops it.
   */
  onDeviceEvent(listener: (event: DeviceEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  private dispatch(event: DeviceEvent): void {
    for (const listener of this.eventListeners) {
      try {
        listener(event);
      } catch (error) {
        this.options.logger.warn({ event: 'scrypted.event_listener_failed', err: describeError(error) }, 'a device event listener failed');
      }
    }
  }

  async listCameras(): Promise<Camera[]> {
    const connection = await this.live();
    const cameras = connection.devices
      .list()
      .filter((device) => device.interfaces.includes('VideoClips'))
      .map(({ id, name }) => ({ id, name }));
    return selectCameras(cameras, this.options.include, this.options.exclude);
  }

  /** The camera's device proxy; a call cut off by the connection dropping is made again on the new one. */
  private async device(cameraId: string) {
    const connection = await this.live();
    try {
      return await connection.api.getDeviceById(cameraId);
    } catch (error) {
      if (connection.alive) throw markAnsweredByScrypted(error);
      return this.answered(async () => (await this.live()).api.getDeviceById(cameraId));
    }
  }

  /**
   * Runs RPC calls; an error while the connection stays alive is Scrypted's answer (e.g. an unknown clip), which
   * no retry changes. An error of a dropped connection is not marked: it passes with a reconnect.
   */
  private async answered<T>(calls: () => Promise<T>): Promise<T> {
    try {
      return await calls();
    } catch (error) {
      throw this.connection?.alive ? markAnsweredByScrypted(error) : error;
    }
  }

  /** Retries `attempt` through a Scrypted restart within the budget of `key` (fetch-retry.ts), logging each wait. */
  private withRetry<T>(
    key: string,
    what: string,
    fields: Record<string, string>,
    attempt: (token: string) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    let token = this.token;
    return this.retry.run(
      key,
      () => {
        token = this.token;
        return attempt(token);
      },
      {
        signal,
        // The token died with a Scrypted restart: log in again (once, for every caller) and try again.
        relogin: () => this.refreshToken(token),
        onRetry: (error, tries, delayMs) =>
          this.options.logger.warn(
            { event: 'scrypted.retry', ...fields, tries, delayMs, reason: describeError(error) },
            `could not ${what} from Scrypted (${describeError(error)}); trying again in ${delayMs} ms`,
          ),
      },
    );
  }

  /** The camera's clips; a Scrypted restart in the middle is ridden out like a clip's bytes are. */
  async listClips(camera: Camera, window: TimeWindow): Promise<Clip[]> {
    const listed = await this.withRetry(`list\u0000${camera.id}`, `list the clips of ${camera.name}`, { cameraId: camera.id }, async () => {
      const device = await this.device(camera.id);
      return this.answered(async () => (await device.getVideoClips?.({ startTime: window.startTime, endTime: window.endTime })) as unknown);
    });
    // Data from the peer: a list of plain objects, or nothing (never call a method on what came back).
    if (listed !== undefined && listed !== null && !Array.isArray(listed)) throw new Error(`Scrypted listed the clips of ${camera.name} as something other than a list`);
    const clips = ((listed ?? []) as unknown[]).filter((clip): clip is RawClip => typeof clip === 'object' && clip !== null);
    return clips.map((clip) => {
      this.raw.set(clipKey(camera.id, clip.id), clip);
      return {
        id: clip.id,
        cameraId: camera.id,
        startTime: clip.startTime,
        duration: clip.duration,
        event: clip.event,
        description: clip.description,
        detectionClasses: clip.detectionClasses,
      };
    });
  }

  /**
   * Opens a clip's bytes. Failures that pass with a Scrypted restart (connection refused or reset, 5xx, a token
   * the restarted server forgot) are tried again within the clip's own budget (fetch-retry.ts), not the upload's.
   */
  async openClip(camera: Camera, clip: Clip, signal?: AbortSignal): Promise<ClipStream> {
    const fields = { cameraId: camera.id, clipId: clip.id };
    return this.withRetry(clipKey(camera.id, clip.id), `fetch clip ${clip.id}`, fields, (token) => this.openWith(token, camera, clip, signal), signal);
  }

  private async openWith(token: string, camera: Camera, clip: Clip, signal?: AbortSignal): Promise<ClipStream> {
    const key = clipKey(camera.id, clip.id);
    const raw = this.rawOf(camera, clip);
    const usesLocalUri = !raw.resources?.video?.href;
    try {
      // A clip listed with an href needs no RPC at all: its bytes come straight over HTTP.
      const opened = await openClipBytes(raw, () => this.localUrl(camera, raw), {
        baseUrl: this.options.baseUrl,
        token,
        http: this.clipHttp,
        timeoutMs: this.options.timeoutMs,
      }, signal);
      return opened;
    } catch (error) {
      // The URL's host forgets it on a restart (and the buffer host after 10 minutes): convert again next time.
      if (usesLocalUri && httpStatus(error) !== undefined) this.localUrls.delete(key);
      throw error;
    }
  }

  /**
   * A clip listed with an href is a file. Otherwise the camera's MediaObject tells (one RPC call, no conversion,
   * so the NVR hosts no copy of the clip): only a stream or an ffmpeg input is unsupported.
   */
  async probeClip(camera: Camera, clip: Clip): Promise<ClipProbe> {
    const raw = this.rawOf(camera, clip);
    if (raw.resources?.video?.href) return { supported: true };
    const mediaObject = await this.mediaObjectOf(camera, raw);
    try {
      assertFileLike(mediaObject, raw.id);
      return { supported: true };
    } catch (error) {
      if (!isUnsupportedClipError(error)) throw error;
      return { supported: false, reason: (error as Error).message };
    }
  }

  /** The clip as listed (with its href and videoId), or what the port's Clip tells when it was not listed here. */
  private rawOf(camera: Camera, clip: Clip): RawClip {
    return this.raw.get(clipKey(camera.id, clip.id)) ?? { id: clip.id, startTime: clip.startTime };
  }

  /** The camera's MediaObject for the clip (one RPC call; its type is a static prop, read without a round trip). */
  private async mediaObjectOf(camera: Camera, raw: RawClip): Promise<MediaObjectProxy> {
    const device = await this.device(camera.id);
    return this.answered(async () => {
      const mediaObject = (await device.getVideoClip?.(raw.videoId ?? raw.id)) as MediaObjectProxy | undefined;
      if (!mediaObject) throw new Error(`Scrypted has no video for clip ${raw.id}`);
      return mediaObject;
    });
  }

  /**
   * The public URL of a clip without an href. Each conversion of a buffer-backed clip makes Scrypted's core hold
   * a copy of the whole clip for 10 minutes, so the URL is kept for this clip's retries (a few minutes at most).
   */
  private async localUrl(camera: Camera, raw: RawClip): Promise<URL> {
    const key = clipKey(camera.id, raw.id);
    const cached = this.localUrls.get(key);
    if (cached && cached.until > Date.now()) return cached.url;
    this.localUrls.delete(key);
    const mediaObject = await this.mediaObjectOf(camera, raw);
    assertFileLike(mediaObject, raw.id);
    const url = await this.answered(async () => {
      const answer = await (this.mediaManager as MediaManager).convertMediaObject(mediaObject, LOCAL_URI_MIME);
      return localUriFromAnswer(answer, this.options.baseUrl, raw.id);
    });
    if (this.localUrls.size >= MAX_CACHED_URLS) this.localUrls.delete(this.localUrls.keys().next().value as string);
    this.localUrls.set(key, { url, until: Date.now() + LOCAL_URL_REUSE_MS });
    return url;
  }

  async close(): Promise<void> {
    this.connection?.close();
    this.agent.destroy();
    this.clipHttp.close();
  }
}

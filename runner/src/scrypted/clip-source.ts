// The ClipSource port on Scrypted: every device with VideoClips (after the user's filter), its clips for a
// window, and each clip's bytes over HTTP(S). A dropped connection is reopened on the next call.
import type { Agent } from 'node:http';
import type { Camera, Clip, ClipSource, ClipStream, TimeWindow } from '../core/ports.js';
import type { Logger } from '../log.js';
import { openClipBytes, scryptedStatusOf, type VideoClipShape } from './clip-bytes.js';
import { ScryptedConnection, type MediaManager } from './connection.js';
import { login } from './login.js';
import { httpAgent } from './tls.js';

export interface ScryptedSourceOptions {
  baseUrl: string;
  username: string;
  password: string;
  allowSelfSigned: boolean;
  caFile: string | undefined;
  include: string[];
  exclude: string[];
  timeoutMs: number;
  logger: Logger;
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
  private readonly raw = new Map<string, RawClip>();

  private constructor(private readonly options: ScryptedSourceOptions, private token: string) {
    this.agent = httpAgent(options.baseUrl, options);
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
    const open = () => ScryptedConnection.open({ ...this.options, token: this.token, agent: this.agent });
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
      if (connection.alive) throw error;
      return (await this.live()).api.getDeviceById(cameraId);
    }
  }

  async listClips(camera: Camera, window: TimeWindow): Promise<Clip[]> {
    const device = await this.device(camera.id);
    const listed = (await device.getVideoClips?.({ startTime: window.startTime, endTime: window.endTime })) as unknown;
    // Data from the peer: a list of plain objects, or nothing (never call a method on what came back).
    if (listed !== undefined && listed !== null && !Array.isArray(listed)) throw new Error(`Scrypted listed the clips of ${camera.name} as something other than a list`);
    const clips = ((listed ?? []) as unknown[]).filter((clip): clip is RawClip => typeof clip === 'object' && clip !== null);
    return clips.map((clip) => {
      this.raw.set(`${camera.id}\u0000${clip.id}`, clip);
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

  async openClip(camera: Camera, clip: Clip, signal?: AbortSignal): Promise<ClipStream> {
    const token = this.token;
    try {
      return await this.openWith(token, camera, clip, signal);
    } catch (error) {
      if (scryptedStatusOf(error) !== 401) throw error;
      // The token died with a Scrypted restart: log in again (once, for every caller) and try again.
      await this.refreshToken(token);
      return this.openWith(this.token, camera, clip, signal);
    }
  }

  private async openWith(token: string, camera: Camera, clip: Clip, signal?: AbortSignal): Promise<ClipStream> {
    const raw = this.raw.get(`${camera.id}\u0000${clip.id}`) ?? { id: clip.id, startTime: clip.startTime };
    // A clip listed with an href needs no RPC at all: its bytes come straight over HTTP.
    return openClipBytes(raw, () => this.device(camera.id), () => this.mediaManager as MediaManager, {
      baseUrl: this.options.baseUrl,
      token,
      agent: this.agent,
      timeoutMs: this.options.timeoutMs,
    }, signal);
  }

  async close(): Promise<void> {
    this.connection?.close();
    this.agent.destroy();
  }
}

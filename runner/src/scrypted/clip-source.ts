// The ClipSource port on Scrypted: every device with VideoClips (after the user's filter), its clips for a
// window, and each clip's bytes over HTTP(S). A dropped connection is reopened on the next call.
import type { Agent } from 'node:http';
import type { Camera, Clip, ClipSource, ClipStream, TimeWindow } from '../core/ports.js';
import type { Logger } from '../log.js';
import { openClipBytes, type VideoClipShape } from './clip-bytes.js';
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

  /** The live connection, reopened (with a fresh login if the token was refused) when it dropped. */
  private async live(): Promise<ScryptedConnection> {
    if (this.connection?.alive) return this.connection;
    if (this.connection) this.options.logger.warn({ event: 'scrypted.reconnect' }, 'connection to Scrypted lost; reconnecting');
    const open = () => ScryptedConnection.open({ ...this.options, token: this.token, agent: this.agent });
    try {
      this.connection = await open();
    } catch (error) {
      if (this.connection === undefined) throw error;
      this.token = (await login(this.options.baseUrl, this.options.username, this.options.password, this.agent, this.options.timeoutMs)).token;
      this.connection = await open();
    }
    this.mediaManager = await this.connection.api.getMediaManager();
    return this.connection;
  }

  async listCameras(): Promise<Camera[]> {
    const connection = await this.live();
    const cameras = connection.devices
      .list()
      .filter((device) => device.interfaces.includes('VideoClips'))
      .map(({ id, name }) => ({ id, name }));
    return selectCameras(cameras, this.options.include, this.options.exclude);
  }

  private async device(cameraId: string) {
    const connection = await this.live();
    return connection.api.getDeviceById(cameraId);
  }

  async listClips(camera: Camera, window: TimeWindow): Promise<Clip[]> {
    const device = await this.device(camera.id);
    const listed = (await device.getVideoClips?.({ startTime: window.startTime, endTime: window.endTime })) as RawClip[] | undefined;
    return (listed ?? []).map((clip) => {
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
    const device = await this.device(camera.id);
    const raw = this.raw.get(`${camera.id}\u0000${clip.id}`) ?? { id: clip.id, startTime: clip.startTime };
    return openClipBytes(raw, device, this.mediaManager as MediaManager, {
      baseUrl: this.options.baseUrl,
      token: this.token,
      agent: this.agent,
      timeoutMs: this.options.timeoutMs,
    }, signal);
  }

  async close(): Promise<void> {
    this.connection?.close();
    this.agent.destroy();
  }
}

// One live connection to Scrypted: login, the engine.io socket at /endpoint/@scrypted/core/engine.io/api/, the
// RPC peer, and the handshake (docs/scrypted-protocol.md §7), which ends when the server pushes setSystemState.
import type { Agent } from 'node:http';
import { Socket } from 'engine.io-client';
import type { Logger } from '../log.js';
import { BadMessageLog } from './bad-message-log.js';
import { scrubDebugOutput } from './debug-output.js';
import { frameReceiver, sendFramed } from './rpc-framing.js';
import { RpcPeer } from './rpc-peer.js';
import { DeviceTable } from './device-table.js';
import { tlsOptions, explainTlsError, type TlsSettings } from './tls.js';

export const ENGINE_PATH = '/endpoint/@scrypted/core/engine.io/api';
/**
 * One RPC message may not hold more than this in memory (ws's default is 100 MiB; the runner's largest messages,
 * device tables and clip lists, are a few MB). engine.io-client hands `maxPayload` to ws, but does not type it.
 */
const MAX_MESSAGE = { maxPayload: 32 * 1024 * 1024 } as object;
const ONEWAY_METHODS = ['notify', 'updateDeviceState', 'setSystemState', 'ioEvent', 'setNativeId'];

/**
 * A device event the server pushed (protocol §7): `notify(id, eventDetails, data)`. Only the device id, the event's
 * interface and property are kept, each a string or undefined; the data is never read (the watch takes an event as a
 * hint to list, never as a fact).
 */
export interface DeviceEvent {
  deviceId: string;
  eventInterface: string | undefined;
  property: string | undefined;
}

const shortText = (value: unknown): string | undefined => (typeof value === 'string' && value.length <= 200 ? value : undefined);

/** The object the client hands the server in the handshake; the server calls its oneway methods. */
class ClientRemote {
  readonly __proxy_oneway_methods = ONEWAY_METHODS;
  constructor(private readonly devices: DeviceTable, private readonly ready: () => void, private readonly onEvent?: (event: DeviceEvent) => void) {}
  // Every argument comes from the server: the table checks each (device-table.ts).
  setSystemState(state: unknown): void {
    this.devices.replace(state);
    this.ready();
  }
  updateDeviceState(id: unknown, state: unknown): void {
    this.devices.update(id, state);
  }
  notify(id: unknown, details: unknown, data: unknown): void {
    const fields = typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {};
    const own = (key: string) => (Object.hasOwn(fields, key) ? fields[key] : undefined);
    const property = own('property');
    if (property && !own('mixinId')) this.devices.setProperty(id, property, data);
    const deviceId = shortText(id);
    if (deviceId !== undefined) this.onEvent?.({ deviceId, eventInterface: shortText(own('eventInterface')), property: shortText(property) });
  }
  ioEvent(): void {}
  setNativeId(): void {}
}

export interface ConnectionOptions extends TlsSettings {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  agent: Agent;
  logger?: Logger;
  /** Called for every device event the server pushes (`notify`), after the device table took it. */
  onDeviceEvent?: (event: DeviceEvent) => void;
}

export interface PluginApi {
  getMediaManager(): Promise<MediaManager>;
  getDeviceById(id: string): Promise<Record<string, (...args: unknown[]) => Promise<unknown>>>;
}

export interface MediaManager {
  convertMediaObject(mediaObject: unknown, toMimeType: string): Promise<unknown>;
  convertMediaObjectToBuffer(mediaObject: unknown, toMimeType: string): Promise<Buffer>;
}

/**
 * engine.io reports a failed socket as a TransportError whose `description` is the websocket's error event, an
 * object that is not an Error (its `error` field is); turning that into text gave "[object Object]".
 */
export function engineErrorCause(error: unknown): unknown {
  const description = (error as { description?: unknown } | undefined)?.description;
  const candidates = [(description as { error?: unknown } | undefined)?.error, description, error];
  return candidates.find((candidate) => candidate instanceof Error) ?? candidates.find((candidate) => typeof candidate === 'string') ?? error;
}

function socketOpenError(error: unknown, baseUrl: string): Error {
  const explained = explainTlsError(engineErrorCause(error));
  if (explained.message.startsWith("Scrypted's TLS certificate")) return explained;
  const message = explained.message === '[object Object]' || explained.message === '' ? 'no reason given' : explained.message;
  if (/Unexpected server response: 401\b/.test(message)) {
    return new Error(`Scrypted refused the login token on its socket (HTTP 401): check SCRYPTED_USER and SCRYPTED_PASSWORD`, { cause: error });
  }
  return new Error(
    `cannot open the Scrypted socket at ${baseUrl}${ENGINE_PATH}/ (${message}): check SCRYPTED_HOST and that Scrypted is running`,
    { cause: error },
  );
}

export class ScryptedConnection {
  private closed = false;

  private constructor(
    readonly peer: RpcPeer,
    private readonly socket: Socket,
    readonly api: PluginApi,
    readonly devices: DeviceTable,
  ) {}

  get alive(): boolean {
    return !this.closed && !this.peer.killed;
  }

  static async open(options: ConnectionOptions): Promise<ScryptedConnection> {
    scrubDebugOutput();
    const url = new URL(options.baseUrl);
    const tls = tlsOptions(options);
    const socket = new Socket(`${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}`, {
      path: ENGINE_PATH,
      transports: ['websocket'],
      extraHeaders: { Authorization: `Bearer ${options.token}` },
      ...MAX_MESSAGE,
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.ca ? { ca: tls.ca.toString() } : {}),
    });
    const badMessages = new BadMessageLog(options.logger);
    const peer = new RpcPeer((message, buffers) => sendFramed(socket, message, buffers), options.timeoutMs, (reason) => badMessages.report(reason));
    const devices = new DeviceTable();
    let api: PluginApi | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Scrypted handshake did not finish within ${options.timeoutMs} ms`)), options.timeoutMs);
      const remote = new ClientRemote(devices, () => {
        clearTimeout(timer);
        resolve();
      }, options.onDeviceEvent);
      peer.params.getRemote = async (pluginApi: PluginApi) => {
        api = pluginApi;
        return remote;
      };
      socket.on('error', (error: unknown) => {
        clearTimeout(timer);
        reject(socketOpenError(error, options.baseUrl));
      });
      socket.on('close', (reason: string) => {
        clearTimeout(timer);
        peer.kill(new Error(`connection to Scrypted closed (${reason})`));
        reject(new Error(`connection to Scrypted closed during the handshake (${reason})`));
      });
    });
    socket.on('message', frameReceiver((message, buffers) => void peer.handleMessage(message, buffers), (reason, frame) => badMessages.report(reason, frame)));
    try {
      await ready;
    } catch (error) {
      socket.close();
      throw error;
    }
    const connection = new ScryptedConnection(peer, socket, api as PluginApi, devices);
    socket.on('close', () => {
      connection.closed = true;
    });
    return connection;
  }

  close(): void {
    this.closed = true;
    this.peer.kill(new Error('connection to Scrypted closed by the runner'));
    this.socket.close();
  }
}

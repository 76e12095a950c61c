// RPC messages over an engine.io socket (docs/scrypted-protocol.md §4): a message is zero or more binary frames (its
// sideband buffers, in order) followed by exactly one text frame holding the JSON.
import type { RpcMessage } from './rpc-peer.js';

export interface FrameSocket {
  send(data: string | Buffer): void;
}

export function sendFramed(socket: FrameSocket, message: RpcMessage, buffers: Buffer[]): void {
  for (const buffer of buffers) socket.send(buffer);
  socket.send(JSON.stringify(message));
}

/** Sideband bytes held for one message at most: binary frames without a message to end them are dropped. */
export const MAX_SIDEBAND_BYTES = 32 * 1024 * 1024;

/** The text frame as a message: JSON of an object with a string `type`; anything else is refused with a reason. */
export function parseMessage(text: string): RpcMessage | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'a frame that is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `a frame that is JSON ${value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value}, not an object`;
  if (typeof (value as { type?: unknown }).type !== 'string') return 'a message without a string type';
  return value as RpcMessage;
}

/**
 * Collects binary frames until a text frame arrives, then hands over the message with its buffers. A text frame
 * that is not a message (not JSON, `null`, a number, no type) goes to `onInvalid` with its buffers dropped; it
 * never throws into the socket's event handler, where it would end the process.
 */
export function frameReceiver(
  onMessage: (message: RpcMessage, buffers: Buffer[] | undefined) => void,
  onInvalid: (reason: string, frame: string) => void = () => {},
): (data: unknown) => void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const hold = (buffer: Buffer) => {
    pendingBytes += buffer.length;
    pending.push(buffer);
    if (pendingBytes > MAX_SIDEBAND_BYTES) {
      onInvalid(`binary frames of over ${MAX_SIDEBAND_BYTES} bytes without a message`, '');
      pending = [];
      pendingBytes = 0;
    }
  };
  return (data: unknown) => {
    if (typeof data === 'string') {
      const buffers = pending.length ? pending : undefined;
      pending = [];
      pendingBytes = 0;
      const message = parseMessage(data);
      if (typeof message === 'string') onInvalid(message, data);
      else onMessage(message, buffers);
      return;
    }
    if (data instanceof ArrayBuffer) hold(Buffer.from(data));
    else if (ArrayBuffer.isView(data)) hold(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  };
}

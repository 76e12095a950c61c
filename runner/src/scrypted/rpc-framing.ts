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

/** Collects binary frames until a text frame arrives, then hands over the message with its buffers. */
export function frameReceiver(onMessage: (message: RpcMessage, buffers: Buffer[] | undefined) => void): (data: unknown) => void {
  let pending: Buffer[] = [];
  return (data: unknown) => {
    if (typeof data === 'string') {
      const buffers = pending.length ? pending : undefined;
      pending = [];
      onMessage(JSON.parse(data) as RpcMessage, buffers);
      return;
    }
    if (data instanceof ArrayBuffer) pending.push(Buffer.from(data));
    else if (ArrayBuffer.isView(data)) pending.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  };
}

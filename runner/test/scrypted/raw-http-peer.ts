// A raw TCP server on loopback for the clip HTTP client's tests: it reads each request's head and lets the test
// answer with exactly the bytes it wants (well-formed or not), on connections it counts. None of its answers is a
// claim about how Scrypted answers: the accepted framings are the ones RFC 9112 defines and a Node server sends
// (Content-Length, chunked, close-delimited); the others are what a broken proxy or a hostile peer can send.
import { createServer, type Server, type Socket } from 'node:net';

export interface RawRequest {
  head: string;
  /** 1 for the first request on its connection, 2 for the second... */
  onConnection: number;
  connection: number;
}

export type RawAnswer = (socket: Socket, request: RawRequest) => void;

export class RawHttpPeer {
  connections = 0;
  readonly requests: RawRequest[] = [];
  readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(answer: RawAnswer): Promise<RawHttpPeer> {
    let peer: RawHttpPeer | undefined;
    const server = createServer((socket) => {
      const self = peer as RawHttpPeer;
      self.connections += 1;
      const connection = self.connections;
      self.sockets.add(socket);
      socket.on('close', () => self.sockets.delete(socket));
      socket.on('error', () => undefined);
      let pending = '';
      let onConnection = 0;
      socket.on('data', (data: Buffer) => {
        pending += data.toString('latin1');
        for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
          const request = { head: pending.slice(0, end), onConnection: (onConnection += 1), connection };
          pending = pending.slice(end + 4);
          self.requests.push(request);
          answer(socket, request);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    peer = new RawHttpPeer(server, (server.address() as { port: number }).port);
    return peer;
  }

  url(path = '/clip.mp4'): URL {
    return new URL(`http://127.0.0.1:${this.port}${path}`);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** An answer head with the given status and header lines. */
export function head(status: string, ...lines: string[]): string {
  return `HTTP/1.1 ${status}\r\n${lines.map((line) => `${line}\r\n`).join('')}\r\n`;
}

/** `body` in chunked framing, cut into pieces of `piece` bytes, with a chunk extension and a trailer. */
export function chunked(body: Buffer, piece: number): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += piece) {
    const slice = body.subarray(at, at + piece);
    parts.push(Buffer.from(`${slice.length.toString(16)};ext=1\r\n`), slice, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\nx-trailer: yes\r\n\r\n'));
  return Buffer.concat(parts);
}

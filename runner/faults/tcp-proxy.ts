// A TCP proxy that can go down: while down, it drops every open connection and refuses new ones. The fault
// harness puts it between the runner and the Firestore emulator, to make Firestore unavailable for a while
// without losing the emulator's (in-memory) data.
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpFaultProxy {
  host: string;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startTcpFaultProxy(target: string): Promise<TcpFaultProxy> {
  const [targetHost = '127.0.0.1', targetPort = '0'] = target.split(':');
  const open = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(targetPort), targetHost);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    setDown(value) {
      down = value;
      if (down) for (const socket of open) socket.destroy();
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

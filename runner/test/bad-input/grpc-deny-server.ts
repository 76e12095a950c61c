// A loopback HTTP/2 server that answers every gRPC call with PERMISSION_DENIED at once. Pointed at by
// FIRESTORE_EMULATOR_HOST, it lets `check` finish in seconds (a closed port makes the Firestore client retry
// for minutes) without any real Firestore.
import { createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface DenyServer {
  host: string;
  calls: () => number;
  close: () => Promise<void>;
}

export async function startGrpcDenyServer(): Promise<DenyServer> {
  let calls = 0;
  const server: Http2Server = createServer();
  server.on('stream', (stream) => {
    calls += 1;
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '7', 'grpc-message': 'denied by the bad-input test' },
      { endStream: true },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    calls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Drop idle client sessions so close() does not wait for them.
        setTimeout(resolve, 500).unref();
      }),
  };
}

// A healthchecks.io-style ping receiver on loopback. What it stands for (https://healthchecks.io/docs/http_api/):
// a check's URL takes GET, HEAD or POST; `/start` marks a start, the bare URL a success, `/fail` a failure; the
// answer is 200 with the body "OK". `mode: 'hang'` never answers (a ping must give up on its own deadline);
// `mode: 'error'` answers 500.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPing {
  method: string;
  path: string;
  body: string;
}

export interface PingServer {
  url: string;
  pings: ReceivedPing[];
  mode: 'ok' | 'hang' | 'error';
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

export async function startPingServer(path = '/ping/3f1c2a9e-secret-check-uuid'): Promise<PingServer> {
  const hanging = new Set<import('node:http').ServerResponse>();
  const state: PingServer = {
    url: '',
    pings: [],
    mode: 'ok',
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((request, response) => {
    void readBody(request).then((body) => {
      state.pings.push({ method: request.method ?? '', path: request.url ?? '', body });
      if (state.mode === 'hang') {
        hanging.add(response);
        return;
      }
      response.writeHead(state.mode === 'error' ? 500 : 200, { 'content-type': 'text/plain' }).end(state.mode === 'error' ? 'error' : 'OK');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return state;
}

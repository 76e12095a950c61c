// An HTTP(S) agent for one upload attempt, closed when the attempt ends. When the clip's source breaks mid-clip,
// the storage library stops writing but may leave its request open, or even start the upload's next request
// after the attempt has failed; either would keep a socket (and the process) alive. Closing destroys the
// attempt's sockets, and any socket the agent is asked for afterwards is destroyed at once.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';

export interface AttemptAgent {
  agent: HttpAgent;
  close(): void;
}

export function attemptAgent(endpoint: string | undefined): AttemptAgent {
  const agent = endpoint?.startsWith('http:') ? new HttpAgent({ keepAlive: false }) : new HttpsAgent({ keepAlive: false });
  let closed = false;
  const withSockets = agent as unknown as { createConnection: (...args: unknown[]) => Duplex };
  const create = withSockets.createConnection.bind(agent);
  withSockets.createConnection = (...args: unknown[]) => {
    const socket = create(...args);
    if (closed) socket.destroy(); // the request fails with a socket hang-up, through its own listeners
    return socket;
  };
  return {
    agent,
    close() {
      closed = true;
      agent.destroy();
    },
  };
}

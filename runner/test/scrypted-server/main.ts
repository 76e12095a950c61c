// Starts the Scrypted test server in a process of its own, with the cameras in the JSON file named on the
// command line (TestCamera[]); prints {"baseUrl","username","password"} as one JSON line and runs until
// SIGTERM/SIGINT. The benchmark uses it so that serving clips does not share a thread with the GCS server.
import { readFileSync } from 'node:fs';
import { startScryptedTestServer, type TestCamera } from './server.js';

const cameras = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as TestCamera[];
const server = await startScryptedTestServer({ cameras });
process.stdout.write(`${JSON.stringify({ baseUrl: server.baseUrl, username: server.username, password: server.password })}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

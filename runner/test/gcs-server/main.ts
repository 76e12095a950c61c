// Starts the GCS test server with the buckets named on the command line; prints {"endpoint"} as one JSON line
// and runs until SIGTERM/SIGINT.
import { startGcsTestServer } from './server.js';

const server = await startGcsTestServer({ buckets: process.argv.slice(2) });
process.stdout.write(`${JSON.stringify({ endpoint: server.endpoint })}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

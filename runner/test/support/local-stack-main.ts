// Starts the local stack (Scrypted test server, GCS test server, Firestore emulator), prints the runner's
// environment as one JSON line, and stops everything on SIGTERM/SIGINT. For trying the runner (or its container,
// with --network=host) by hand against real local peers.
import { demoCameras, startLocalStack } from './local-stack.js';

const stack = await startLocalStack(demoCameras(Number(process.env.DEMO_CAMERAS ?? 3), Number(process.env.DEMO_CLIPS ?? 20)));
process.stdout.write(`${JSON.stringify(stack.env)}\n`);
const stop = () => void stack.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

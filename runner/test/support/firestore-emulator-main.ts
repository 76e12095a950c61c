// Starts the Firestore emulator and prints {"host","projectId"} as one JSON line; stops it on SIGTERM/SIGINT.
import { startFirestoreEmulator } from './firestore-emulator.js';

const emulator = await startFirestoreEmulator({ projectId: process.env.FIRESTORE_PROJECT ?? 'demo-test' });
process.stdout.write(`${JSON.stringify({ host: emulator.host, projectId: emulator.projectId })}\n`);
const stop = () => void emulator.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// What a run left behind on the local stack, read as a test checks it: the state document (through the real
// Firestore adapter, against the emulator) and the SHA-256 of a stored object's file.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createFirestoreStateStore } from '../../src/firestore/index.js';
import type { LocalStack } from './local-stack.js';

export async function readStackState(stack: LocalStack) {
  process.env.FIRESTORE_EMULATOR_HOST = stack.firestore.host;
  process.env.METADATA_SERVER_DETECTION = 'none';
  const store = createFirestoreStateStore({ projectId: 'demo-project', databaseId: '(default)', documentPath: 'nvr-backup/home', keyFilename: undefined, initialWatermark: 0 });
  try {
    return await store.read();
  } finally {
    await store.close();
  }
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

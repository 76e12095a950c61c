// The StateStore conformance suite against the Firestore adapter on the official emulator (a real peer).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFirestoreStateStore, type FirestoreStateStore } from '../../src/firestore/index.js';
import { stateStoreConformance } from '../conformance/state-store-suite.js';
import { startFirestoreEmulator, type FirestoreEmulator } from '../support/firestore-emulator.js';

let emulator: FirestoreEmulator;
const open: FirestoreStateStore[] = [];

before(async () => {
  emulator = await startFirestoreEmulator({ projectId: 'demo-test' });
  process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
  process.env.METADATA_SERVER_DETECTION = 'none';
});
after(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
  await emulator?.stop();
});

function store(documentPath = 'nvr-backup/home'): FirestoreStateStore {
  const created = createFirestoreStateStore({ projectId: 'demo-test', databaseId: '(default)', documentPath, keyFilename: undefined, initialWatermark: 0 });
  open.push(created);
  return created;
}

// Each test gets a fresh document path, so tests never see each other's state.
let counter = 0;
stateStoreConformance(
  'Firestore (official emulator)',
  async () => {
    const path = `nvr-backup/site-${++counter}`;
    return { store: store(path), secondStore: async () => store(path), teardown: async () => {} };
  },
  { raceTimeoutMs: 60_000 },
);

describe('Firestore state store specifics', () => {
  it('probeReadWrite succeeds and leaves the watermark alone', async () => {
    const s = store('nvr-backup/probe');
    await s.advanceCamera({ cameraId: 'a', name: 'A', lastTimestamp: 77, landed: new Map(), forgetBefore: 0 });
    await s.probeReadWrite();
    assert.equal((await s.read()).cameras.get('a')?.lastTimestamp, 77);
  });

});

it('startFirestoreEmulator fails fast with the missing jar path', async () => {
  const saved = process.env.FIRESTORE_EMULATOR_JAR;
  process.env.FIRESTORE_EMULATOR_JAR = '/nonexistent/emulator.jar';
  try {
    await assert.rejects(startFirestoreEmulator(), /\/nonexistent\/emulator\.jar/);
  } finally {
    if (saved === undefined) delete process.env.FIRESTORE_EMULATOR_JAR;
    else process.env.FIRESTORE_EMULATOR_JAR = saved;
  }
});

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { stateStoreConformance } from '../conformance/state-store-suite.js';
import { MemoryStateStore, type SharedDocument } from '../support/memory-state-store.js';

stateStoreConformance('in-memory', async () => {
  const shared: SharedDocument = { doc: undefined };
  return { store: new MemoryStateStore(shared), secondStore: async () => new MemoryStateStore(shared), teardown: async () => {} };
});

it('MemoryStateStore.failNext makes the next calls reject', async () => {
  const store = new MemoryStateStore();
  store.failNext(1);
  await assert.rejects(store.read(), /unavailable/);
  assert.equal((await store.read()).lastTimestamp, 0);
});

import { FirestoreStateStore, type FirestoreStoreOptions } from './firestore-state-store.js';

export { FirestoreStateStore, type FirestoreStoreOptions };

export function createFirestoreStateStore(options: FirestoreStoreOptions): FirestoreStateStore {
  return new FirestoreStateStore(options);
}

/** The in-memory test double keeps the Store contract, so tests built on it say something about the real store. */
import { describeStoreContract } from '../store/store-contract.js';
import { emptyMemoryData, MemoryStore } from './__fixtures__/memory-store.js';

describeStoreContract('memory (test double)', async () => {
  const data = emptyMemoryData();
  return { open: async () => new MemoryStore(data), cleanup: async () => {} };
});

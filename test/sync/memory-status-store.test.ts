import { MemoryStatusStore } from '../../src/sync/testing';
import { describeStatusStoreContract } from '../support/status-store-contract';

describeStatusStoreContract('memory', async () => ({ store: new MemoryStatusStore(), cleanup: async () => undefined }));

import { createJsonFolderStore } from '../../src/store/json-folder/json-folder-store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { tempDir } from '../helpers.js';
import { storeContract } from './contract.js';

storeContract('json-folder', () => createJsonFolderStore(`${tempDir()}/.kitaru`));
storeContract('memory', () => createMemoryStore());

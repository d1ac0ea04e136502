import { createJsonFolderStore } from '../../src/store/json-folder/json-folder-store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { tempDir } from '../helpers.js';
import { retentionSuite } from './retention-suite.js';

retentionSuite('json-folder', async () => createJsonFolderStore(`${tempDir()}/.kitaru`));
retentionSuite('memory', async () => createMemoryStore());

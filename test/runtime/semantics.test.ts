import { join } from 'node:path';
import { describe } from 'node:test';
import { createJsonFolderStore, createMemoryStore } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { cancelSuite } from './cancel-suite.js';
import { semanticsSuite } from './semantics-suite.js';
import { waitsSuite } from './waits-suite.js';

describe('on a folder store', () => semanticsSuite(createJsonFolderStore(join(tempDir(), '.kitaru'))));
describe('on a memory store', () => semanticsSuite(createMemoryStore()));
describe('waits on a folder store', () => waitsSuite(createJsonFolderStore(join(tempDir(), '.kitaru'))));
describe('waits on a memory store', () => waitsSuite(createMemoryStore()));
describe('time limits and cancelling on a folder store', () =>
  cancelSuite(createJsonFolderStore(join(tempDir(), '.kitaru'))));
describe('time limits and cancelling on a memory store', () => cancelSuite(createMemoryStore()));

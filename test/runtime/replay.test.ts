import { join } from 'node:path';
import { describe } from 'node:test';
import { createJsonFolderStore, createMemoryStore } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { replaySuite } from './replay-suite.js';

describe('on a folder store', () => replaySuite(createJsonFolderStore(join(tempDir(), '.kitaru'))));
describe('on a memory store', () => replaySuite(createMemoryStore()));

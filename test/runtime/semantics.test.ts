import { tempDir } from '../helpers.js';
import { semanticsSuite } from './semantics-suite.js';

process.env.KITARU_DIR = tempDir();
semanticsSuite();

import { tempDir } from '../helpers.js';
import { replaySuite } from './replay-suite.js';

process.env.KITARU_DIR = tempDir();
replaySuite();

import { startPostgres } from '../pg-cluster.js';
import { replaySuite } from './replay-suite.js';
import { semanticsSuite } from './semantics-suite.js';

// The runtime semantics and replay suites again, on a real PostgreSQL (KITARU_STORE selects it).
process.env.KITARU_STORE = await startPostgres();
semanticsSuite();
replaySuite();

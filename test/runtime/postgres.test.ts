import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { checkpoint, flow, KitaruClient } from '../../src/index.js';
import { createPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { startPostgres } from '../pg-cluster.js';
import { cancelSuite } from './cancel-suite.js';
import { replaySuite } from './replay-suite.js';
import { semanticsSuite } from './semantics-suite.js';
import { waitsSuite } from './waits-suite.js';

// The runtime semantics and replay suites again, on a real PostgreSQL store passed to them.
const url = await startPostgres();
const store = createPostgresStore(url);
after(() => store.close());
semanticsSuite(store);
replaySuite(store);
waitsSuite(store);
cancelSuite(store);

describe('the default store', () => {
  it('flow.run() and new KitaruClient() without a store use KITARU_STORE', async () => {
    const add = checkpoint(function add(n: number) {
      return n + 1;
    });
    const f = flow(async function fromEnvStore(n: number) {
      return add(n);
    });
    // The environment fallback is the behaviour under test here; every other test passes its store.
    process.env.KITARU_STORE = url;
    try {
      const h = f.run(1);
      assert.equal(await h.wait(), 2);
      assert.equal(await f(2), 3, 'calling the flow directly uses it too');
      const ex = await new KitaruClient().executions.get(h.execId);
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.id, c.output]),
        [['add', 2]],
      );
      const listed = await new KitaruClient({ store }).executions.list({ flow: 'fromEnvStore' });
      assert.equal(listed.length, 2, 'recorded in the same database the passed store reads');
    } finally {
      delete process.env.KITARU_STORE;
    }
  });
});

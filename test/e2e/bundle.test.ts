import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { json, kitaru, makeProject, repo, write } from '../e2e-project.js';

/** A built module and every module it imports statically (not `import()`), as one text. */
function staticGraph(entry: string, seen = new Set<string>()): string {
  if (seen.has(entry)) return '';
  seen.add(entry);
  const text = readFileSync(entry, 'utf8');
  let all = text;
  for (const m of text.matchAll(
    /(?:^|[;\n])\s*(?:import|export)\s[^;]*?from\s*"(\.[^"]+)"|import\s*"(\.[^"]+)"/g,
  )) {
    all += staticGraph(join(dirname(entry), (m[1] ?? m[2]) as string), seen);
  }
  return all;
}

describe('what the built package loads', () => {
  for (const entry of ['index.js', 'cli.js']) {
    it(`dist/${entry} loads neither the Postgres store nor the queue until a postgres:// store is used`, () => {
      const graph = staticGraph(join(repo, 'dist', entry));
      assert.ok(graph.length > 1000, 'the entry was read');
      for (const sql of [
        'kitaru_calls',
        'kitaru_leases',
        'graphile_worker.add_job',
        'pg_advisory_xact_lock',
      ]) {
        assert.ok(!graph.includes(sql), `${entry} loads ${sql} at start`);
      }
      assert.match(
        graph,
        /import\(\s*"\.\/(?:chunks\/)?postgres-store-/,
        'the Postgres store is a chunk loaded on demand',
      );
    });
  }
});

describe('what `kitaru run` loads before and after tsx', () => {
  it("loads the public entry before tsx's hooks: a flow's import of kitaru is not rewritten by tsx", () => {
    // Loaded after the hooks, tsx rewrites the entry's dynamic imports and gives it a source map,
    // which Node parses at the first stack trace (checkpoint() takes one): a cost at every start.
    const dir = makeProject();
    write(dir, {
      'probe.ts': `import { findSourceMap } from 'node:module';
import { flow } from 'kitaru';
export default flow(async function probe() {
  return findSourceMap(import.meta.resolve('kitaru')) === undefined ? 'as built' : 'rewritten by tsx';
});
`,
    });
    const r = kitaru(dir, ['run', 'probe.ts', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json<{ execution: { output: unknown } }>(r).execution.output, 'as built');
  });
});

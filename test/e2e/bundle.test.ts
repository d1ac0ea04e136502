import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { repo } from '../e2e-project.js';

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

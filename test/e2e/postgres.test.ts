import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execIdOf, json, kitaru, makeProject, write } from '../e2e-project.js';
import { startPostgres } from '../pg-cluster.js';

const FLOW = `import { existsSync } from 'node:fs';
import { checkpoint, flow } from 'kitaru';
const fetchData = checkpoint(function fetchData(q: string) { return 'data:' + q; });
const publish = checkpoint(function publish(d: string) {
  if (!existsSync('go')) throw new Error('not yet');
  return d.toUpperCase();
});
export default flow(async function pgFlow(q: string) { return publish(await fetchData(q)); });
`;

describe('the CLI on a PostgreSQL store', () => {
  it('runs, lists, inspects and replays with --store or KITARU_STORE, and writes no .kitaru folder', async () => {
    const url = await startPostgres();
    const dir = makeProject();
    write(dir, { 'flow.ts': FLOW });
    const failed = kitaru(dir, ['run', 'flow.ts', '--args', '"x"', '--store', url]);
    assert.equal(failed.code, 1, failed.stderr);
    const id = execIdOf(failed);
    assert.ok(!existsSync(join(dir, '.kitaru')));
    const ex = json<{
      execution: { flow: { file: string }; status: string; checkpoints: { status: string }[] };
    }>(kitaru(dir, ['inspect', id.slice(0, 16), '--json'], { KITARU_STORE: url })).execution;
    assert.equal(ex.status, 'failed');
    assert.equal(ex.flow.file, 'flow.ts', 'recorded relative to the project root');
    assert.deepEqual(
      ex.checkpoints.map((c) => c.status),
      ['completed', 'failed'],
    );
    writeFileSync(join(dir, 'go'), '');
    const replay = json<{ execution: { status: string; output: string; checkpoints: { origin: string }[] } }>(
      kitaru(dir, ['replay', id, '--json', '--store', url]),
    ).execution;
    assert.equal(replay.status, 'completed');
    assert.equal(replay.output, 'DATA:X');
    assert.deepEqual(
      replay.checkpoints.map((c) => c.origin),
      ['reused', 'executed'],
    );
    const list = json<{ count: number }>(kitaru(dir, ['list', '--json'], { KITARU_STORE: url }));
    assert.equal(list.count, 2);
    const logs = kitaru(dir, ['logs', id, '--store', url]);
    assert.equal(logs.code, 0);
  });

  it('rejects a --store that is not a postgres URL', () => {
    const r = kitaru(makeProject(), ['list', '--store', 'mysql://x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--store takes a postgres:\/\/ URL/);
  });

  it('reports an unreachable database in one line, without its password', () => {
    const r = kitaru(makeProject(), ['list', '--store', 'postgres://someone:hunter2@127.0.0.1:1/db']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /postgres store postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/db: list executions: connect ECONNREFUSED/,
    );
    assert.doesNotMatch(r.stderr, /hunter2|\n\s+at /);
  });
});

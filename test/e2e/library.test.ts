import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { execIdOf, json, kitaru, makeProject, write } from '../e2e-project.js';

const SCRIPT = `import { checkpoint, flow, KitaruClient } from 'kitaru';
let fail = true;
const fetchData = checkpoint(async function fetchData(url) { return 'page:' + url; });
const callModel = checkpoint({ retries: 3, type: 'llm_call' }, async function callModel(p) {
  if (fail) throw new Error('model down');
  return p.toUpperCase();
});
const agent = flow(async function agent(urls) {
  const pages = await Promise.all(urls.map((u) => fetchData.submit(u)).map((f) => f.result()));
  return callModel(pages.join(' '));
});
const h = agent.run(['a', 'b']);
const failure = await h.wait().catch((e) => ({ name: e.name, execId: e.execId }));
const client = new KitaruClient();
const ex = await client.executions.get(h.execId);
fail = false;
const replay = await client.executions.replay(h.execId);
console.log(JSON.stringify({
  failure,
  execId: h.execId,
  status: ex.status,
  attempts: ex.checkpoints.map((c) => c.attempts.map((a) => a.status)),
  replay: { status: replay.status, output: replay.output, origins: replay.checkpoints.map((c) => c.origin) },
}));
`;

const TS_FLOW = `import { checkpoint, flow } from 'kitaru';
import { existsSync } from 'node:fs';
const step = checkpoint(function step(n: number) { return n + 1; });
const gate = checkpoint(function gate(n: number) { if (!existsSync('go')) throw new Error('no go'); return n * 10; });
export default flow(async function tsFlow(n: number) { return gate(await step(n)); });
`;

describe('kitaru as a library in a project of its own', () => {
  it('a plain node script defines, runs, inspects and replays flows', () => {
    const dir = makeProject();
    write(dir, { 'script.mjs': SCRIPT });
    const r = spawnSync(process.execPath, ['script.mjs'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
    assert.deepEqual(out.failure, { name: 'KitaruExecutionError', execId: out.execId });
    assert.equal(out.status, 'failed');
    assert.deepEqual(out.attempts, [['completed'], ['completed'], ['failed', 'failed', 'failed', 'failed']]);
    assert.deepEqual(out.replay, {
      status: 'completed',
      output: 'PAGE:A PAGE:B',
      origins: ['reused', 'reused', 'executed'],
    });
    const listed = json<{ count: number }>(kitaru(dir, ['list', '--json']));
    assert.equal(listed.count, 2, 'the CLI reads what the library wrote');
  });

  it('the client replays a .ts flow recorded by the CLI, loading it through tsx', () => {
    const dir = makeProject();
    write(dir, {
      'flow.ts': TS_FLOW,
      'replay.mjs': `import { KitaruClient } from 'kitaru';
const ex = await new KitaruClient().executions.replay(process.argv[2]);
console.log(JSON.stringify({ status: ex.status, output: ex.output, origins: ex.checkpoints.map((c) => c.origin) }));
`,
    });
    const id = execIdOf(kitaru(dir, ['run', 'flow.ts', '--args', '1']));
    write(dir, { go: '' });
    const r = spawnSync(process.execPath, ['replay.mjs', id], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      status: 'completed',
      output: 20,
      origins: ['reused', 'executed'],
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execIdOf, json, kitaru, makeProject, write } from '../e2e-project.js';

const FLAKY = `import { checkpoint, flow, log } from 'kitaru';
let n = 0;
const fetchData = checkpoint({ type: 'tool_call' }, function fetchData(q: string) { return 'data:' + q; });
const callModel = checkpoint({ type: 'llm_call', retries: 2 }, function callModel(p: string) {
  n++;
  console.log('calling model, try', n);
  if (n < 2) throw new Error('rate limited');
  log({ tokens: 7 });
  return p.toUpperCase();
});
export default flow(async function agent(q: string = 'q') {
  return callModel(await fetchData(q));
});
`;
const FAILS = `import { checkpoint, flow } from 'kitaru';
const ok = checkpoint(function ok() { return 1; });
const never = checkpoint(function never() { throw new Error('no luck'); });
export default flow(async function doomed() { await ok(); return never(); });
`;

describe('kitaru inspect, list and logs', () => {
  const dir = makeProject();
  write(dir, { 'agent.ts': FLAKY, 'doomed.ts': FAILS });
  const agentId = execIdOf(kitaru(dir, ['run', 'agent.ts']));
  const doomedId = execIdOf(kitaru(dir, ['run', 'doomed.ts']));

  it('inspect shows a summary and a table of calls', () => {
    const r = kitaru(dir, ['inspect', agentId]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`execution ${agentId}  completed`));
    assert.match(r.stdout, /flow\s+agent \(agent\.ts\)/);
    assert.match(r.stdout, /call\s+type\s+status\s+origin\s+attempts\s+duration/);
    assert.match(r.stdout, /fetchData\s+tool_call\s+completed\s+executed\s+1\s+\d+ms/);
    assert.match(r.stdout, /callModel\s+llm_call\s+completed\s+executed\s+2\s+\d+ms/);
  });

  it('inspect --attempts shows every attempt with its error and logs', () => {
    const r = kitaru(dir, ['inspect', agentId, '--attempts']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /attempt 1\s+failed[\s\S]*Error: rate limited[\s\S]*calling model, try 1/);
    assert.match(r.stdout, /attempt 2\s+completed[\s\S]*calling model, try 2[\s\S]*\{"tokens":7\}/);
  });

  it('inspect of a failed execution exits 0 and ends with the replay command', () => {
    const r = kitaru(dir, ['inspect', doomedId, '--attempts']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /error\s+Error: no luck \(call never\)/);
    assert.match(r.stdout.trim().split('\n').at(-1) ?? '', new RegExp(`kitaru replay ${doomedId}$`));
  });

  it('accepts a unique id prefix', () => {
    const r = kitaru(dir, ['inspect', agentId.slice(0, 18), '--json']);
    assert.equal(json<{ execution: { id: string } }>(r).execution.id, agentId);
  });

  it('list shows executions newest first, filtered by flow and status, limited', () => {
    const all = json<{ command: string; executions: { id: string }[]; count: number }>(
      kitaru(dir, ['list', '--json']),
    );
    assert.equal(all.command, 'list');
    assert.deepEqual(
      all.executions.map((e) => e.id),
      [doomedId, agentId],
    );
    assert.equal(all.count, 2);
    const failed = json<{ executions: { id: string; checkpointCount: number }[] }>(
      kitaru(dir, ['list', '--status', 'failed', '--json']),
    );
    assert.deepEqual(
      failed.executions.map((e) => [e.id, e.checkpointCount]),
      [[doomedId, 2]],
    );
    const byFlow = json<{ executions: { id: string }[] }>(kitaru(dir, ['list', '--flow', 'agent', '--json']));
    assert.deepEqual(
      byFlow.executions.map((e) => e.id),
      [agentId],
    );
    const limited = json<{ executions: unknown[] }>(kitaru(dir, ['list', '--limit', '1', '--json']));
    assert.equal(limited.executions.length, 1);
    const text = kitaru(dir, ['list']);
    assert.match(text.stdout, /id\s+flow\s+status\s+calls/);
    assert.match(text.stdout, new RegExp(`${doomedId}\\s+doomed\\s+failed\\s+2`));
  });

  it('logs prints captured output in order, for the execution or one call', () => {
    const r = kitaru(dir, ['logs', agentId]);
    assert.equal(r.code, 0);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0] ?? '', /callModel#1 stdout: calling model, try 1/);
    assert.match(lines[1] ?? '', /callModel#1 error: Error: rate limited$/);
    assert.match(lines[3] ?? '', /callModel#2 log: \{"tokens":7\}/);
    const one = json<{ command: string; logs: { callId: string }[] }>(
      kitaru(dir, ['logs', agentId, '--checkpoint', 'fetchData', '--json']),
    );
    assert.equal(one.command, 'logs');
    assert.deepEqual(one.logs, []);
    const bad = kitaru(dir, ['logs', agentId, '--checkpoint', 'nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /has no call "nope".*fetchData, callModel/);
  });

  it("logs shows each failed attempt's error in time order, with or without --checkpoint", () => {
    const text = kitaru(dir, ['logs', doomedId, '--checkpoint', 'never']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout.trim(), /^\d\d:\d\d:\d\d\.\d{3} never#1 error: Error: no luck$/);
    assert.match(kitaru(dir, ['logs', doomedId]).stdout, /never#1 error: Error: no luck/);
    type Line = {
      stream: string;
      callId?: string;
      attempt?: number;
      text?: string;
      error?: { type: string };
    };
    const all = json<{ command: string; logs: Line[] }>(kitaru(dir, ['logs', agentId, '--json']));
    assert.deepEqual(
      all.logs.map((e) => `${e.callId}#${e.attempt} ${e.stream}`),
      ['callModel#1 stdout', 'callModel#1 error', 'callModel#2 stdout', 'callModel#2 log'],
    );
    const error = all.logs[1];
    assert.equal(error?.text, 'Error: rate limited');
    assert.equal(error?.error?.type, 'Error');
  });

  it('--help shows examples, --version the version', () => {
    const help = kitaru(dir, ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples:[\s\S]*kitaru replay 01jx --from summarize/);
    assert.match(kitaru(dir, ['replay', '--help']).stdout, /--override <checkpoint\.call-id=json>/);
    const v = kitaru(dir, ['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  it('colours only when asked: FORCE_COLOR on, NO_COLOR and --no-color off', () => {
    const ansi = new RegExp(`${String.fromCharCode(27)}\\[`);
    assert.match(kitaru(dir, ['inspect', agentId], { FORCE_COLOR: '1' }).stdout, ansi);
    assert.doesNotMatch(kitaru(dir, ['inspect', agentId], { FORCE_COLOR: '1', NO_COLOR: '1' }).stdout, ansi);
    assert.doesNotMatch(kitaru(dir, ['inspect', agentId, '--no-color'], { FORCE_COLOR: '1' }).stdout, ansi);
    assert.doesNotMatch(kitaru(dir, ['inspect', agentId]).stdout, ansi);
  });

  it('--dir points at another store', () => {
    const other = makeProject();
    const r = kitaru(other, ['list', '--dir', `${dir}/.kitaru`, '--json']);
    assert.equal(json<{ count: number }>(r).count, 2);
    assert.equal(json<{ count: number }>(kitaru(other, ['list', '--json'])).count, 0);
  });
});

const SEARCH = `import { checkpoint, flow } from 'kitaru';
const search = checkpoint({ type: 'tool_call' }, function search(topic: string, page: number, note = '') {
  return topic + page + note.length;
});
export default flow(async function research() {
  for (let page = 1; page <= 30; page++) await search('agents', page, page === 30 ? 'x'.repeat(300) : '');
});
`;

describe("kitaru inspect shows each call's input", () => {
  const dir = makeProject();
  write(dir, { 'research.ts': SEARCH });
  const id = execIdOf(kitaru(dir, ['run', 'research.ts']));

  it('in the call table, on one line cut to a fixed width when not on a terminal', () => {
    const r = kitaru(dir, ['inspect', id]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /call\s+type\s+status\s+origin\s+attempts\s+duration\s+input\n/);
    assert.match(
      r.stdout,
      /\nsearch_18\s+tool_call\s+completed\s+executed\s+1\s+\d+ms\s+\('agents', 18, ''\)\n/,
    );
    const last = r.stdout.split('\n').find((l) => l.startsWith('search_30 ')) ?? '';
    assert.match(last, /\('agents', 30, 'xxx+…$/);
    assert.equal(last.length, 120);
  });

  it('in full with --attempts and --json', () => {
    const attempts = kitaru(dir, ['inspect', id, '--attempts']);
    assert.match(
      attempts.stdout,
      /search_18 \[tool_call\]\s+completed\s+executed\n {2}input \('agents', 18, ''\)\n/,
    );
    assert.ok(attempts.stdout.includes(`input ('agents', 30, '${'x'.repeat(300)}')`));
    type Doc = { execution: { checkpoints: { id: string; input: unknown }[] } };
    const doc = json<Doc>(kitaru(dir, ['inspect', id, '--json']));
    assert.deepEqual(doc.execution.checkpoints[17], {
      ...doc.execution.checkpoints[17],
      id: 'search_18',
      input: ['agents', 18, ''],
    });
  });
});

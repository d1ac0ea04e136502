import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers.js';
import { doc, execIdOf, inProcessCli, writeFlow } from './harness.js';

const AGENT = `import { checkpoint, flow, log } from 'kitaru';
const fetchData = checkpoint({ type: 'tool_call' }, function fetchData(q: string) { return 'data:' + q; });
const callModel = checkpoint({ type: 'llm_call' }, function callModel(p: string) {
  console.log('calling model with', p);
  log({ tokens: 7 });
  return p.toUpperCase();
});
export default flow(async function agent(q: string) {
  return callModel(await fetchData(q));
});
`;
const DOOMED = `import { checkpoint, flow } from 'kitaru';
const ok = checkpoint(function ok() { return 1; });
const never = checkpoint(function never() { throw new Error('no luck'); });
export default flow(async function doomed() { await ok(); return never(); });
`;

interface Ex {
  id: string;
  status: string;
  output: unknown;
  error: { type: string; message: string } | null;
  replay: { sourceExecId: string } | null;
  checkpoints: { id: string; origin: string; status: string }[];
}

/** A store and two flow files; every command below runs in this process against them. */
function project() {
  const dir = tempDir('kitaru-cli-');
  const store = join(dir, '.kitaru');
  const { run, signals, exits } = inProcessCli();
  const kitaru = (...args: string[]) => run(...args, '--dir', store);
  return {
    dir,
    kitaru,
    signals,
    exits,
    agent: writeFlow(dir, 'agent.ts', AGENT),
    doomed: writeFlow(dir, 'doomed.ts', DOOMED),
  };
}

describe('commands in process: run and replay', () => {
  const p = project();

  it('run prints the execution, progress on stderr and the result on stdout; exit 0', async () => {
    const r = await p.kitaru('run', p.agent, '--args', '"q"');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^execution \S+ · flow agent\nstatus: completed\noutput: 'DATA:Q'\n$/);
    assert.match(r.stderr, /✓ fetchData \[tool_call\] \d+ms\n {2}✓ callModel \[llm_call\] \d+ms/);
  });

  it('run --json prints one document, diverting stdout for user code while it runs', async () => {
    const r = await p.kitaru('run', p.agent, '--args', '"j"', '--json');
    assert.equal(r.code, 0, r.stderr);
    const ex = doc<{ command: string; execution: Ex }>(r);
    assert.equal(ex.command, 'run');
    assert.equal(ex.execution.output, 'DATA:J');
    assert.deepEqual(
      ex.execution.checkpoints.map((c) => c.id),
      ['fetchData', 'callModel'],
    );
    assert.equal(r.stderr, '', 'no progress in JSON mode');
  });

  it('run of a failing flow exits 1 and still reports the execution, with the replay command', async () => {
    const text = await p.kitaru('run', p.doomed);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /status: failed\nerror: Error: no luck \(in call never\)/);
    assert.match(text.stderr, /after a fix, replay it: kitaru replay \S+ --dir /);
    const json = await p.kitaru('run', p.doomed, '--json');
    assert.equal(json.code, 1);
    const ex = doc<{ execution: Ex }>(json).execution;
    assert.equal(ex.status, 'failed');
    assert.equal(ex.error?.message, 'no luck');
  });

  it('replay reuses what completed, overrides a call, and reports as run does', async () => {
    const id = execIdOf(await p.kitaru('run', p.agent, '--args', '"r"'));
    const r = await p.kitaru('replay', id, '--override', 'checkpoint.fetchData="cached"');
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^execution \\S+ · replay of ${id}\nstatus: completed\noutput: 'CACHED'`),
    );
    assert.match(r.stderr, /✎ fetchData \[tool_call\] overridden/);
    assert.match(r.stderr, /reused 0, overridden 1, executed 1 of 2 calls/);
    const json = doc<{ command: string; execution: Ex }>(await p.kitaru('replay', id, '--json'));
    assert.equal(json.command, 'replay');
    assert.equal(json.execution.replay?.sourceExecId, id);
    assert.deepEqual(
      json.execution.checkpoints.map((c) => c.origin),
      ['reused', 'reused'],
    );
  });
});

describe('commands in process: inspect, list, logs, diff', async () => {
  const p = project();
  const agentId = execIdOf(await p.kitaru('run', p.agent, '--args', '"x"'));
  const doomedId = execIdOf(await p.kitaru('run', p.doomed));

  it('inspect prints a summary and a table of calls, or one document', async () => {
    const r = await p.kitaru('inspect', agentId);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^execution ${agentId}  completed\nflow\\s+agent`));
    assert.match(r.stdout, /call\s+type\s+status\s+origin\s+attempts\s+duration\s+input/);
    assert.match(r.stdout, /callModel\s+llm_call\s+completed\s+executed\s+1/);
    const json = doc<{ command: string; execution: Ex }>(await p.kitaru('inspect', agentId, '--json'));
    assert.equal(json.command, 'inspect');
    assert.equal(json.execution.id, agentId);
  });

  it('inspect of a failed execution exits 0 and ends with the replay command', async () => {
    const r = await p.kitaru('inspect', doomedId, '--attempts');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /attempt 1\s+failed[\s\S]*Error: no luck/);
    assert.match(r.stdout.trimEnd().split('\n').at(-1) ?? '', new RegExp(`kitaru replay ${doomedId} --dir `));
  });

  it('list prints a table newest first, or one document with a count', async () => {
    const r = await p.kitaru('list');
    assert.equal(r.code, 0);
    const rows = r.stdout.trimEnd().split('\n');
    assert.match(rows[0] ?? '', /^id\s+flow\s+status\s+calls\s+created\s+duration/);
    assert.match(rows[1] ?? '', new RegExp(`^${doomedId}\\s+doomed\\s+failed\\s+2`));
    const json = doc<{ command: string; count: number; executions: Ex[] }>(
      await p.kitaru('list', '--status', 'completed', '--json'),
    );
    assert.deepEqual([json.command, json.count, json.executions.map((e) => e.id)], ['list', 1, [agentId]]);
  });

  it('logs prints captured output in order, or one document', async () => {
    const r = await p.kitaru('logs', agentId, '--checkpoint', 'callModel');
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      /callModel#1 stdout: calling model with data:x\n.*callModel#1 log: \{"tokens":7\}\n$/,
    );
    const json = doc<{ command: string; logs: { callId: string; stream: string }[] }>(
      await p.kitaru('logs', doomedId, '--json'),
    );
    assert.equal(json.command, 'logs');
    assert.deepEqual(
      json.logs.map((l) => [l.callId, l.stream]),
      [['never', 'error']],
    );
  });

  it('diff compares two executions call by call; --changed leaves out the same', async () => {
    const replayId = execIdOf(await p.kitaru('replay', agentId, '--override', 'checkpoint.callModel="Y"'));
    const r = await p.kitaru('diff', agentId, replayId, '--changed');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /flow agent: 1 same, 1 changed, 0 only in a, 0 only in b; output changed/);
    assert.match(r.stdout, /callModel\s+changed\s+executed → overridden\s+'DATA:X' → 'Y'/);
    assert.doesNotMatch(r.stdout, /fetchData/);
    const json = doc<{ command: string; diff: { calls: { id: string; change: string }[] } }>(
      await p.kitaru('diff', agentId, replayId, '--json'),
    );
    assert.equal(json.command, 'diff');
    assert.deepEqual(
      json.diff.calls.map((c) => [c.id, c.change]),
      [
        ['fetchData', 'same'],
        ['callModel', 'changed'],
      ],
    );
  });
});

describe('commands in process: errors and exit codes', () => {
  const p = project();

  it('a usage error exits 2 with one line on stderr, or one error document', async () => {
    const r = await p.kitaru('list', '--limit', 'many');
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'kitaru: error: --limit must be a whole number >= 0, got "many".\n');
    const json = await p.kitaru('run', p.agent, '--args', '[1', '--json');
    assert.equal(json.code, 2);
    assert.equal(json.stderr, '');
    const { command, error } = doc<{ command: string; error: { type: string; message: string } }>(json);
    assert.deepEqual([command, error.type], ['run', 'KitaruUsageError']);
    assert.match(error.message, /^--args is not valid JSON/);
  });

  it("commander's errors exit 2: on stderr, or as a KitaruUsageError document", async () => {
    const r = await p.kitaru('inspect', '--bogus');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--bogus'/);
    const json = await p.kitaru('run', '--json');
    assert.equal(json.code, 2);
    assert.deepEqual(doc(json), {
      command: 'kitaru',
      error: { type: 'KitaruUsageError', message: "missing required argument 'file'" },
    });
    const typo = await p.kitaru('lsit');
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown command 'lsit'\n\(Did you mean list\?\)/);
  });

  it('an unknown id exits 2 naming the id; the error document carries its type', async () => {
    const r = await p.kitaru('inspect', 'nope');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^kitaru: error: .*nope/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack for a known error');
    const json = doc<{ command: string; error: { type: string } }>(await p.kitaru('logs', 'nope', '--json'));
    assert.deepEqual([json.command, json.error.type], ['logs', 'KitaruNotFoundError']);
  });

  it('--version and --help print on stdout and exit 0', async () => {
    const { run } = inProcessCli();
    const v = await run('--version');
    assert.deepEqual([v.code, v.stderr], [0, '']);
    assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
    const h = await run('--help');
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Exit codes: 0 ok, 1 the flow failed, 2 bad usage/);
  });
});

describe('commands in process: the terminal', () => {
  const dir = tempDir('kitaru-cli-');
  const store = join(dir, '.kitaru');
  const flowFile = writeFlow(dir, 'agent.ts', AGENT);
  const ESC = '\u001b[';

  it('colours follow the terminal: FORCE_COLOR, NO_COLOR, --no-color, never with --json', async () => {
    const colored = await inProcessCli({ env: { FORCE_COLOR: '1' } }).run('run', flowFile, '--dir', store);
    assert.ok(colored.stdout.includes(`${ESC}32mcompleted`), colored.stdout);
    const tty = { isTTY: true, columns: 80 };
    const plain = [
      await inProcessCli({ stderr: tty, env: { NO_COLOR: '1' } }).run('list', '--dir', store),
      await inProcessCli({ stderr: tty }).run('list', '--dir', store, '--no-color'),
      await inProcessCli({ env: { FORCE_COLOR: '1' } }).run('list', '--dir', store, '--json'),
    ];
    for (const r of plain) assert.ok(!r.stdout.includes(ESC), r.stdout);
    const onTTY = await inProcessCli({ stderr: tty }).run('list', '--dir', store);
    assert.ok(onTTY.stdout.includes(ESC), 'a terminal on stderr gets colour');
  });

  it('cuts long table lines to the width of a terminal on stdout', async () => {
    const id = execIdOf(
      await inProcessCli().run('run', flowFile, '--dir', store, '--args', `"${'y'.repeat(300)}"`),
    );
    const narrow = await inProcessCli({ stdout: { isTTY: true, columns: 90 } }).run(
      'inspect',
      id,
      '--dir',
      store,
    );
    const piped = await inProcessCli().run('inspect', id, '--dir', store);
    const longest = (s: string) => Math.max(...s.split('\n').map((l) => l.length));
    assert.ok(longest(narrow.stdout.split('\n\n')[1] ?? '') <= 90, narrow.stdout);
    assert.ok(longest(piped.stdout.split('\n\n')[1] ?? '') > 90);
    assert.ok(longest(piped.stdout.split('\n\n')[1] ?? '') <= 120);
  });
});

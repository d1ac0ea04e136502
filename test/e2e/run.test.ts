import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execIdOf, json, kitaru, kitaruMerged, makeProject, write } from '../e2e-project.js';

const HELLO = `import { checkpoint, flow } from 'kitaru';
const greet = checkpoint(function greet(name: string) { console.log('greeting', name); return 'hello ' + name; });
export default flow(async function hello(name: string = 'world') { return greet(name); });
`;
const TWO = `import { checkpoint, flow } from 'kitaru';
const add = checkpoint(function add(a: number, b: number) { return a + b; });
export const first = flow(async function first(a: number, b: number) { return add(a, b); });
export const second = flow(async function second(o: { x: number }) { return add(o.x, 1); });
`;

describe('kitaru run', () => {
  const dir = makeProject();
  write(dir, {
    'hello.ts': HELLO,
    'two.ts': TWO,
    'none.ts': 'export const x = 1;\n',
    'broken.ts':
      "import { flow } from 'kitaru';\nconst a = 1;\nconst b = ;\nexport default flow(async function b2() {});\n",
    'badimport.ts':
      "import { flow } from 'kitaru';\nimport { nope } from './missing-module';\nexport default flow(async function c() { return nope; });\n",
    'throws.ts': "import { flow } from 'kitaru';\nconst boom = 1;\nthrow new Error('top-level boom');\n",
    'fails.ts':
      "import { checkpoint, flow } from 'kitaru';\nconst bad = checkpoint(function bad() { throw new Error('bad day'); });\nexport default flow(async function fails() { return bad(); });\n",
    'args.json': '[2, 3]',
  });

  it('prints the execution id first, a line per call on stderr, then status and output', () => {
    const r = kitaru(dir, ['run', 'hello.ts', '--args', '"bob"']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^execution [0-9a-z]{22} · flow hello$/);
    assert.match(r.stdout, /status: completed\noutput: 'hello bob'/);
    assert.match(r.stdout, /greeting bob/, 'user output is still printed');
    assert.match(r.stderr, /✓ greet/);
  });

  it('spreads a JSON array as positional args and takes any other value as the one argument', () => {
    const spread = json<{ execution: { args: unknown; output: unknown } }>(
      kitaru(dir, ['run', 'two.ts', '--flow', 'first', '--args', '[2,3]', '--json']),
    );
    assert.deepEqual([spread.execution.args, spread.execution.output], [[2, 3], 5]);
    const single = json<{ execution: { args: unknown; output: unknown } }>(
      kitaru(dir, ['run', 'two.ts', '--flow', 'second', '--args', '{"x":9}', '--json']),
    );
    assert.deepEqual([single.execution.args, single.execution.output], [[{ x: 9 }], 10]);
    const fromFile = json<{ execution: { output: unknown } }>(
      kitaru(dir, ['run', 'two.ts', '--flow', 'first', '--args-file', 'args.json', '--json']),
    );
    assert.equal(fromFile.execution.output, 5);
  });

  it('--json prints exactly one document, with user output sent to stderr', () => {
    const r = kitaru(dir, ['run', 'hello.ts', '--json']);
    assert.equal(r.code, 0);
    const doc = json<{
      command: string;
      execution: Record<string, unknown> & { checkpoints: Record<string, unknown>[] };
    }>(r);
    assert.equal(doc.command, 'run');
    assert.deepEqual(Object.keys(doc.execution), [
      'id',
      'flow',
      'status',
      'args',
      'output',
      'error',
      'originalExecId',
      'replay',
      'flowAttempts',
      'host',
      'createdAt',
      'endedAt',
      'durationMs',
      'waits',
      'resumes',
      'queue',
      'checkpoints',
    ]);
    assert.deepEqual(Object.keys(doc.execution.checkpoints[0] ?? {}), [
      'id',
      'name',
      'type',
      'status',
      'origin',
      'reason',
      'sourceExecId',
      'kind',
      'wakeAt',
      'deadline',
      'sleep',
      'resolution',
      'input',
      'output',
      'attempts',
    ]);
    assert.match(r.stderr, /greeting world/);
  });

  it('exits 1 when the flow fails, still printing the execution (and the replay command)', () => {
    const text = kitaru(dir, ['run', 'fails.ts']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /status: failed\nerror: Error: bad day \(in call bad\)/);
    assert.match(text.stderr, /kitaru replay [0-9a-z]{22}/);
    const r = kitaru(dir, ['run', 'fails.ts', '--json']);
    assert.equal(r.code, 1);
    const doc = json<{ execution: { status: string; error: { type: string; callId: string } } }>(r);
    assert.equal(doc.execution.status, 'failed');
    assert.equal(doc.execution.error.callId, 'bad');
  });

  it('answers bad input with one line and exit 2, never a stack trace', () => {
    const cases: [string[], RegExp][] = [
      [['run', 'missing.ts'], /flow file not found: missing\.ts/],
      [['run', 'none.ts'], /none\.ts exports no flow/],
      [['run', 'two.ts'], /exports several flows \(first, second\); choose one with --flow/],
      [
        ['run', 'two.ts', '--flow', 'third'],
        /no flow named "third" in two\.ts; its flows are: first, second/,
      ],
      [['run', 'hello.ts', '--args', '{bad'], /--args is not valid JSON/],
      [['run', 'hello.ts', '--args-file', 'nope.json'], /cannot read --args-file nope\.json/],
      [['run', 'broken.ts'], /broken\.ts:3: syntax error/],
      [['run', 'badimport.ts'], /badimport\.ts:2: cannot find module '\.\/missing-module'/],
      [['run', 'throws.ts'], /throws\.ts:3: Error: top-level boom/],
      [['inspect', 'zzzz'], /no execution matches "zzzz"/],
      [['list', '--status', 'weird'], /unknown status "weird"/],
      [['run'], /missing required argument 'file'/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const r = kitaru(dir, args);
      assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace for ${args.join(' ')}:\n${r.stderr}`);
      const j = kitaru(dir, [...args, '--json']);
      assert.equal(j.code, 2);
      const doc = json<{ command: string; error: { type: string; message: string } }>(j);
      assert.match(doc.error.type, /^Kitaru\w*Error$/);
      assert.match(doc.error.message, message);
    }
  });

  it('runs a .ts flow in a folder without "type": "module"', () => {
    const cjs = makeProject({ module: false });
    write(cjs, {
      'flow.ts':
        "import { checkpoint, flow } from 'kitaru';\nimport { base } from './lib';\nconst inc = checkpoint(function inc(n: number) { return n + base; });\nexport default flow(async function cjsFlow() { return inc(1); });\n",
      'lib.ts': 'export const base: number = 41;\n',
    });
    const r = kitaru(cjs, ['run', 'flow.ts', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json<{ execution: { output: number } }>(r).execution.output, 42);
  });

  it('records the flow file relative to the project and a hash of its source', () => {
    const id = execIdOf(kitaru(dir, ['run', 'hello.ts']));
    const doc = json<{ execution: { flow: { file: string } } }>(kitaru(dir, ['inspect', id, '--json']));
    assert.equal(doc.execution.flow.file, 'hello.ts');
  });
});

const LOOP = `import { checkpoint, flow } from 'kitaru';
let tries = 0;
const step = checkpoint({ retries: 1 }, function step(i: number) {
  if (i === 80 && tries++ === 0) throw new Error('flaky');
  return i;
});
export default flow(async function loop(n: number = 120) {
  let sum = 0;
  for (let i = 1; i <= n; i++) sum += await step(i);
  return sum;
});
`;

describe('progress of a run of many calls', () => {
  const dir = makeProject();
  write(dir, { 'loop.ts': LOOP });
  const count = (text: string, line: RegExp) => text.split('\n').filter((l) => line.test(l)).length;
  const stepLine = /^ {2}✓ step(_\d+)? \d+ms/;

  it('prints the first 50 calls and every retry, then the others as counts, before the result', () => {
    const r = kitaruMerged(dir, ['run', 'loop.ts']);
    assert.equal(r.code, 0, r.output);
    assert.equal(count(r.output, stepLine), 51, r.output);
    assert.match(
      r.output,
      /\n {2}✓ step_50 \d+ms\n {2}! step_80 attempt 1 failed: Error: flaky \(retrying\)\n/,
    );
    assert.match(
      r.output,
      /\n {2}✓ step_80 \d+ms 2 attempts\n {2}✓ step x69 {2}\(folded; --verbose prints every call\)\n/,
    );
    assert.ok(r.output.indexOf('✓ step x69') < r.output.indexOf('status: completed'), r.output);
  });

  it('--verbose prints a line for every call, on run and on replay', () => {
    const r = kitaru(dir, ['run', 'loop.ts', '--verbose']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(count(r.stderr, stepLine), 120);
    assert.doesNotMatch(r.stderr, /folded/);
    const id = execIdOf(r);
    const reused = /^ {2}↺ step(_\d+)? reused$/;
    assert.equal(count(kitaru(dir, ['replay', id, '--verbose']).stderr, reused), 120);
    const folded = kitaru(dir, ['replay', id]).stderr;
    assert.equal(count(folded, reused), 50);
    assert.match(folded, /\n {2}↺ step x70 {2}\(folded/);
  });
});

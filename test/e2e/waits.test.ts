import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execIdOf, finished, json, kitaru, kitaruAsync, makeProject, write } from '../e2e-project.js';
import { delay } from '../helpers.js';

const APPROVE = `import { appendFileSync } from 'node:fs';
import { checkpoint, flow, wait, type StandardSchemaV1 } from 'kitaru';
const Ok: StandardSchemaV1<unknown, { ok: boolean }> = { '~standard': { version: 1, vendor: 't',
  validate: (v) => typeof (v as { ok?: unknown })?.ok === 'boolean'
    ? { value: v as { ok: boolean } } : { issues: [{ message: 'ok must be a boolean', path: ['ok'] }] } } };
const step = checkpoint(function step(n: number) { appendFileSync('runs.txt', 'step ' + n + '\\n'); return n + 1; });
export default flow(async function approve() {
  const a = await step(1);
  const answer = await wait({ name: 'approval', question: 'Ship it?', schema: Ok });
  const b = await step(a);
  return { a, b, ok: answer.ok };
});
`;
const SLEEPY = `import { appendFileSync } from 'node:fs';
import { checkpoint, flow, sleep } from 'kitaru';
const step = checkpoint(function step(n: number) { appendFileSync('runs.txt', 'step ' + n + '\\n'); return n; });
export default flow(async function sleepy() {
  await step(1);
  await sleep('300ms');
  return step(2);
});
`;

const runsOf = (dir: string) => readFileSync(join(dir, 'runs.txt'), 'utf8').trim().split('\n');

describe('kitaru run, input and resume with waits', () => {
  it('run exits 3 with the input command; input resumes to completed, each call run exactly once', () => {
    const dir = makeProject();
    write(dir, { 'approve.ts': APPROVE });
    const run = kitaru(dir, ['run', 'approve.ts']);
    assert.equal(run.code, 3, run.stderr);
    const id = execIdOf(run);
    assert.match(run.stdout, /status: waiting/);
    assert.match(run.stdout, /wait approval: Ship it\?/);
    assert.ok(run.stdout.includes(`kitaru input ${id} approval '<json>'`), run.stdout);
    const listed = json<{ executions: { id: string }[] }>(
      kitaru(dir, ['list', '--status', 'waiting', '--json']),
    );
    assert.deepEqual(
      listed.executions.map((e) => e.id),
      [id],
    );
    const shown = kitaru(dir, ['inspect', id]);
    assert.match(shown.stdout, /wait approval: pending Ship it\?/);

    const input = kitaru(dir, ['input', id, 'approval', '{"ok":true}', '--json']);
    assert.equal(input.code, 0, input.stderr);
    const doc = json<{ command: string; execution: { status: string; output: unknown; resumes: number } }>(
      input,
    );
    assert.equal(doc.command, 'input');
    assert.equal(doc.execution.status, 'completed');
    assert.deepEqual(doc.execution.output, { a: 2, b: 3, ok: true });
    assert.equal(doc.execution.resumes, 1);
    assert.deepEqual(runsOf(dir), ['step 1', 'step 2'], 'step 1 ran once, not again on resume');
  });

  it('run --json prints the waiting execution with its waits', () => {
    const dir = makeProject();
    write(dir, { 'approve.ts': APPROVE });
    const r = kitaru(dir, ['run', 'approve.ts', '--json']);
    assert.equal(r.code, 3);
    const doc = json<{
      command: string;
      execution: {
        status: string;
        waits: { id: string; kind: string; question: string; schema: unknown; deadline: unknown }[];
      };
    }>(r);
    assert.equal(doc.command, 'run');
    assert.equal(doc.execution.status, 'waiting');
    assert.deepEqual(doc.execution.waits, [
      {
        id: 'approval',
        kind: 'wait',
        question: 'Ship it?',
        metadata: null,
        deadline: null,
        wakeAt: null,
        schema: null,
      },
    ]);
  });

  it('of two inputs given at once, one wins and the other exits 2', async () => {
    const dir = makeProject();
    write(dir, { 'approve.ts': APPROVE });
    const id = execIdOf(kitaru(dir, ['run', 'approve.ts']));
    const [a, b] = await Promise.all(
      ['{"ok":true}', '{"ok":false}'].map((v) => finished(kitaruAsync(dir, ['input', id, 'approval', v]))),
    );
    assert.deepEqual([a?.code, b?.code].sort(), [0, 2], `${a?.stderr}\n${b?.stderr}`);
    const loser = a?.code === 2 ? a : b;
    assert.match(loser?.stderr ?? '', /already answered/);
    assert.deepEqual(runsOf(dir), ['step 1', 'step 2']);
  });

  it('an answer kept with --no-resume: a second input is refused and points at kitaru resume, which applies the first', () => {
    const dir = makeProject();
    write(dir, { 'approve.ts': APPROVE });
    const id = execIdOf(kitaru(dir, ['run', 'approve.ts']));
    const kept = kitaru(dir, ['input', id, 'approval', '{"ok":false}', '--no-resume']);
    assert.equal(kept.code, 0, kept.stderr);
    const again = kitaru(dir, ['input', id, 'approval', '{"ok":true}']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already answered/);
    assert.ok(again.stderr.includes(`kitaru resume ${id}`), again.stderr);
    const resumed = json<{ execution: { output: unknown } }>(kitaru(dir, ['resume', id, '--json']));
    assert.deepEqual(resumed.execution.output, { a: 2, b: 3, ok: false }, 'the first answer applied');
  });

  it('two inputs to two different waits at once resume the execution once: every call runs once', async () => {
    const dir = makeProject();
    write(dir, {
      'two.ts': `import { appendFileSync } from 'node:fs';
import { checkpoint, flow, wait } from 'kitaru';
const step = checkpoint(async function step(n: number) {
  appendFileSync('runs.txt', 'step ' + n + '\\n');
  await new Promise((r) => setTimeout(r, 300));
  return n;
});
export default flow(async function two() {
  const [a, b] = await Promise.all([wait({ name: 'a' }), wait({ name: 'b' })]);
  await step(1);
  await step(2);
  return [a, b];
});
`,
    });
    const id = execIdOf(kitaru(dir, ['run', 'two.ts']));
    const [ra, rb] = await Promise.all(
      [
        ['a', '1'],
        ['b', '2'],
      ].map(([w, v]) => finished(kitaruAsync(dir, ['input', id, w as string, v as string]))),
    );
    // Both answers are kept; the resumes they start never run the flow twice at once.
    assert.ok(
      [ra?.code, rb?.code].every((c) => c === 0 || c === 2 || c === 3),
      `${ra?.stderr}\n${rb?.stderr}`,
    );
    let status = json<{ execution: { status: string } }>(kitaru(dir, ['inspect', id, '--json'])).execution
      .status;
    if (status !== 'completed') {
      const resumed = kitaru(dir, ['resume', id]);
      assert.equal(resumed.code, 0, resumed.stderr);
      status = 'completed';
    }
    assert.deepEqual(runsOf(dir), ['step 1', 'step 2']);
  });

  it('refuses bad input: unknown wait id, --file not JSON, an answer the schema rejects, a second answer, a completed execution', () => {
    const dir = makeProject();
    write(dir, { 'approve.ts': APPROVE, 'bad.json': '{not json' });
    const id = execIdOf(kitaru(dir, ['run', 'approve.ts']));
    const unknown = kitaru(dir, ['input', id, 'nope', '1']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /pending waits are: approval/);
    const file = kitaru(dir, ['input', id, 'approval', '--file', 'bad.json']);
    assert.equal(file.code, 2);
    assert.match(file.stderr, /--file bad\.json is not valid JSON/);
    const refused = kitaru(dir, ['input', id, 'approval', '{"ok":"yes"}']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /refused by its schema: ok: ok must be a boolean/);
    const still = json<{ execution: { status: string } }>(kitaru(dir, ['inspect', id, '--json']));
    assert.equal(still.execution.status, 'waiting');
    assert.equal(kitaru(dir, ['input', id, 'approval', '{"ok":false}']).code, 0);
    const second = kitaru(dir, ['input', id, 'approval', '{"ok":true}']);
    assert.equal(second.code, 2);
    // The wait's answer is named even once the execution has gone on to complete (two inputs at
    // once: the loser may read the execution after the winner's resume ended it).
    assert.match(second.stderr, /wait "approval" .* is already answered .*The execution is completed/);
    const resume = kitaru(dir, ['resume', id]);
    assert.equal(resume.code, 2);
    assert.match(resume.stderr, /only a waiting or crashed execution can be resumed/);
  });

  it('a sleep survives SIGKILL: resume after the wake time returns at once and the sleep is not restarted', async () => {
    const dir = makeProject();
    write(dir, { 'sleepy.ts': SLEEPY });
    const child = kitaruAsync(dir, ['run', 'sleepy.ts']);
    const done = finished(child);
    let id = '';
    let journal = '';
    for (let i = 0; i < 200 && !journal.includes('"kind":"sleep"'); i++) {
      await delay(20);
      try {
        id = readdirSync(join(dir, '.kitaru', 'executions'))[0] ?? '';
        journal = readFileSync(join(dir, '.kitaru', 'executions', id, 'journal.jsonl'), 'utf8');
      } catch {}
    }
    assert.ok(journal.includes('"kind":"sleep"'), 'the sleep recorded its wake time');
    child.kill('SIGKILL');
    await done;
    const wakeAt = /"wakeAt":"([^"]+)"/.exec(journal)?.[1] as string;
    const crashed = json<{ execution: { status: string } }>(kitaru(dir, ['inspect', id, '--json']));
    assert.equal(crashed.execution.status, 'crashed');
    await delay(Math.max(0, Date.parse(wakeAt) - Date.now() + 20));
    const resumed = kitaru(dir, ['resume', id, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const doc = json<{
      execution: {
        status: string;
        output: unknown;
        endedAt: string;
        checkpoints: { id: string; wakeAt: string | null }[];
      };
    }>(resumed);
    assert.equal(doc.execution.status, 'completed');
    assert.equal(doc.execution.output, 2);
    assert.equal(doc.execution.checkpoints.find((c) => c.id === 'sleep')?.wakeAt, wakeAt, 'same wake time');
    assert.deepEqual(runsOf(dir), ['step 1', 'step 2'], 'step 1 was not run again');
  });

  it('replay --override wait.<id>=<json> answers the wait; a refused override and a wait at --from ask again (exit 3)', () => {
    const dir = makeProject();
    write(dir, { 'approve.ts': APPROVE });
    const id = execIdOf(kitaru(dir, ['run', 'approve.ts']));
    assert.equal(kitaru(dir, ['input', id, 'approval', '{"ok":true}']).code, 0);

    const over = kitaru(dir, ['replay', id, '--override', 'wait.approval={"ok":false}', '--json']);
    assert.equal(over.code, 0, over.stderr);
    const doc = json<{
      execution: { status: string; output: unknown; checkpoints: { id: string; origin: string }[] };
    }>(over);
    assert.deepEqual(doc.execution.output, { a: 2, b: 3, ok: false });
    assert.deepEqual(
      doc.execution.checkpoints.map((c) => [c.id, c.origin]),
      [
        ['step', 'reused'],
        ['approval', 'overridden'],
        ['step_2', 'reused'],
      ],
    );

    // The summary counts the wait by its origin like the checkpoints around it.
    const text = kitaru(dir, ['replay', id, '--override', 'wait.approval={"ok":false}']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stderr, /reused 2, overridden 1, executed 0 of 3 calls/);

    const refused = kitaru(dir, ['replay', id, '--overrides', '{"wait.approval": {"ok": "yes"}}']);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stdout, /status: waiting/);

    const from = kitaru(dir, ['replay', id, '--from', 'approval']);
    assert.equal(from.code, 3, from.stderr);
    const replayId = execIdOf(from);
    assert.ok(from.stdout.includes(`kitaru input ${replayId} approval '<json>'`), from.stdout);
    // Answered and resumed in another process: the summary counts the whole replay, not the resume.
    const answeredText = kitaru(dir, ['input', replayId, 'approval', '{"ok":false}']);
    assert.equal(answeredText.code, 0, answeredText.stderr);
    assert.match(answeredText.stderr, /reused 1, overridden 0, executed 2 of 3 calls/);
    const answered = kitaru(dir, ['inspect', replayId, '--json']);
    assert.equal(answered.code, 0, answered.stderr);
    assert.deepEqual(json<{ execution: { output: unknown } }>(answered).execution.output, {
      a: 2,
      b: 3,
      ok: false,
    });

    const unused = kitaru(dir, ['replay', id, '--override', 'wait.nope=1']);
    assert.equal(unused.code, 0, unused.stderr);
    assert.match(unused.stderr, /never used.*wait\.nope/);
    const bad = kitaru(dir, ['replay', id, '--override', 'waits.approval=1']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"waits.approval" is not of the form/);
    assert.deepEqual(runsOf(dir), ['step 1', 'step 2', 'step 2'], 'only the call after --from ran again');
  });
});

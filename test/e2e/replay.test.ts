import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execIdOf, json, kitaru, makeProject, write } from '../e2e-project.js';

// Each step appends to ran.txt so the test can tell which functions really ran.
const FLOW = `import { appendFileSync, existsSync } from 'node:fs';
import { checkpoint, flow, isReplay } from 'kitaru';
const mark = (s: string) => appendFileSync('ran.txt', s + '\\n');
const research = checkpoint({ type: 'llm_call' }, function research(topic: string) { mark('research'); return topic + ' facts'; });
const draft = checkpoint(function draft(facts: string) { mark('draft'); return 'draft of ' + facts; });
const publish = checkpoint(function publish(text: string) {
  mark('publish' + (isReplay() ? ' (replay)' : ''));
  if (!existsSync('ready.txt')) throw new Error('ready.txt missing');
  return text.toUpperCase();
});
export default flow(async function pipeline(topic: string = 'cats') {
  return publish(await draft(await research(topic)));
});
`;

type Ex = {
  id: string;
  status: string;
  output: unknown;
  originalExecId: string;
  replay: Record<string, unknown>;
  checkpoints: { id: string; origin: string; reason: string | null; sourceExecId: string | null }[];
};

describe('kitaru replay', () => {
  const dir = makeProject();
  write(dir, { 'pipeline.ts': FLOW });
  const ran = () => readFileSync(join(dir, 'ran.txt'), 'utf8').trim().split('\n');
  const reset = () => writeFileSync(join(dir, 'ran.txt'), '');

  const failed = kitaru(dir, ['run', 'pipeline.ts']);
  const sourceId = execIdOf(failed);

  it('fail, fix, replay: completed calls are reused, the failed one runs', () => {
    assert.equal(failed.code, 1);
    writeFileSync(join(dir, 'ready.txt'), '');
    reset();
    const r = kitaru(dir, ['replay', sourceId]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /↺ research \[llm_call\] reused/);
    assert.match(r.stderr, /↺ draft reused/);
    assert.match(r.stderr, /✓ publish \d+ms \(not-completed\)/);
    assert.match(r.stderr, /reused 2, overridden 0, executed 1 of 3 calls/);
    assert.match(r.stdout, /output: 'DRAFT OF CATS FACTS'/);
    assert.deepEqual(ran(), ['publish (replay)']);
    const ex = json<{ execution: Ex }>(kitaru(dir, ['inspect', execIdOf(r), '--json'])).execution;
    assert.equal(ex.originalExecId, sourceId);
    assert.deepEqual(
      ex.checkpoints.map((c) => [c.origin, c.reason, c.sourceExecId]),
      [
        ['reused', null, sourceId],
        ['reused', null, sourceId],
        ['executed', 'not-completed', null],
      ],
    );
    const text = kitaru(dir, ['inspect', execIdOf(r)]).stdout;
    assert.match(text, new RegExp(`replay of ${sourceId}`));
    assert.match(text, /research\s+llm_call\s+completed\s+reused \(/);
  });

  it('--from reruns the selected call and everything after it', () => {
    reset();
    const r = kitaru(dir, ['replay', sourceId, '--from', 'draft', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const ex = json<{ command: string; execution: Ex }>(r);
    assert.equal(ex.command, 'replay');
    assert.deepEqual(
      ex.execution.checkpoints.map((c) => c.reason ?? c.origin),
      ['reused', 'from', 'from'],
    );
    assert.deepEqual(ran(), ['draft', 'publish (replay)']);
    assert.equal(ex.execution.replay.from, 'draft');
  });

  it('--override replaces an output; calls downstream run with the new input', () => {
    reset();
    const r = kitaru(dir, ['replay', sourceId, '--override', 'checkpoint.research="dogs facts"', '--json']);
    const ex = json<{ execution: Ex }>(r).execution;
    assert.equal(ex.output, 'DRAFT OF DOGS FACTS');
    assert.deepEqual(
      ex.checkpoints.map((c) => c.reason ?? c.origin),
      ['overridden', 'inputs-changed', 'not-completed'],
    );
    assert.deepEqual(ran(), ['draft', 'publish (replay)']);
    assert.deepEqual(ex.replay.overrides, { 'checkpoint.research': 'dogs facts' });
  });

  it('diff shows what a replay changed, call by call, and refuses two different flows', () => {
    const replayId = execIdOf(kitaru(dir, ['replay', sourceId, '--override', 'checkpoint.draft="short"']));
    const r = kitaru(dir, ['diff', sourceId, replayId, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { diff } = json<{
      diff: {
        counts: Record<string, number>;
        outputChanged: boolean;
        calls: { id: string; change: string; b: { origin: string } }[];
      };
    }>(r);
    assert.deepEqual(
      diff.calls.map((c) => [c.id, c.change, c.b.origin]),
      [
        ['research', 'same', 'reused'],
        ['draft', 'changed', 'overridden'],
        ['publish', 'changed', 'executed'],
      ],
    );
    assert.deepEqual(diff.counts, { same: 1, changed: 2, 'only-a': 0, 'only-b': 0 });
    assert.equal(diff.outputChanged, true);
    const text = kitaru(dir, ['diff', sourceId.slice(0, 14), replayId.slice(0, 14)]);
    assert.match(text.stdout, /flow pipeline: 1 same, 2 changed, 0 only in a, 0 only in b; output changed/);
    assert.match(text.stdout, /draft\s+changed\s+executed → overridden\s+'draft of cats facts' → 'short'/);
    write(dir, {
      'other.ts':
        "import { flow } from 'kitaru';\nexport default flow(async function other() { return 1; });\n",
    });
    const otherId = execIdOf(kitaru(dir, ['run', 'other.ts']));
    const refused = kitaru(dir, ['diff', sourceId, otherId]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /are not of the same flow/);
  });

  it('--overrides takes them all at once; an unused one is a warning and kept', () => {
    const r = kitaru(dir, [
      'replay',
      sourceId,
      '--overrides',
      '{"checkpoint.draft":"x","checkpoint.ghost":1}',
      '--json',
    ]);
    assert.equal(r.code, 0);
    const ex = json<{ execution: Ex }>(r).execution;
    assert.equal(ex.output, 'X');
    assert.deepEqual(ex.replay.unusedOverrides, ['checkpoint.ghost']);
    assert.match(r.stderr, /warning: override never used.*checkpoint\.ghost/);
  });

  it('--args replaces the flow arguments; calls whose inputs change run again', () => {
    reset();
    const ex = json<{ execution: Ex }>(
      kitaru(dir, ['replay', sourceId, '--args', '"owls"', '--json']),
    ).execution;
    assert.equal(ex.output, 'DRAFT OF OWLS FACTS');
    assert.deepEqual(ran(), ['research', 'draft', 'publish (replay)']);
    assert.deepEqual(
      ex.checkpoints.map((c) => c.reason),
      ['inputs-changed', 'inputs-changed', 'not-completed'],
    );
  });

  it('bad selectors, keys and JSON exit 2 with one line', () => {
    const cases: [string[], RegExp][] = [
      [['--from', 'drafts'], /--from "drafts" names no call .*Its calls are: research, draft, publish/],
      [['--override', 'research=1'], /override key "research" is not of the form checkpoint\.<call-id>/],
      [['--override', 'checkpoint.research'], /not of the form checkpoint\.<call-id>=<json>/],
      [['--override', 'checkpoint.research={oops'], /--override checkpoint\.research is not valid JSON/],
      [['--overrides', '[1]'], /--overrides must be a JSON object/],
    ];
    for (const [args, message] of cases) {
      const r = kitaru(dir, ['replay', sourceId, ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
      const j = json<{ error: { type: string } }>(kitaru(dir, ['replay', sourceId, ...args, '--json']));
      assert.match(j.error.type, /KitaruStateError|KitaruUsageError/);
    }
    assert.equal(kitaru(dir, ['replay', 'nope']).code, 2);
  });

  it('warns when the flow file changed since the source ran, and not otherwise', () => {
    const quiet = kitaru(dir, ['replay', sourceId]);
    assert.doesNotMatch(quiet.stderr, /changed/);
    appendFileSync(join(dir, 'pipeline.ts'), '\n// edited\n');
    const loud = kitaru(dir, ['replay', sourceId]);
    assert.match(
      loud.stderr,
      /warning: the source of flow "pipeline" \(pipeline\.ts\) or a file it imports changed/,
    );
  });
});

const FAN = `import { checkpoint, flow } from 'kitaru';
const item = checkpoint(function item(i: number) { return i * 2; });
export default flow(async function fan(n: number = 30) {
  let sum = 0;
  for (let i = 1; i <= n; i++) sum += await item(i);
  return sum;
});
`;

describe('kitaru diff --changed', () => {
  const dir = makeProject();
  write(dir, { 'fan.ts': FAN });
  const a = execIdOf(kitaru(dir, ['run', 'fan.ts']));
  const b = execIdOf(kitaru(dir, ['replay', a, '--args', '31', '--override', 'checkpoint.item_7=0']));

  it('lists only the calls that differ, with the counts of all', () => {
    const r = kitaru(dir, ['diff', a, b, '--changed']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /flow fan: 29 same, 1 changed, 0 only in a, 1 only in b; output changed/);
    const rows = r.stdout.trim().split('\n').slice(4);
    assert.equal(rows.length, 3, r.stdout);
    assert.match(rows[0] ?? '', /^call\s+change/);
    assert.match(rows[1] ?? '', /^item_7\s+changed\s+executed → overridden\s+14 → 0/);
    assert.match(rows[2] ?? '', /^item_31\s+only in b\s+- → executed/);
    assert.equal(kitaru(dir, ['diff', a, b]).stdout.trim().split('\n').length, 4 + 1 + 31);
    assert.match(kitaru(dir, ['diff', a, a, '--changed']).stdout, /\n\nno call differs\n$/);
  });

  it('filters the JSON document too', () => {
    type Doc = { diff: { calls: { id: string; change: string }[]; counts: Record<string, number> } };
    const { diff } = json<Doc>(kitaru(dir, ['diff', a, b, '--changed', '--json']));
    assert.deepEqual(
      diff.calls.map((c) => [c.id, c.change]),
      [
        ['item_7', 'changed'],
        ['item_31', 'only-b'],
      ],
    );
    assert.deepEqual(diff.counts, { same: 29, changed: 1, 'only-a': 0, 'only-b': 1 });
  });
});

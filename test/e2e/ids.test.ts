import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  APPROVAL_SCHEMA,
  execIdOf,
  finished,
  json,
  kitaru,
  kitaruAsync,
  makeProject,
  write,
} from '../e2e-project.js';

// Each run of the body adds a line to ran.txt: the tests count how often it ran.
const FLOW = `import { appendFileSync } from 'node:fs';
import { checkpoint, flow } from 'kitaru';
const step = checkpoint(async function step(x: string) {
  appendFileSync('ran.txt', x + '\\n');
  await new Promise((r) => setTimeout(r, Number(process.env.STEP_MS ?? 0)));
  if (x === 'boom') throw new Error('boom');
  return x.toUpperCase();
});
export default flow(async function shout(x: string) {
  return step(x);
});
`;

const WAITING = `${APPROVAL_SCHEMA}
export default flow(async function approve() {
  const answer = await wait({ name: 'approval', question: 'ok?', schema: Approval });
  return answer.approved;
});
`;

const runs = (dir: string) =>
  existsSync(join(dir, 'ran.txt'))
    ? readFileSync(join(dir, 'ran.txt'), 'utf8').split('\n').filter(Boolean)
    : [];

interface Doc {
  execution: { id: string; status: string; output: unknown; error: { message: string } | null };
}

describe('caller-chosen execution ids (folder store)', () => {
  it('16 processes starting one id at once run the flow body exactly once, and all report it', async () => {
    const dir = makeProject();
    write(dir, { 'flow.ts': FLOW });
    const children = Array.from({ length: 16 }, () =>
      finished(
        kitaruAsync(dir, ['run', 'flow.ts', '--args', '"a"', '--id', 'same-1', '--json'], { STEP_MS: '200' }),
      ),
    );
    const results = await Promise.all(children);
    for (const r of results) {
      assert.equal(r.code, 0, r.stderr);
      const { execution } = json<Doc>(r);
      assert.deepEqual([execution.id, execution.status, execution.output], ['same-1', 'completed', 'A']);
    }
    assert.deepEqual(runs(dir), ['a'], 'the body ran once');
    assert.equal(json<{ count: number }>(kitaru(dir, ['list', '--json'])).count, 1);
  });

  it('starting an id that exists attaches: same output, exit code by its status, nothing runs again', () => {
    const dir = makeProject();
    write(dir, { 'flow.ts': FLOW, 'wait.ts': WAITING });
    const first = kitaru(dir, ['run', 'flow.ts', '--args', '"boom"', '--id', 'order-7']);
    assert.equal(first.code, 1, first.stderr);
    const again = kitaru(dir, ['run', 'flow.ts', '--args', '"boom"', '--id', 'order-7']);
    assert.equal(again.code, 1, again.stderr);
    assert.equal(execIdOf(again), 'order-7');
    assert.match(again.stdout, /status: failed/);
    assert.match(again.stdout, /error: Error: boom/);
    assert.match(again.stderr, /order-7 exists \(failed\)/);
    assert.deepEqual(runs(dir), ['boom'], 'nothing ran the second time');

    const waiting = kitaru(dir, ['run', 'wait.ts', '--id', 'ask-1']);
    assert.equal(waiting.code, 3, waiting.stderr);
    const attached = kitaru(dir, ['run', 'wait.ts', '--id', 'ask-1', '--json']);
    assert.equal(attached.code, 3, attached.stderr);
    assert.equal(json<Doc>(attached).execution.status, 'waiting');
  });

  it('an id started again with another flow, other arguments or another replay is refused: one line, exit 2', () => {
    const dir = makeProject();
    write(dir, { 'flow.ts': FLOW, 'wait.ts': WAITING, 'sub/flow.ts': FLOW });
    assert.equal(kitaru(dir, ['run', 'flow.ts', '--args', '"bob"', '--id', 'x']).code, 0);
    const refusals: [string[], RegExp][] = [
      [['run', 'wait.ts', '--id', 'x'], /flow shout \(flow\.ts\), not approve \(wait\.ts\)/],
      [
        ['run', 'sub/flow.ts', '--args', '"bob"', '--id', 'x'],
        /flow shout \(flow\.ts\), not shout \(sub\/flow\.ts\)/,
      ],
      [['run', 'flow.ts', '--args', '"alice"', '--id', 'x'], /arguments \["bob"\], not \["alice"\]/],
      [['run', 'flow.ts', '--id', 'x'], /arguments \["bob"\], not \[\]/],
      [['replay', 'x', '--id', 'x'], /a run, not a replay of x/],
    ];
    for (const [args, why] of refusals) {
      const r = kitaru(dir, args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /execution x exists with another start \(/);
      assert.match(r.stderr, why);
      assert.match(r.stderr, /Choose another id/);
      assert.equal(r.stdout, '');
    }
    const j = kitaru(dir, ['run', 'wait.ts', '--id', 'x', '--json']);
    assert.equal(j.code, 2);
    assert.equal(json<{ error: { type: string } }>(j).error.type, 'KitaruStateError');
    // The same start attaches, whatever the way its arguments are written.
    const same = kitaru(dir, ['run', 'flow.ts', '--args', '["bob"]', '--id', 'x']);
    assert.equal(same.code, 0, same.stderr);
    assert.deepEqual(runs(dir), ['bob']);

    // A replay: its source and options (--from, overrides, --args) are part of the start.
    assert.equal(kitaru(dir, ['replay', 'x', '--from', 'step', '--id', 'x-r']).code, 0);
    const replays: [string[], RegExp][] = [
      [['replay', 'x', '--id', 'x-r'], /a replay of x from step, not a replay of x\)/],
      [
        ['replay', 'x', '--from', 'step', '--override', 'checkpoint.step="Z"', '--id', 'x-r'],
        /with overrides/,
      ],
      [
        ['replay', 'x', '--from', 'step', '--args', '"eve"', '--id', 'x-r'],
        /arguments \["bob"\], not \["eve"\]/,
      ],
      [['run', 'flow.ts', '--args', '"bob"', '--id', 'x-r'], /a replay of x from step, not a run/],
    ];
    for (const [args, why] of replays) {
      const r = kitaru(dir, args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, why);
    }
    assert.equal(kitaru(dir, ['replay', 'x', '--from', 'step', '--id', 'x-r']).code, 0);
    assert.deepEqual(runs(dir), ['bob', 'bob'], 'the run and one replay: nothing else ran');
  });

  it('attaching to a crashed execution says how to resume it; to a cancelled one, no "replay it after a fix"', async () => {
    const dir = makeProject();
    write(dir, { 'flow.ts': FLOW, 'wait.ts': WAITING });
    const child = kitaruAsync(dir, ['run', 'flow.ts', '--args', '"a"', '--id', 'c-1'], { STEP_MS: '600000' });
    const done = finished(child);
    while (runs(dir).length === 0) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await done;
    const crashed = kitaru(dir, ['run', 'flow.ts', '--args', '"a"', '--id', 'c-1']);
    assert.equal(crashed.code, 1, crashed.stderr);
    assert.match(crashed.stdout, /status: crashed/);
    assert.match(crashed.stderr, /its process is gone; resume it: kitaru resume c-1/);
    assert.doesNotMatch(crashed.stderr, /after a fix/);

    assert.equal(kitaru(dir, ['run', 'wait.ts', '--id', 'w-1']).code, 3);
    assert.equal(kitaru(dir, ['cancel', 'w-1']).code, 0);
    const cancelled = kitaru(dir, ['run', 'wait.ts', '--id', 'w-1']);
    assert.match(cancelled.stdout, /status: cancelled/);
    assert.doesNotMatch(cancelled.stderr, /after a fix, replay it/);
  });

  it('--on-conflict fail refuses an id that exists: one line, exit 2, the execution untouched', () => {
    const dir = makeProject();
    write(dir, { 'flow.ts': FLOW });
    assert.equal(kitaru(dir, ['run', 'flow.ts', '--args', '"a"', '--id', 'job:1']).code, 0);
    const r = kitaru(dir, ['run', 'flow.ts', '--args', '"b"', '--id', 'job:1', '--on-conflict', 'fail']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /execution job:1 exists already/);
    const j = kitaru(dir, ['run', 'flow.ts', '--id', 'job:1', '--on-conflict', 'fail', '--json']);
    assert.equal(j.code, 2);
    assert.equal(json<{ error: { type: string } }>(j).error.type, 'KitaruStateError');
    assert.deepEqual(runs(dir), ['a']);
  });

  it('bad ids and bad --on-conflict values: one line naming the rule, exit 2, nothing written', () => {
    const dir = makeProject();
    write(dir, { 'flow.ts': FLOW });
    const bad = [
      '',
      'a/b',
      'a b',
      'x'.repeat(101),
      '..',
      '.hidden',
      '01jx0000000000000000ab',
      'abcdefghijklmnopqrstuv', // 22 lowercase letters: the shape of a generated id, as documented
      '-x', // an option to every command that takes an id
      'é',
    ];
    for (const id of bad) {
      const r = kitaru(dir, ['run', 'flow.ts', `--id=${id}`]);
      assert.equal(r.code, 2, `${id}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /invalid execution id .*1 to 100 characters of A-Z a-z 0-9 \. _ : -/);
    }
    const conflict = kitaru(dir, ['run', 'flow.ts', '--id', 'ok-1', '--on-conflict', 'maybe']);
    assert.equal(conflict.code, 2);
    assert.match(conflict.stderr, /invalid on-conflict value "maybe": use attach .* or fail/);
    for (const args of [
      ['run', 'flow.ts', '--wait'],
      ['replay', 'whatever', '--wait'],
    ]) {
      const w = kitaru(dir, args);
      assert.equal(w.code, 2, w.stderr);
      assert.match(w.stderr, /^kitaru: error: --wait goes with --queue/);
    }
    const noId = kitaru(dir, ['run', 'flow.ts', '--on-conflict', 'fail']);
    assert.equal(noId.code, 2);
    assert.match(noId.stderr, /--on-conflict needs --id/);
    const replay = kitaru(dir, ['replay', 'whatever', '--id', 'a/b']);
    assert.equal(replay.code, 2);
    assert.match(replay.stderr, /invalid execution id "a\/b"/);
    assert.equal(existsSync(join(dir, '.kitaru')), false, 'nothing written');
    assert.deepEqual(runs(dir), []);
  });

  it('replay --id gives the replay that id; replaying to it again attaches', () => {
    const dir = makeProject();
    write(dir, { 'flow.ts': FLOW });
    assert.equal(kitaru(dir, ['run', 'flow.ts', '--args', '"a"', '--id', 'src.1']).code, 0);
    const r = kitaru(dir, ['replay', 'src.1', '--from', 'step', '--id', 'src.1-replay', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json<Doc>(r).execution.id, 'src.1-replay');
    const again = kitaru(dir, ['replay', 'src.1', '--from', 'step', '--id', 'src.1-replay']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(execIdOf(again), 'src.1-replay');
    assert.deepEqual(runs(dir), ['a', 'a'], 'the run and one replay; the second replay ran nothing');
  });

  it('an exact id wins over a prefix match (order-4 beside order-42)', () => {
    const dir = makeProject();
    write(dir, { 'flow.ts': FLOW });
    assert.equal(kitaru(dir, ['run', 'flow.ts', '--args', '"a"', '--id', 'order-42']).code, 0);
    assert.equal(kitaru(dir, ['run', 'flow.ts', '--args', '"b"', '--id', 'order-4']).code, 0);
    const r = json<Doc>(kitaru(dir, ['inspect', 'order-4', '--json']));
    assert.deepEqual([r.execution.id, r.execution.output], ['order-4', 'B']);
  });

  it('list shows executions newest first whatever their ids, also after gc and an id made again', () => {
    const dir = makeProject();
    write(dir, { 'flow.ts': FLOW });
    const ids = (args: string[] = []) =>
      json<{ executions: { id: string }[] }>(kitaru(dir, ['list', '--json', ...args])).executions.map(
        (e) => e.id,
      );
    assert.equal(kitaru(dir, ['run', 'flow.ts', '--args', '"a"', '--id', 'zzz-1']).code, 0);
    const generated = kitaru(dir, ['run', 'flow.ts', '--args', '"b"']);
    assert.equal(generated.code, 0, generated.stderr);
    assert.equal(kitaru(dir, ['run', 'flow.ts', '--args', '"c"', '--id', 'aaa-2']).code, 0);
    assert.deepEqual(ids(), ['aaa-2', execIdOf(generated), 'zzz-1']);
    assert.deepEqual(ids(['--limit', '2']), ['aaa-2', execIdOf(generated)]);
    const table = kitaru(dir, ['list']);
    assert.ok(table.stdout.indexOf('aaa-2') < table.stdout.indexOf('zzz-1'), table.stdout);
    assert.equal(json<Doc>(kitaru(dir, ['inspect', 'aaa', '--json'])).execution.id, 'aaa-2', 'a prefix');

    const gc = kitaru(dir, ['gc', '--keep-last', '2']);
    assert.equal(gc.code, 0, gc.stderr);
    assert.deepEqual(ids(), ['aaa-2', execIdOf(generated)], 'the oldest, zzz-1, is gone');
    assert.equal(kitaru(dir, ['run', 'flow.ts', '--args', '"d"', '--id', 'zzz-1']).code, 0);
    assert.deepEqual(ids(), ['zzz-1', 'aaa-2', execIdOf(generated)], 'made again, it is the newest');
  });
});

const CLIENT = `import { KitaruClient } from 'kitaru';
import shout from './flow.ts';
const client = new KitaruClient();
const out = {};
const started = shout.with({ id: 'lib-1' }).run('x');
out.run = [started.execId, await started.wait()];
out.attached = await shout.with({ id: 'lib-1' }).run('x').wait();
out.otherArgs = await shout.with({ id: 'lib-1' }).run('y').wait().catch((e) => [e.name, e.message]);
out.refused = await shout.with({ id: 'lib-1', onConflict: 'fail' }).run('z').wait().catch((e) => e.name);
out.badId = (() => { try { shout.with({ id: 'no way' }); } catch (e) { return e.name; } })();
out.enqueue = await shout.enqueue('q').catch((e) => [e.name, e.message]);
out.clientEnqueue = await client.executions.enqueue('flow.ts', { args: ['q'] }).catch((e) => e.name);
out.waited = (await client.executions.wait(process.argv[2], { timeoutMs: 60000 })).status;
out.timeout = await client.executions.wait(process.argv[3], { timeoutMs: 50 }).catch((e) => e.name);
out.replay = (await client.executions.replay('lib-1', { from: 'step', id: 'lib-1-r' })).id;
console.log(JSON.stringify(out));
`;

describe('caller-chosen ids and waiting, from code (folder store)', () => {
  it('with({ id }) runs, attaches and refuses; enqueue needs Postgres; executions.wait follows another process', async () => {
    const dir = makeProject();
    write(dir, { 'flow.ts': FLOW, 'wait.ts': WAITING, 'client.ts': CLIENT });
    // One execution ends while the client waits for it (another process runs it); one stays running.
    const slow = kitaruAsync(dir, ['run', 'flow.ts', '--args', '"slow"', '--id', 'slow-1'], {
      STEP_MS: '1500',
    });
    const stuck = kitaruAsync(dir, ['run', 'flow.ts', '--args', '"stuck"', '--id', 'stuck-1'], {
      STEP_MS: '600000',
    });
    try {
      // Both recorded before the client looks for them.
      for (const id of ['slow-1', 'stuck-1']) {
        while (kitaru(dir, ['inspect', id]).code !== 0) await new Promise((r) => setTimeout(r, 50));
      }
      const r = spawnSync(
        process.execPath,
        ['--import', import.meta.resolve('tsx'), 'client.ts', 'slow-1', 'stuck-1'],
        {
          cwd: dir,
          encoding: 'utf8',
        },
      );
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
      assert.deepEqual(out.run, ['lib-1', 'X']);
      assert.equal(out.attached, 'X');
      assert.equal(out.otherArgs[0], 'KitaruStateError');
      assert.match(
        out.otherArgs[1],
        /execution lib-1 exists with another start \(arguments \["x"\], not \["y"\]\)/,
      );
      assert.equal(out.refused, 'KitaruStateError');
      assert.equal(out.badId, 'KitaruUsageError');
      assert.equal(out.enqueue[0], 'KitaruUsageError');
      assert.match(
        out.enqueue[1],
        /queue mode \(enqueue\) needs a Postgres store: set KITARU_STORE=postgres:.*new KitaruClient\(\{ store: 'postgres:/,
      );
      assert.doesNotMatch(out.enqueue[1], /--store/);
      assert.equal(out.clientEnqueue, 'KitaruUsageError');
      assert.equal(out.waited, 'completed');
      assert.equal(out.timeout, 'KitaruTimeoutError');
      assert.equal(out.replay, 'lib-1-r');
      assert.deepEqual(runs(dir).sort(), ['slow', 'stuck', 'x', 'x'].sort());
    } finally {
      stuck.kill('SIGKILL');
      await finished(slow);
    }
  });
});

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KitaruClient } from '../../src/index.js';
import { execIdOf, finished, json, kitaru, kitaruAsync, makeProject, write } from '../e2e-project.js';
import { delay } from '../helpers.js';

const FLOWS = `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { checkpoint, flow } from 'kitaru';
const step = checkpoint(async function step(i: number) {
  await new Promise((r) => setTimeout(r, Number(process.env.STEP_MS ?? 2)));
  return i * i;
});
const hang = checkpoint(async function hang() {
  writeFileSync('hanging', String(process.pid));
  if (!existsSync('release')) await new Promise((r) => setTimeout(r, 60_000));
  return 'released';
});
export const long = flow(async function long(n: number) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await step(i);
  return sum;
});
const quick = checkpoint(function quick(i: number) { return i; });
export const busy = flow(async function busy(n: number) {
  let last = 0;
  for (let i = 0; i < n; i++) last = await quick(i);
  return last;
});
const fanned = checkpoint(async function fanned(i: number) {
  await new Promise((r) => setTimeout(r, Math.random() * Number(process.env.STEP_MS ?? 2)));
  return i + 1;
});
export const mixed = flow(async function mixed(n: number) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await step(i);
  const wide = await fanned.map(Array.from({ length: n }, (_, i) => i));
  for (let i = 0; i < 5; i++) sum += await step(i);
  return [sum, wide.reduce((a, b) => a + b, 0)];
});
// Spins (no turn of the event loop) until the test writes 'go'; 'spinning' says it has begun.
const spin = (label: string) => {
  writeFileSync('spinning', label);
  while (!existsSync('go')) {}
  // Longer than the runtime's few ms between turns, however soon 'go' came.
  for (const end = Date.now() + 100; Date.now() < end; ) {}
  return label;
};
const busySync = checkpoint(function busySync() { return spin('sync'); });
const busyAsync = checkpoint(async function busyAsync() {
  // Goes on from an I/O completion (the loop's poll phase, where signals are read): the turn
  // before the next call must come round to that phase again.
  await readFile('flows.ts');
  return spin('async');
});
const after = checkpoint(function after() { writeFileSync('after', 'ran'); return 'after'; });
export const spinning = flow(async function spinning(kind: string) {
  await (kind === 'sync' ? busySync() : busyAsync());
  return after();
});
export const stuck = flow(async function stuck() {
  const a = await step(3);
  return [a, await hang()];
});
`;

type Ex = {
  id: string;
  status: string;
  output: unknown;
  error: { type: string } | null;
  checkpoints: {
    id: string;
    status: string;
    origin: string;
    attempts: { error: { type: string } | null }[];
  }[];
};

async function waitUntil(done: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (const until = Date.now() + ms; !done(); await delay(10)) {
    if (Date.now() > until) throw new Error(what);
  }
}

const waitFor = (file: string) => waitUntil(() => existsSync(file), `${file} never appeared`);

/** How many call records the journals of the project's store hold so far. */
function callsWritten(dir: string): number {
  const executions = join(dir, '.kitaru', 'executions');
  let n = 0;
  for (const id of existsSync(executions) ? readdirSync(executions) : []) {
    const journal = join(executions, id, 'journal.jsonl');
    if (existsSync(journal)) n += readFileSync(journal, 'utf8').split('"t":"call"').length - 1;
  }
  return n;
}

function project(): string {
  const dir = makeProject();
  write(dir, { 'flows.ts': FLOWS });
  return dir;
}

describe('signals', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} records the run as cancelled, its running attempt as failed, and exits ${code}`, async () => {
      const dir = project();
      const child = kitaruAsync(dir, ['run', 'flows.ts', '--flow', 'stuck', '--json']);
      const done = finished(child);
      await waitFor(join(dir, 'hanging'));
      child.kill(signal);
      const r = await done;
      assert.equal(r.code, code, r.stderr);
      const ex = json<{ execution: Ex }>(r).execution;
      assert.equal(ex.status, 'cancelled');
      assert.equal(ex.error?.type, 'KitaruCancelledError');
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.id, c.status, c.attempts.map((a) => a.error?.type ?? 'ok')]),
        [
          ['step', 'completed', ['ok']],
          ['hang', 'failed', ['KitaruCancelledError']],
        ],
      );
      writeFileSync(join(dir, 'release'), '');
      const replay = json<{ execution: Ex }>(kitaru(dir, ['replay', ex.id, '--json'])).execution;
      assert.equal(replay.status, 'completed');
      assert.deepEqual(
        replay.checkpoints.map((c) => c.origin),
        ['reused', 'executed'],
      );
    });
  }
});

describe('signals during a flow of synchronous checkpoints', () => {
  it('are handled at once, not when the flow ends', async () => {
    const dir = project();
    const child = kitaruAsync(dir, ['run', 'flows.ts', '--flow', 'busy', '--args', '200000', '--json']);
    const done = finished(child);
    let err = '';
    child.stderr?.on('data', (d) => (err += d));
    // Interrupt the flow once it is inside its loop: when its first call file is on disk (a fixed
    // wait after the store appeared could fall before the first call on a loaded machine).
    await waitUntil(() => callsWritten(dir) > 0, 'no call was written');
    const sent = Date.now();
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 130, err);
    assert.ok(Date.now() - sent < 5_000, `exited ${Date.now() - sent}ms after SIGINT`);
    const ex = json<{ execution: Ex }>(r).execution;
    assert.equal(ex.status, 'cancelled');
    assert.ok(ex.checkpoints.length > 0 && ex.checkpoints.length < 200_000, `${ex.checkpoints.length} calls`);
  });
});

describe('a signal while a checkpoint keeps the event loop busy', () => {
  for (const kind of ['sync', 'async']) {
    it(`is seen before the next call starts (${kind} checkpoint): cancelled, exit 130, the next call never runs`, async () => {
      const dir = project();
      const child = kitaruAsync(dir, [
        'run',
        'flows.ts',
        '--flow',
        'spinning',
        '--args',
        JSON.stringify(kind),
        '--json',
      ]);
      const done = finished(child);
      await waitFor(join(dir, 'spinning'));
      child.kill('SIGINT'); // pending for the process before the checkpoint ends
      writeFileSync(join(dir, 'go'), '');
      const r = await done;
      assert.equal(r.code, 130, r.stderr);
      const ex = json<{ execution: Ex }>(r).execution;
      assert.equal(ex.status, 'cancelled');
      assert.equal(existsSync(join(dir, 'after')), false, 'the next call ran');
      assert.deepEqual(
        ex.checkpoints.map((c) => c.id),
        [kind === 'sync' ? 'busySync' : 'busyAsync'],
      );
    });
  }
});

describe('a run killed with SIGKILL', () => {
  it('leaves a readable store; the execution shows as crashed and replays, reusing what completed', async () => {
    const dir = project();
    const child = kitaruAsync(dir, ['run', 'flows.ts', '--flow', 'stuck']);
    const done = finished(child);
    await waitFor(join(dir, 'hanging'));
    child.kill('SIGKILL');
    const r = await done;
    assert.equal(r.signal, 'SIGKILL');
    const id = execIdOf(r);
    const ex = json<{ execution: Ex }>(kitaru(dir, ['inspect', id, '--json'])).execution;
    assert.equal(ex.status, 'crashed');
    assert.deepEqual(
      ex.checkpoints.map((c) => [c.id, c.status]),
      [['step', 'completed']],
    );
    const crashed = json<{ executions: { id: string }[] }>(
      kitaru(dir, ['list', '--status', 'crashed', '--json']),
    );
    assert.deepEqual(
      crashed.executions.map((e) => e.id),
      [id],
    );
    writeFileSync(join(dir, 'release'), '');
    const replay = json<{ execution: Ex }>(kitaru(dir, ['replay', id.slice(0, 16), '--json'])).execution;
    assert.equal(replay.status, 'completed');
    assert.deepEqual(replay.output, [9, 'released']);
    assert.deepEqual(
      replay.checkpoints.map((c) => c.origin),
      ['reused', 'executed'],
    );
  });

  it('fault injection: killed 50 times at random points of sequential calls and a fan-out, the store always reads and a replay finishes right', async () => {
    const dir = project();
    const n = 20;
    const squares = (k: number) => Array.from({ length: k }, (_, i) => i * i).reduce((a, b) => a + b, 0);
    const expected = [squares(n) + squares(5), (n * (n + 1)) / 2];
    const client = new KitaruClient({ dir: join(dir, '.kitaru'), onWarning: () => {} });
    let torn = 0;
    for (let round = 0; round < 50; round++) {
      const child = kitaruAsync(dir, ['run', 'flows.ts', '--flow', 'mixed', '--args', String(n)], {
        STEP_MS: '3',
      });
      const done = finished(child);
      // Wait for the id line, then kill somewhere inside the run (about 150 ms of calls).
      let out = '';
      child.stdout?.on('data', (d) => (out += d));
      while (!out.includes('\n')) await delay(2);
      await delay(Math.floor(Math.random() * 160));
      child.kill('SIGKILL');
      const id = execIdOf(await done);
      const journal = readFileSync(join(dir, '.kitaru', 'executions', id, 'journal.jsonl'), 'utf8');
      if (!journal.endsWith('\n')) torn++;
      const [listed] = await client.executions.list({ limit: 1 });
      assert.equal(listed?.id, id);
      const source = await client.executions.get(id);
      assert.ok(['crashed', 'completed'].includes(source.status), source.status);
      const completed = source.checkpoints.filter((c) => c.status === 'completed').length;
      const replay = await client.executions.replay(id);
      assert.equal(replay.status, 'completed', `round ${round}`);
      assert.deepEqual(replay.output, expected, `round ${round}`);
      assert.equal(
        replay.checkpoints.filter((c) => c.origin === 'reused').length,
        completed,
        `round ${round}`,
      );
      assert.equal(replay.checkpoints.length, 2 * n + 5);
    }
    // Not an assertion (a kill mid-write is rare), but worth seeing in the test log.
    if (torn > 0) process.stdout.write(`# ${torn} of 50 kills left a torn last line\n`);
  });
});

const GUARDED = `import { appendFileSync } from 'node:fs';
import { checkpoint, currentExecutionId, flow, sleep, wait, type StandardSchemaV1 } from 'kitaru';
const Pick: StandardSchemaV1<unknown, { n: number }> = { '~standard': { version: 1, vendor: 't',
  validate: (v) => typeof (v as { n?: unknown })?.n === 'number'
    ? { value: { n: (v as { n: number }).n } } : { issues: [{ message: 'n must be a number', path: ['n'] }] } } };
// Every run of a body leaves a line: execution, call (by its argument), process.
const ran = (key: string) => appendFileSync('bodies.txt', currentExecutionId() + ' ' + key + ' ' + process.pid + '\\n');
const pause = () => new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
const step = checkpoint(async function step(i: number) { ran('step:' + i); await pause(); return i * i; });
const fanned = checkpoint(async function fanned(i: number) { ran('fanned:' + i); await pause(); return i + 1; });
export default flow(async function guarded(n: number) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await step(i);
  const answer = await wait({ name: 'pick', question: 'Which n?', schema: Pick });
  await sleep('150ms');
  const wide = await fanned.map(Array.from({ length: n }, (_, i) => i));
  for (let i = n; i < n + 4; i++) sum += await step(i);
  return [sum, answer.n, wide.reduce((a, b) => a + b, 0)];
});
`;

/** The key a body writes for a call: its checkpoint's name and argument. */
const keyOf = (c: { name: string; input: unknown }) => `${c.name}:${(c.input as number[])[0]}`;

/**
 * Starts a command and, if `kill`, kills it with SIGKILL at a random moment: half the time counted
 * from its start (loading, keeping the answer, claiming), half from its first line (in the flow).
 */
async function killedAtRandom(
  dir: string,
  args: string[],
  kill: boolean,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const child = kitaruAsync(dir, args);
  const done = finished(child);
  if (kill) {
    if (Math.random() < 0.5) {
      const firstLine = new Promise<void>((resolve) => {
        let out = '';
        child.stdout?.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve();
        });
      });
      await Promise.race([firstLine, done]);
    }
    await Promise.race([delay(Math.floor(Math.random() * 300)), done]);
    child.kill('SIGKILL');
  }
  return done;
}

describe('waits and sleeps killed with SIGKILL', () => {
  it('fault injection: run, input and resume killed at random moments; the store always reads, the output is always the same, and a call recorded completed never runs again', async () => {
    const dir = makeProject();
    write(dir, { 'guarded.ts': GUARDED });
    const client = new KitaruClient({ dir: join(dir, '.kitaru'), onWarning: () => {} });
    const n = 8;
    const squares = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => (from + i) ** 2).reduce((a, b) => a + b, 0);
    const expected = [squares(0, n + 4), 7, (n * (n + 1)) / 2];
    const bodies = join(dir, 'bodies.txt');
    const lines = () => (existsSync(bodies) ? readFileSync(bodies, 'utf8').split('\n').filter(Boolean) : []);
    let kills = 0;
    let processes = 0;
    for (let round = 0; round < 10; round++) {
      let seen = lines().length;
      // The run: killed at a random moment after it starts the flow, or reaching its wait.
      const child = kitaruAsync(dir, ['run', 'guarded.ts', '--args', String(n)]);
      const done = finished(child);
      let out = '';
      child.stdout?.on('data', (d) => (out += d));
      while (!out.includes('\n')) await delay(2);
      await Promise.race([delay(Math.floor(Math.random() * 150)), done]);
      child.kill('SIGKILL');
      const id = execIdOf(await done);
      processes++;
      let kept = false;
      let wakeAt: string | null = null;
      // Then input and resume, each killed at random until the round's kills are spent.
      for (let step = 0; ; step++) {
        assert.ok(step < 30, `round ${round}: still not completed after ${step} commands`);
        const [listed] = await client.executions.list({ limit: 1 });
        assert.equal(listed?.id, id, `round ${round}: list`);
        const ex = await client.executions.get(id);
        const ranHere = lines()
          .slice(seen)
          .filter((l) => l.startsWith(`${id} `))
          .map((l) => l.split(' ')[1]);
        seen = lines().length;
        assert.equal(
          new Set(ranHere).size,
          ranHere.length,
          `round ${round}: a body ran twice in one process: ${ranHere}`,
        );
        if (ex.status === 'completed') {
          assert.deepEqual(ex.output, expected, `round ${round}`);
          break;
        }
        assert.ok(['crashed', 'waiting'].includes(ex.status), `round ${round}: ${ex.status}`);
        // The sleep's wake time, once recorded, never moves (a resume does not start it again).
        const slept = ex.checkpoints.find((c) => c.kind === 'sleep')?.wakeAt ?? null;
        if (wakeAt === null) wakeAt = slept;
        else assert.equal(slept, wakeAt, `round ${round}: the sleep's wake time moved`);
        const completed = new Set(
          ex.checkpoints.filter((c) => c.kind === 'checkpoint' && c.status === 'completed').map(keyOf),
        );
        const kill = step < 4 && Math.random() < 0.75;
        // Once an input said the answer is kept already, resume (as its message tells).
        const pending: boolean = ex.status === 'waiting' && ex.waits.some((w) => w.id === 'pick') && !kept;
        const args: string[] = pending ? ['input', id, 'pick', '{"n": 7}'] : ['resume', id];
        const r = await killedAtRandom(dir, args, kill);
        processes++;
        if (r.signal === 'SIGKILL') kills++;
        else if (!(r.code === 0 || (!pending && r.code === 3))) {
          // A resume may stop at the wait (3). An input may find its answer kept by an input
          // killed before it resumed: the next command resumes.
          assert.ok(
            pending && r.code === 2 && /already answered/.test(r.stderr),
            `round ${round}: ${args[0]}: ${r.code} ${r.stderr}`,
          );
          kept = true;
        }
        const rerun = lines()
          .slice(seen)
          .filter((l) => l.startsWith(`${id} `) && completed.has(l.split(' ')[1] as string));
        assert.deepEqual(rerun, [], `round ${round}: calls recorded completed ran again (${args[0]})`);
      }
      // Every completed call ran: its body left a line.
      const final = await client.executions.get(id);
      const ranAll = new Set(
        lines()
          .filter((l) => l.startsWith(`${id} `))
          .map((l) => l.split(' ')[1]),
      );
      for (const c of final.checkpoints.filter((c) => c.kind === 'checkpoint')) {
        assert.ok(ranAll.has(keyOf(c)), `round ${round}: ${c.id} completed without running`);
      }
      assert.equal(final.checkpoints.length, 2 * n + 4 + 2);
      if (wakeAt !== null) assert.equal(final.checkpoints.find((c) => c.kind === 'sleep')?.wakeAt, wakeAt);
      const shown = json<{ execution: Ex }>(kitaru(dir, ['inspect', id, '--json'])).execution;
      assert.deepEqual(shown.output, expected);
    }
    process.stdout.write(`# ${kills} kills over ${processes} processes\n`);
  });
});

describe('several processes on one store', () => {
  it('a reader reading a journal while it is written always sees whole records', async () => {
    const dir = project();
    const child = kitaruAsync(dir, ['run', 'flows.ts', '--flow', 'mixed', '--args', '150'], { STEP_MS: '1' });
    const done = finished(child);
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    while (!out.includes('\n')) await delay(2);
    const id = out.split(' ')[1] as string;
    const client = new KitaruClient({ dir: join(dir, '.kitaru') });
    let last = 0;
    let reads = 0;
    for (let ended = false; !ended; reads++) {
      const ex = await client.executions.get(id);
      ended = ex.status !== 'running';
      const calls = ex.checkpoints.length;
      assert.ok(calls >= last, `calls went from ${last} to ${calls}`);
      for (const c of ex.checkpoints) assert.ok(['completed', 'failed'].includes(c.status), c.id);
      last = calls;
    }
    assert.equal((await done).code, 0);
    assert.equal(last, 2 * 150 + 5);
    assert.ok(reads > 3, `read ${reads} times while it ran`);
  });

  it('lose nothing when they run at once', async () => {
    const dir = project();
    const runs = Array.from({ length: 4 }, () =>
      finished(kitaruAsync(dir, ['run', 'flows.ts', '--flow', 'long', '--args', '30', '--json'])),
    );
    const results = await Promise.all(runs);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const list = json<{ executions: { id: string; status: string; checkpointCount: number }[] }>(
      kitaru(dir, ['list', '--json']),
    );
    assert.equal(list.executions.length, 4);
    for (const e of list.executions) assert.deepEqual([e.status, e.checkpointCount], ['completed', 30]);
    assert.equal(new Set(list.executions.map((e) => e.id)).size, 4);
  });
});

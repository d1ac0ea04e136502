import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execIdOf, finished, json, kitaru, kitaruAsync, makeProject, write } from '../e2e-project.js';
import { delay } from '../helpers.js';

const FLOWS = `import { existsSync, writeFileSync } from 'node:fs';
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

/** How many call files the executions of the project's store hold so far. */
function callsWritten(dir: string): number {
  const executions = join(dir, '.kitaru', 'executions');
  let n = 0;
  for (const id of existsSync(executions) ? readdirSync(executions) : []) {
    const calls = join(executions, id, 'checkpoints');
    if (existsSync(calls)) n += readdirSync(calls).length;
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

  it('fault injection: killed at random points, the store always reads and a replay finishes right', async () => {
    const dir = project();
    const n = 40;
    const expected = Array.from({ length: n }, (_, i) => i * i).reduce((a, b) => a + b, 0);
    for (let round = 0; round < 6; round++) {
      const child = kitaruAsync(dir, ['run', 'flows.ts', '--flow', 'long', '--args', String(n)], {
        STEP_MS: '3',
      });
      const done = finished(child);
      // Wait for the id line, then kill somewhere inside the run of 40 calls.
      let out = '';
      child.stdout?.on('data', (d) => (out += d));
      while (!out.includes('\n')) await delay(5);
      await delay(Math.floor(Math.random() * 250));
      child.kill('SIGKILL');
      const r = await done;
      const id = execIdOf(r);
      const list = kitaru(dir, ['list', '--json']);
      assert.equal(list.code, 0);
      assert.equal(list.stderr, '', 'no unreadable execution');
      const source = json<{ execution: Ex }>(kitaru(dir, ['inspect', id, '--json'])).execution;
      assert.ok(['crashed', 'completed'].includes(source.status), source.status);
      const completed = source.checkpoints.filter((c) => c.status === 'completed').length;
      assert.deepEqual(
        source.checkpoints.map((c) => c.id),
        Array.from({ length: source.checkpoints.length }, (_, i) => (i === 0 ? 'step' : `step_${i + 1}`)),
      );
      const replay = json<{ execution: Ex }>(kitaru(dir, ['replay', id, '--json'])).execution;
      assert.equal(replay.status, 'completed', `round ${round}`);
      assert.equal(replay.output, expected);
      assert.equal(replay.checkpoints.filter((c) => c.origin === 'reused').length, completed);
      assert.equal(replay.checkpoints.length, n);
    }
  });
});

describe('several processes on one store', () => {
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

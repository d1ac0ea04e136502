import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KitaruClient } from '../../src/index.js';
import { execIdOf, finished, json, kitaru, kitaruAsync, makeProject, write } from '../e2e-project.js';
import { delay } from '../helpers.js';

const FLOWS = `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { KitaruClient } from '../../src/index.js';
import { execIdOf, finished, json, kitaru, kitaruAsync, makeProject, write } from '../e2e-project.js';
import { delay } from '../helpers.js';
import { startPostgres } from '../pg-cluster.js';

// Queue mode under fire: executions that wait for an answer and sleep (some long enough to park),
// answered while workers are SIGKILLed and replaced.

const FLOW = `import { appendFileSync } from 'node:fs';
import { checkpoint, currentExecutionId, flow, sleep, wait } from 'kitaru';
const step = checkpoint(async function step(i: number, acc: number) {
  // Every run of a body leaves a line: execution, call, worker process.
  appendFileSync('bodies.txt', currentExecutionId() + ' step:' + i + ' ' + process.pid + '\\n');
  await new Promise((r) => setTimeout(r, 20 + Math.random() * 60));
  return acc + i;
});
export default flow(async function patient(seed: number) {
  let acc = await step(1, seed);
  const answer = await wait<{ add: number }>({ name: 'approval', question: 'How much to add?' });
  acc = await step(2, acc + answer.add);
  // Even seeds sleep past --park-after (parked, a job at the wake time); odd ones hold their slot.
  await sleep(seed % 2 === 0 ? 1500 : 300);
  return step(3, acc);
});
`;

interface Call {
  id: string;
  kind: string;
  status: string;
  attempts: { status: string; error: { type: string } | null }[];
}

const url = await startPostgres();
const db = new pg.Client({ connectionString: url });
await db.connect();
const dir = makeProject();
write(dir, { 'flow.ts': FLOW });
const client = new KitaruClient({ store: url });

const workers = new Set<ChildProcess>();
let workerLog = '';

/** Starts a `kitaru worker` (2 slots, 3 s lease, sleeps over 1 s parked). */
function startWorker(): ChildProcess {
  const child = kitaruAsync(dir, [
    'worker',
    '--store',
    url,
    '--lease',
    '3',
    '--concurrency',
    '2',
    '--park-after',
    '1',
  ]);
  workers.add(child);
  child.on('exit', () => workers.delete(child));
  child.stderr?.on('data', (d) => (workerLog += d));
  return child;
}

async function statuses(ids: string[]): Promise<Map<string, string>> {
  const { rows } = await db.query<{ id: string; status: string }>(
    "select id, doc->>'status' as status from kitaru_executions where id = any($1)",
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.status]));
}

async function until(ids: string[], status: string, ms = 60_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await delay(50)) {
    const s = await statuses(ids);
    if (ids.every((id) => s.get(id) === status)) return;
  }
  throw new Error(`not all ${status}: ${JSON.stringify([...(await statuses(ids))])}\n${workerLog}`);
}

/** Runs `fn` on each item, `width` at a time. */
async function inBatches<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

describe('queue mode: waits and sleeps while workers are killed', () => {
  after(async () => {
    for (const w of [...workers]) w.kill('SIGKILL');
    await db.end();
  });

  it('3 workers, 20 executions that wait and sleep, answered while workers are SIGKILLed and replaced: all complete right, each call completed once', async () => {
    for (let i = 0; i < 3; i++) startWorker();
    const seeds = Array.from({ length: 20 }, (_, i) => 100 + i);
    const ids = new Map<string, number>();
    await inBatches(seeds, 6, async (seed) => {
      const r = await finished(
        kitaruAsync(dir, ['run', 'flow.ts', '--queue', '--args', String(seed), '--store', url]),
      );
      assert.equal(r.code, 0, r.stderr);
      ids.set(execIdOf(r), seed);
    });
    // Every second or so, one worker is killed and another started in its place.
    let killing = true;
    let kills = 0;
    const killer = (async () => {
      while (killing) {
        await delay(500 + Math.random() * 1000);
        if (!killing) break;
        const victim = [...workers][Math.floor(Math.random() * workers.size)];
        if (!victim) continue;
        victim.kill('SIGKILL');
        kills++;
        startWorker();
      }
    })();
    const all = [...ids.keys()];
    await until(all, 'waiting');
    // Half the answers from the command line, half from the client.
    await inBatches(all, 6, async (id) => {
      const add = (ids.get(id) as number) % 7;
      if ((ids.get(id) as number) % 4 < 2) {
        const ex = await client.executions.input(id, 'approval', { add });
        assert.ok(['waiting', 'queued', 'running', 'completed'].includes(ex.status), ex.status);
        return;
      }
      const r = await finished(
        kitaruAsync(dir, ['input', id, 'approval', JSON.stringify({ add }), '--store', url]),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /resume queued for the workers/);
    });
    // Keep killing while the answered executions run and sleep, then let them finish.
    await delay(2500);
    killing = false;
    await killer;
    await until(all, 'completed');

    const bodies = existsSync(join(dir, 'bodies.txt'))
      ? readFileSync(join(dir, 'bodies.txt'), 'utf8').split('\n').filter(Boolean)
      : [];
    let lost = 0;
    for (const [id, seed] of ids) {
      const ex = json<{ execution: { output: number; checkpoints: Call[] } }>(
        kitaru(dir, ['inspect', id, '--json', '--store', url]),
      ).execution;
      assert.equal(ex.output, seed + 1 + (seed % 7) + 2 + 3, `output of ${id}`);
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.id, c.status]),
        [
          ['step', 'completed'],
          ['approval', 'completed'],
          ['step_2', 'completed'],
          ['sleep', 'completed'],
          ['step_3', 'completed'],
        ],
      );
      for (const [n, call] of ex.checkpoints.filter((c) => c.kind === 'checkpoint').entries()) {
        const completed = call.attempts.filter((a) => a.status === 'completed').length;
        assert.equal(completed, 1, `call ${call.id} of ${id} has ${completed} completed attempts`);
        // A body runs again only after an attempt lost with its worker (killed mid-call).
        const failed = call.attempts.filter((a) => a.status === 'failed');
        for (const a of failed) assert.equal(a.error?.type, 'KitaruWorkerLostError');
        lost += failed.length;
        const runs = bodies.filter((l) => l.startsWith(`${id} step:${n + 1} `)).length;
        assert.ok(
          runs >= 1 && runs <= 1 + failed.length,
          `call ${call.id} of ${id}: its body ran ${runs} times, ${failed.length} attempts lost`,
        );
      }
    }
    const { rows } = await db.query('select count(*)::int as n from kitaru_calls where exec_id = any($1)', [
      all,
    ]);
    assert.equal(rows[0].n, 20 * 5, 'one record per call');
    assert.ok(kills >= 3, `${kills} workers killed`);
    process.stdout.write(`# ${kills} workers killed; ${lost} attempts lost with them\n`);
  });
});

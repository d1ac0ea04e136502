import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, afterEach, describe, it } from 'node:test';
import pg from 'pg';
import { execIdOf, finished, json, kitaru, kitaruAsync, makeProject, write } from '../e2e-project.js';
import { delay } from '../helpers.js';
import { startPostgres } from '../pg-cluster.js';

// Each step waits, so that a worker killed at any moment is almost surely inside an attempt.
const FLOW = `import { checkpoint, flow } from 'kitaru';
const step = checkpoint(async function step(i: number, acc: number) {
  await new Promise((r) => setTimeout(r, Number(process.env.STEP_MS ?? 30)));
  return acc + i;
});
export default flow(async function twenty(seed: number) {
  let acc = seed;
  for (let i = 1; i <= 20; i++) acc = await step(i, acc);
  return acc;
});
`;

interface Attempt {
  status: string;
  error: { type: string; message: string } | null;
}
interface Call {
  id: string;
  status: string;
  origin: string;
  attempts: Attempt[];
}

const allWorkers = new Set<ChildProcess>();

/** A `kitaru worker` process, with its stderr kept to wait on. */
function startWorker(dir: string, url: string, args: string[] = [], env: Record<string, string> = {}) {
  const child = kitaruAsync(dir, ['worker', '--store', url, '--lease', '2', ...args], env);
  allWorkers.add(child);
  child.on('exit', () => allWorkers.delete(child));
  const result = finished(child);
  let err = '';
  child.stderr?.on('data', (d) => (err += d));
  return {
    child,
    result,
    get stderr() {
      return err;
    },
    async waitFor(pattern: RegExp, ms = 20_000) {
      for (const end = Date.now() + ms; Date.now() < end; await delay(25)) if (pattern.test(err)) return;
      throw new Error(`worker never printed ${pattern}:\n${err}`);
    },
  };
}

/** Queues `count` executions of the flow, a few `kitaru run --queue` at a time; their ids. */
async function submit(dir: string, url: string, seeds: number[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (let i = 0; i < seeds.length; i += 6) {
    const batch = seeds.slice(i, i + 6);
    const runs = batch.map((seed) =>
      finished(kitaruAsync(dir, ['run', 'flow.ts', '--queue', '--args', String(seed), '--store', url])),
    );
    for (const [k, r] of (await Promise.all(runs)).entries()) {
      assert.equal(r.code, 0, r.stderr);
      ids.set(execIdOf(r), batch[k] as number);
    }
  }
  return ids;
}

async function statuses(db: pg.Client, ids: string[]): Promise<Map<string, string>> {
  const { rows } = await db.query<{ id: string; status: string }>(
    "select id, doc->>'status' as status from kitaru_executions where id = any($1)",
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.status]));
}

async function waitAll(db: pg.Client, ids: string[], status: string, ms = 60_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await delay(100)) {
    const s = await statuses(db, ids);
    if (ids.every((id) => s.get(id) === status)) return;
  }
  throw new Error(`not all ${status}: ${JSON.stringify([...(await statuses(db, ids))])}`);
}

function inspect(
  dir: string,
  url: string,
  id: string,
): { status: string; output: number; checkpoints: Call[] } {
  return json<{ execution: { status: string; output: number; checkpoints: Call[] } }>(
    kitaru(dir, ['inspect', id, '--json', '--store', url]),
  ).execution;
}

const kill = (child: ChildProcess, signal: NodeJS.Signals) => child.kill(signal);

// One cluster and one project for the file (made at the top level, so cleanup runs at its end).
const url = await startPostgres();
const db = new pg.Client({ connectionString: url });
await db.connect();
after(() => db.end());
const dir = makeProject();
write(dir, { 'flow.ts': FLOW });

// A failed test must not leave workers behind to take the next test's executions.
afterEach(async () => {
  const left = [...allWorkers];
  for (const child of left) child.kill('SIGKILL');
  await Promise.all(
    left.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode ? r(null) : c.on('exit', r)))),
  );
  await db.query('delete from kitaru_leases');
});

describe('queue mode: kitaru run --queue and kitaru worker on PostgreSQL', () => {
  it('queues an execution (status queued, id at once); a worker runs it; --wait exits like run', async () => {
    const queued = kitaru(dir, ['run', 'flow.ts', '--queue', '--args', '1', '--store', url, '--json']);
    assert.equal(queued.code, 0, queued.stderr);
    const ex = json<{ execution: { id: string; status: string } }>(queued).execution;
    assert.equal(ex.status, 'queued');
    const list = json<{ executions: { id: string; status: string }[] }>(
      kitaru(dir, ['list', '--status', 'queued', '--json', '--store', url]),
    );
    assert.ok(list.executions.some((e) => e.id === ex.id));
    const worker = startWorker(dir, url);
    const waited = kitaru(dir, ['run', 'flow.ts', '--queue', '--wait', '--args', '2', '--store', url]);
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /queued, waiting for a worker[\s\S]*status: completed\noutput: 212/);
    await waitAll(db, [ex.id], 'completed');
    assert.equal(inspect(dir, url, ex.id).output, 211);
    kill(worker.child, 'SIGTERM');
    const end = await worker.result;
    assert.equal(end.code, 143, worker.stderr);
    assert.match(worker.stderr, /worker stopped/);
  });

  it('queues a replay with --queue; a worker runs it with the same plan as the CLI', async () => {
    const worker = startWorker(dir, url);
    const first = kitaru(dir, ['run', 'flow.ts', '--args', '5', '--store', url]);
    assert.equal(first.code, 0, first.stderr);
    const id = execIdOf(first);
    const replay = kitaru(dir, [
      'replay',
      id,
      '--queue',
      '--wait',
      '--from',
      'step_15',
      '--override',
      'checkpoint.step_18=1000',
      '--store',
      url,
    ]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /replay of/);
    const ex = inspect(dir, url, execIdOf(replay));
    assert.equal(ex.output, 1000 + 19 + 20);
    const origins = ex.checkpoints.map((c) => c.origin);
    assert.deepEqual(origins.slice(0, 14), Array(14).fill('reused'));
    assert.equal(origins[17], 'overridden');
    assert.equal(origins[14], 'executed');
    kill(worker.child, 'SIGTERM');
    await worker.result;
  });

  it('refuses --queue and worker on a folder store, with a clear message', () => {
    const r = kitaru(dir, ['run', 'flow.ts', '--queue']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--queue needs a Postgres store/);
    const w = kitaru(dir, ['worker']);
    assert.equal(w.code, 2);
    assert.match(w.stderr, /kitaru worker needs a Postgres store/);
    const bad = kitaru(dir, ['worker', '--concurrency', '0', '--store', url]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--concurrency takes a whole number >= 1/);
  });

  it('3 workers, 30 executions of 20 checkpoints, one worker SIGKILLed: all complete, no call completed twice', async () => {
    const workers = [
      startWorker(dir, url, ['--concurrency', '2']),
      startWorker(dir, url),
      startWorker(dir, url),
    ];
    await Promise.all(workers.map((w) => w.waitFor(/concurrency/)));
    const seeds = Array.from({ length: 30 }, (_, i) => 100 + i);
    const ids = await submit(dir, url, seeds);
    const victim = workers[0] as ReturnType<typeof startWorker>;
    await victim.waitFor(/started/);
    // Kill it once it has an attempt in flight (noted before the attempt runs).
    const name = victim.stderr.match(/worker (\S+) · concurrency/)?.[1];
    for (let i = 0; i < 400; i++) {
      const { rows } = await db.query('select count(*)::int as n from kitaru_inflight where owner = $1', [
        name,
      ]);
      if (rows[0].n > 0) break;
      await delay(10);
    }
    await delay(20);
    kill(victim.child, 'SIGKILL');
    assert.equal((await victim.result).signal, 'SIGKILL');
    const taken = [...victim.stderr.matchAll(/execution (\S+) · flow twenty · started/g)].map((m) => m[1]);
    await waitAll(db, [...ids.keys()], 'completed');

    let lost = 0;
    for (const [id, seed] of ids) {
      const ex = inspect(dir, url, id);
      assert.equal(ex.output, seed + 210, `output of ${id}`);
      assert.equal(ex.checkpoints.length, 20);
      for (const call of ex.checkpoints) {
        assert.equal(call.status, 'completed');
        const completed = call.attempts.filter((a) => a.status === 'completed').length;
        assert.equal(completed, 1, `call ${call.id} of ${id} has ${completed} completed attempts`);
        for (const a of call.attempts.filter((x) => x.status === 'failed')) {
          assert.equal(a.error?.type, 'KitaruWorkerLostError');
          assert.match(a.error?.message ?? '', /lease expired/);
          lost++;
        }
      }
    }
    assert.ok(lost >= 1, 'the killed worker was inside an attempt: it is recorded as failed');
    // The victim's unfinished executions were resumed in place by the others.
    const resumed = taken.filter((id) =>
      /resumed in place/.test(kitaru(dir, ['logs', id as string, '--store', url]).stdout),
    );
    assert.ok(resumed.length >= 1, `some of ${taken.join(', ')} were resumed`);
    const { rows } = await db.query('select count(*)::int as n from kitaru_calls where exec_id = any($1)', [
      [...ids.keys()],
    ]);
    assert.equal(rows[0].n, 30 * 20, 'one record per call');
    for (const w of workers.slice(1)) kill(w.child, 'SIGTERM');
    for (const w of workers.slice(1)) assert.equal((await w.result).code, 143);
  });

  it('SIGTERM: a worker finishes within --grace; past it, hands the execution back to be resumed', async () => {
    const env = { STEP_MS: '100' };
    const patient = startWorker(dir, url, ['--grace', '30'], env);
    const [id1] = (await submit(dir, url, [7])).keys();
    await patient.waitFor(/started/);
    kill(patient.child, 'SIGTERM');
    assert.equal((await patient.result).code, 143, patient.stderr);
    assert.equal((await statuses(db, [id1 as string])).get(id1 as string), 'completed', patient.stderr);

    const hasty = startWorker(dir, url, ['--grace', '0.3'], env);
    const [id2] = (await submit(dir, url, [8])).keys();
    await hasty.waitFor(/started/);
    await delay(400);
    kill(hasty.child, 'SIGTERM');
    assert.equal((await hasty.result).code, 143, hasty.stderr);
    assert.match(hasty.stderr, /handed back/);
    assert.equal((await statuses(db, [id2 as string])).get(id2 as string), 'queued');
    const next = startWorker(dir, url, [], env);
    await waitAll(db, [id2 as string], 'completed');
    const ex = inspect(dir, url, id2 as string);
    assert.equal(ex.output, 8 + 210);
    const failed = ex.checkpoints.flatMap((c) => c.attempts).filter((a) => a.status === 'failed');
    assert.equal(failed.length, 1, 'the attempt in flight at hand-back');
    assert.match(failed[0]?.error?.message ?? '', /handed the execution back/);
    kill(next.child, 'SIGTERM');
    await next.result;
  });
});

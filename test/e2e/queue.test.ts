import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

// Each step waits for a file named \`go\` in the project: a call that blocks until the test says.
const GATED = `import { existsSync } from 'node:fs';
import { checkpoint, flow } from 'kitaru';
const step = checkpoint(async function step(i: number, acc: number) {
  while (!existsSync('go')) await new Promise((r) => setTimeout(r, 20));
  return acc + i;
});
export default flow(async function gated(seed: number) {
  let acc = seed;
  for (let i = 1; i <= 3; i++) acc = await step(i, acc);
  return acc;
});
`;

// Sleeps past --park-after 1: recorded waiting, with a job at its wake time.
const SLEEPY = `import { checkpoint, flow, sleep } from 'kitaru';
const step = checkpoint(async function step(i: number) {
  return i * 2;
});
export default flow(async function sleepy(n: number) {
  const a = await step(n);
  await sleep(1500);
  return a + (await step(1));
});
`;

/** A \`kitaru worker\` process, with its stderr kept to wait on. */
function startWorker(dir: string, url: string, args: string[] = [], env: Record<string, string> = {}) {
  const child = kitaruAsync(dir, ['worker', '--store', url, '--lease', '3', ...args], env);
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
): { status: string; output: number; resumes: number; checkpoints: Call[] } {
  return json<{ execution: { status: string; output: number; resumes: number; checkpoints: Call[] } }>(
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
write(dir, { 'flow.ts': FLOW, 'gated.ts': GATED, 'sleepy.ts': SLEEPY });

/** Queues one execution of a flow file; its id. */
async function submitFlow(file: string, arg: number): Promise<string> {
  const r = kitaru(dir, ['run', file, '--queue', '--args', String(arg), '--store', url]);
  assert.equal(r.code, 0, r.stderr);
  return execIdOf(r);
}

/** Waits until an attempt of the execution is noted in flight. */
async function inflight(execId: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await db.query('select 1 from kitaru_inflight where exec_id = $1', [execId]);
    if (rows.length > 0) return;
    await delay(10);
  }
  throw new Error(`no attempt of ${execId} in flight`);
}

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
    const done = inspect(dir, url, ex.id);
    assert.equal(done.output, 211);
    assert.equal(done.resumes, 0, 'a first start by a worker is not a resume');
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
    // The victim's steps never end by themselves: once it has an attempt in flight, it is surely
    // inside that attempt when killed (a kill between two attempts would record nothing lost).
    const workers = [
      startWorker(dir, url, ['--concurrency', '2'], { STEP_MS: '600000' }),
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
    let inFlight = 0;
    for (const end = Date.now() + 20_000; inFlight === 0 && Date.now() < end; await delay(10)) {
      const { rows } = await db.query('select count(*)::int as n from kitaru_inflight where owner = $1', [
        name,
      ]);
      inFlight = rows[0].n;
    }
    assert.ok(inFlight > 0, 'the victim started an attempt');
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

  it('SIGTERM: a worker finishes within --grace; past it, hands back at once, even mid-call', async () => {
    rmSync(join(dir, 'go'), { force: true });
    const patient = startWorker(dir, url, ['--grace', '30']);
    const id1 = await submitFlow('gated.ts', 7);
    await patient.waitFor(/started/);
    kill(patient.child, 'SIGTERM');
    await patient.waitFor(/SIGTERM: taking no more executions; finishing 1/);
    assert.equal(patient.child.exitCode, null, 'still finishing its execution');
    writeFileSync(join(dir, 'go'), '');
    assert.equal((await patient.result).code, 143, patient.stderr);
    assert.equal((await statuses(db, [id1])).get(id1), 'completed', patient.stderr);

    // Past the grace period the worker does not wait for a call that never returns.
    rmSync(join(dir, 'go'));
    const hasty = startWorker(dir, url, ['--grace', '0.3']);
    const id2 = await submitFlow('gated.ts', 8);
    await hasty.waitFor(/started/);
    await inflight(id2);
    kill(hasty.child, 'SIGTERM');
    assert.equal((await hasty.result).code, 143, hasty.stderr);
    assert.match(hasty.stderr, /handed back/);
    assert.equal((await statuses(db, [id2])).get(id2), 'queued');
    writeFileSync(join(dir, 'go'), '');
    startWorker(dir, url);
    await waitAll(db, [id2], 'completed');
    const ex = inspect(dir, url, id2);
    assert.equal(ex.output, 8 + 6);
    const attempts = ex.checkpoints[0]?.attempts ?? [];
    assert.deepEqual(
      attempts.map((a) => a.status),
      ['failed', 'completed'],
    );
    assert.match(attempts[0]?.error?.message ?? '', /handed the execution back/);
  });

  it("fails an execution whose flow file is not in the worker's checkout, and says why", async () => {
    const elsewhere = makeProject(); // a checkout without flow.ts
    const w = startWorker(elsewhere, url);
    const id = await submitFlow('flow.ts', 3);
    await waitAll(db, [id], 'failed');
    const ex = json<{ execution: { error: { message: string } } }>(
      kitaru(dir, ['inspect', id, '--json', '--store', url]),
    ).execution;
    assert.match(ex.error.message, /flow\.ts/);
    await w.waitFor(/failed to start/);
  });

  it('a job delivered twice runs the execution once; a worker paused past its lease lets go of it', async () => {
    rmSync(join(dir, 'go'), { force: true });
    const a = startWorker(dir, url);
    const id = await submitFlow('gated.ts', 1);
    await a.waitFor(/started/);
    await inflight(id);
    // The same job again, straight into graphile-worker's queue: the worker already runs it.
    await db.query(
      "select graphile_worker.add_job('kitaru_execution', json_build_object('execId', $1::text))",
      [id],
    );
    // Wait until the duplicate job has been handled (only the running one is left), not a while.
    for (let left = 2, end = Date.now() + 20_000; left > 1; await delay(25)) {
      assert.ok(Date.now() < end, 'the duplicate job was never handled');
      const { rows } = await db.query(
        "select count(*)::int as n from graphile_worker._private_jobs where payload->>'execId' = $1",
        [id],
      );
      left = rows[0].n;
    }
    assert.equal([...a.stderr.matchAll(/· started|· resumed/g)].length, 1, a.stderr);

    // Paused for longer than its 3 s lease: another worker resumes the execution in place; the
    // paused one, once running again, finds its lease gone and stops its run.
    a.child.kill('SIGSTOP');
    const b = startWorker(dir, url);
    await b.waitFor(/resumed/, 20_000);
    a.child.kill('SIGCONT');
    await a.waitFor(/lease lost to another worker/);
    writeFileSync(join(dir, 'go'), '');
    await waitAll(db, [id], 'completed');
    // The let-go run's call also returns now (its step polls for `go` every 20 ms) and must write
    // nothing. A refused write leaves no trace to wait for, so this absence check waits a while.
    await delay(300);
    const ex = inspect(dir, url, id);
    assert.equal(ex.output, 1 + 6);
    const first = ex.checkpoints[0]?.attempts ?? [];
    assert.deepEqual(
      first.map((x) => x.status),
      ['failed', 'completed'],
    );
    assert.match(first[0]?.error?.message ?? '', /stopped answering/);
    for (const call of ex.checkpoints) {
      assert.equal(call.attempts.filter((x) => x.status === 'completed').length, 1, call.id);
    }
  });
  it('a worker SIGKILLed after taking a job and before leasing its execution: another worker runs it within about a lease', async () => {
    // The test-only hook makes the worker kill itself right after graphile-worker hands it the job:
    // the job stays locked by a dead worker, and the execution has no lease for the reaper to see.
    const a = startWorker(dir, url, [], { KITARU_TEST_DIE_BEFORE_LEASE: '1' });
    const id = await submitFlow('flow.ts', 5);
    const died = await a.result;
    assert.equal(died.signal, 'SIGKILL', died.stderr);
    assert.equal((await statuses(db, [id])).get(id), 'queued');
    const b = startWorker(dir, url);
    await b.waitFor(/stopped answering; its jobs are released/, 20_000);
    await b.waitFor(/started/, 20_000);
    await waitAll(db, [id], 'completed', 20_000);
    assert.equal(inspect(dir, url, id).output, 5 + 210);
  });
  it("a worker SIGKILLed after taking a parked execution's wake-time job, before leasing it: another worker resumes it", async () => {
    const a = startWorker(dir, url, ['--park-after', '1']);
    const id = await submitFlow('sleepy.ts', 4);
    await waitAll(db, [id], 'waiting', 20_000);
    await a.waitFor(new RegExp(`${id} waiting`));
    kill(a.child, 'SIGTERM');
    await a.result;
    // This one takes the job at the wake time and dies holding it.
    const c = startWorker(dir, url, [], { KITARU_TEST_DIE_BEFORE_LEASE: '1' });
    assert.equal((await c.result).signal, 'SIGKILL');
    assert.equal((await statuses(db, [id])).get(id), 'waiting');
    const b = startWorker(dir, url);
    await b.waitFor(/stopped answering; its jobs are released/, 20_000);
    await waitAll(db, [id], 'completed', 20_000);
    assert.equal(inspect(dir, url, id).output, 8 + 2);
  });
});

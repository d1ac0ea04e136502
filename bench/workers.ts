// Executions per second with 1, 2 and 4 `kitaru worker` processes on one database (issue 7).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { KitaruClient } from '../src/client.js';
import { openQueue, queueDatabase, submitExecution } from '../src/queue/submit.js';
import { flowDefOf } from '../src/runtime/definitions.js';
import { createPostgresStore } from '../src/store/postgres/postgres-store.js';
import answered from './flows/answered.js';
import three from './flows/three.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'bin', 'kitaru.js');

/**
 * Queues `perRun` executions of the 3-step flow, starts `workers` worker processes (concurrency 4
 * each) and measures executions per second from the first attempt started to the last execution
 * ended, as recorded in the store (so worker start-up is not counted).
 */
async function once(url: string, workers: number, perRun: number): Promise<number> {
  const store = createPostgresStore(url);
  const db = await queueDatabase(store, 'the workers bench');
  const queue = await openQueue(db, () => {});
  const def = flowDefOf(three);
  if (!def) throw new Error('bench flow is not a flow');
  const ids: string[] = [];
  for (let i = 0; i < perRun; i++) ids.push(await submitExecution(store, db, queue, def, [i]));
  await queue.stop();
  const procs = Array.from({ length: workers }, () =>
    spawn(process.execPath, [bin, 'worker', '--store', url, '--concurrency', '4'], { stdio: 'ignore' }),
  );
  const watch = new pg.Client({ connectionString: url });
  await watch.connect();
  try {
    for (;;) {
      const { rows } = await watch.query<{ n: number }>(
        "select count(*)::int as n from kitaru_executions where id = any($1) and doc->>'status' = 'completed'",
        [ids],
      );
      if (rows[0]?.n === perRun) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const { rows } = await watch.query<{ first: string; last: string }>(
      `select min(c.doc->'attempts'->0->>'startedAt') as first,
              max(e.doc->>'endedAt') as last
       from kitaru_executions e join kitaru_calls c on c.exec_id = e.id where e.id = any($1)`,
      [ids],
    );
    const span = Date.parse(rows[0]?.last as string) - Date.parse(rows[0]?.first as string);
    return perRun / (span / 1000);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => p.on('close', r))));
    await watch.end();
    await store.close();
  }
}

/** Median executions per second for each number of workers, `reps` runs each. */
export async function measureWorkers(url: string, reps: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const perRun = 200;
  for (const workers of [1, 2, 4]) {
    const rates: number[] = [];
    for (let r = 0; r < reps; r++) rates.push(await once(url, workers, perRun));
    rates.sort((a, b) => a - b);
    out[`${workers} worker${workers > 1 ? 's' : ''}`] = rates[Math.floor(rates.length / 2)] as number;
  }
  return out;
}

/** Polls `read` every few ms until it gives a value. */
async function poll<T>(read: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 3))) {
    const value = await read();
    if (value !== undefined) return value;
  }
  throw new Error(`bench: ${what} never happened`);
}

/**
 * The time from an answer to a queue-mode execution running again on an idle worker: from the
 * call of `client.executions.input` (or the spawn of `kitaru input`) to the first attempt of the
 * call after the wait, as the worker records it. Medians over `reps` answers each.
 */
export async function measureInputLatency(
  url: string,
  reps: number,
): Promise<{ clientReturnMs: number[]; clientMs: number[]; cliMs: number[]; cliExitMs: number[] }> {
  const store = createPostgresStore(url);
  const db = await queueDatabase(store, 'the input latency bench');
  const queue = await openQueue(db, () => {});
  const def = flowDefOf(answered);
  if (!def) throw new Error('bench flow is not a flow');
  const client = new KitaruClient({ store });
  const worker = spawn(process.execPath, [bin, 'worker', '--store', url], { stdio: 'ignore' });
  const watch = new pg.Client({ connectionString: url });
  await watch.connect();
  const afterStarted = (id: string) =>
    poll(async () => {
      const { rows } = await watch.query<{ at: string | null }>(
        "select doc->'attempts'->0->>'startedAt' as at from kitaru_calls where exec_id = $1 and doc->>'id' = 'after'",
        [id],
      );
      return rows[0]?.at ? Date.parse(rows[0].at) : undefined;
    }, `the resume of ${id}`);
  /** An execution waiting at its answer, the worker idle again (its lease released). */
  const waiting = async () => {
    const id = await submitExecution(store, db, queue, def, [1]);
    await poll(async () => {
      const { rows } = await watch.query(
        "select 1 from kitaru_executions e where id = $1 and doc->>'status' = 'waiting' and not exists (select 1 from kitaru_leases l where l.exec_id = e.id)",
        [id],
      );
      return rows.length ? true : undefined;
    }, `${id} waiting`);
    await new Promise((r) => setTimeout(r, 100));
    return id;
  };
  const out = {
    clientReturnMs: [] as number[],
    clientMs: [] as number[],
    cliMs: [] as number[],
    cliExitMs: [] as number[],
  };
  try {
    // One answer first, not counted: the worker's first resume loads the flow file.
    const first = await waiting();
    await client.executions.input(first, 'go', 1);
    await afterStarted(first);
    for (let r = 0; r < reps; r++) {
      const id = await waiting();
      const t0 = Date.now();
      await client.executions.input(id, 'go', 1);
      out.clientReturnMs.push(Date.now() - t0);
      out.clientMs.push((await afterStarted(id)) - t0);

      const cliId = await waiting();
      const t1 = Date.now();
      const cli = spawn(process.execPath, [bin, 'input', cliId, 'go', '1', '--store', url], {
        stdio: 'ignore',
      });
      const exited = new Promise<number>((res) => cli.on('close', () => res(Date.now())));
      out.cliMs.push((await afterStarted(cliId)) - t1);
      out.cliExitMs.push((await exited) - t1);
    }
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.on('close', r));
    await queue.stop();
    await watch.end();
    await store.close();
  }
  return out;
}

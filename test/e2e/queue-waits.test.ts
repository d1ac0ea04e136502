import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { execIdOf, finished, json, kitaru, kitaruAsync, makeProject, write } from '../e2e-project.js';
import { delay } from '../helpers.js';
import { startPostgres } from '../pg-cluster.js';

// Waits and sleeps in queue mode: a worker leaves a suspended execution waiting (lease released,
// slot free), parks long sleeps, and takes the execution up again from a job (an answer, a wake
// time, a deadline).

const FILES = {
  'approve.ts': `import { checkpoint, flow, wait } from 'kitaru';
const before = checkpoint(async function before(n: number) { return n + 1; });
export default flow(async function approve(n: number) {
  const a = await before(n);
  const answer = await wait<{ ok: boolean }>({ name: 'approval', question: 'ok?' });
  return answer.ok ? a * 10 : -1;
});
`,
  'quick.ts': `import { checkpoint, flow } from 'kitaru';
const twice = checkpoint(async function twice(n: number) { return n * 2; });
export default flow(async function quick(n: number) { return twice(n); });
`,
  'nap.ts': `import { flow, sleep } from 'kitaru';
export default flow(async function nap(n: number) {
  await sleep(2000);
  return n;
});
`,
  'deadline.ts': `import { flow, wait } from 'kitaru';
export default flow(async function deadline(n: number) {
  const answer = await wait<number>({ name: 'pick', timeout: '1s', default: 7 });
  return answer + n;
});
`,
};

interface Doc {
  status: string;
  output: unknown;
  queue?: boolean;
  endedAt: string | null;
  waits?: { id: string; kind: string; wakeAt: string | null; deadline: string | null }[];
}

const url = await startPostgres();
const db = new pg.Client({ connectionString: url });
await db.connect();
const dir = makeProject();
write(dir, FILES);

// One worker for the file, with one slot and sleeps over a second parked.
const worker: ChildProcess = kitaruAsync(dir, [
  'worker',
  '--store',
  url,
  '--lease',
  '3',
  '--concurrency',
  '1',
  '--park-after',
  '1',
]);
const workerEnd = finished(worker);
let workerErr = '';
worker.stderr?.on('data', (d) => (workerErr += d));

async function doc(id: string): Promise<Doc> {
  const { rows } = await db.query<{ doc: Doc }>('select doc from kitaru_executions where id = $1', [id]);
  return rows[0]?.doc as Doc;
}

/** Polls the store until the execution has `status`; its record then. */
async function until(id: string, status: string, ms = 20_000): Promise<Doc> {
  for (const end = Date.now() + ms; Date.now() < end; await delay(20)) {
    const d = await doc(id);
    if (d?.status === status) return d;
  }
  throw new Error(`execution ${id} never ${status}: ${JSON.stringify(await doc(id))}\n${workerErr}`);
}

async function leased(id: string): Promise<boolean> {
  const { rows } = await db.query('select 1 from kitaru_leases where exec_id = $1', [id]);
  return rows.length > 0;
}

function submit(file: string, arg: number): string {
  const r = kitaru(dir, ['run', file, '--queue', '--args', String(arg), '--store', url]);
  assert.equal(r.code, 0, r.stderr);
  return execIdOf(r);
}

describe('queue mode: waits and sleeps on PostgreSQL', () => {
  // Before the cluster stops (the file's own `after`).
  after(async () => {
    worker.kill('SIGKILL');
    await workerEnd;
    await db.end();
  });

  it('leaves a waiting execution (slot free, lease released); kitaru input queues its resume for a worker', async () => {
    const id = submit('approve.ts', 4);
    const waiting = await until(id, 'waiting');
    assert.equal(waiting.queue, true);
    assert.deepEqual(
      waiting.waits?.map((w) => w.id),
      ['approval'],
    );
    // The lease goes with the slot: another execution runs on the one slot meanwhile.
    for (const end = Date.now() + 5000; (await leased(id)) && Date.now() < end; ) await delay(20);
    assert.equal(await leased(id), false, 'the waiting execution still holds its lease');
    const other = submit('quick.ts', 21);
    assert.equal((await until(other, 'completed')).output, 42);

    const input = kitaru(dir, ['input', id, 'approval', '{"ok": true}', '--store', url]);
    assert.equal(input.code, 0, input.stderr);
    assert.match(input.stdout, /resume queued for the workers/);
    const done = await until(id, 'completed');
    assert.equal(done.output, 50);
    // The worker says so once its log line is written, which may come after the end is recorded.
    const said = new RegExp(`execution ${id} · flow approve · resumed`);
    for (const end = Date.now() + 5000; !said.test(workerErr) && Date.now() < end; ) await delay(20);
    assert.match(workerErr, said);
    const ex = json<{
      execution: { queue: boolean; resumes: number; checkpoints: { id: string; attempts: unknown[] }[] };
    }>(kitaru(dir, ['inspect', id, '--json', '--store', url])).execution;
    assert.equal(ex.queue, true);
    assert.ok(ex.resumes >= 1);
    // `before` ran once: the resume reused it.
    assert.equal(ex.checkpoints.find((c) => c.id === 'before')?.attempts.length, 1);
  });

  it('parks a sleep longer than --park-after as waiting (wakeAt); a job at the wake time completes it', async () => {
    const id = submit('nap.ts', 3);
    const waiting = await until(id, 'waiting');
    const sleep = waiting.waits?.find((w) => w.kind === 'sleep');
    assert.ok(sleep?.wakeAt, JSON.stringify(waiting));
    const wakeAt = Date.parse(sleep.wakeAt);
    // The job is added just after the status is recorded: wait for it, not a while.
    let rows: { run_at: Date }[] = [];
    const atWake = () => rows.some((r) => Math.abs(r.run_at.getTime() - wakeAt) < 5);
    for (const end = Date.now() + 5000; !atWake() && Date.now() < end; await delay(20)) {
      rows = (
        await db.query<{ run_at: Date }>(
          "select run_at from graphile_worker._private_jobs where payload->>'execId' = $1",
          [id],
        )
      ).rows;
    }
    assert.ok(atWake(), `no job at the wake time: ${JSON.stringify(rows)}`);
    // The slot is free while it sleeps.
    const other = submit('quick.ts', 5);
    assert.equal((await until(other, 'completed')).output, 10);
    const done = await until(id, 'completed');
    assert.equal(done.output, 3);
    const ended = Date.parse(done.endedAt ?? '');
    assert.ok(ended >= wakeAt, 'completed before its wake time');
    assert.ok(ended < wakeAt + 3000, `completed ${ended - wakeAt} ms after its wake time`);
  });

  it('takes a wait up at its deadline (a job then): the default applies without anyone resuming', async () => {
    const id = submit('deadline.ts', 1);
    const waiting = await until(id, 'waiting');
    const deadline = Date.parse(waiting.waits?.[0]?.deadline ?? '');
    assert.ok(Number.isFinite(deadline), JSON.stringify(waiting));
    const done = await until(id, 'completed');
    assert.equal(done.output, 8);
    assert.ok(Date.parse(done.endedAt ?? '') >= deadline);
  });
});

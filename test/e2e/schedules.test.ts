import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runMigrations } from 'graphile-worker';
import pg from 'pg';
import { finished, json, kitaru, kitaruAsync, makeProject, write } from '../e2e-project.js';
import { delay } from '../helpers.js';
import { startPostgres } from '../pg-cluster.js';

// Each run of the flow body leaves a line naming its execution: a tick that ran twice shows twice.
const TICK = `import { appendFileSync } from 'node:fs';
import { checkpoint, currentExecutionId, flow } from 'kitaru';
const mark = checkpoint(async function mark(who: string) {
  appendFileSync('ran.log', currentExecutionId() + ' ' + who + '\\n');
  return who;
});
export default flow(async function tick(who: string) {
  return mark(who);
});
`;

const CRONTAB = `# every minute; ticks missed in the last 10 minutes run when a worker starts
* * * * * tick.ts --name tick --args '"cron"' --backfill 10m

* * * * * broken.ts --backfill 10m
`;

const MINUTE = 60_000;

interface Execution {
  id: string;
  status: string;
  output: unknown;
  error: { type: string; message: string } | null;
}

/** A `kitaru worker` process, with its stderr kept to wait on. */
function startWorker(dir: string, url: string) {
  const child = kitaruAsync(dir, ['worker', '--store', url]);
  let err = '';
  child.stderr?.on('data', (d) => (err += d));
  const result = finished(child);
  return {
    child,
    result,
    get stderr() {
      return err;
    },
    async waitFor(pattern: RegExp, ms = 30_000) {
      for (const end = Date.now() + ms; Date.now() < end; await delay(50)) if (pattern.test(err)) return;
      throw new Error(`worker never printed ${pattern}:\n${err}`);
    },
  };
}

const workers: ReturnType<typeof startWorker>[] = [];
let client: pg.Client | undefined;
// Registered before the cluster's own cleanup, so that it runs first: nothing talks to a stopped server.
after(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.result));
  await client?.end();
});

const url = await startPostgres();
const db = new pg.Client({ connectionString: url });
client = db;
await db.connect();
const dir = makeProject();
// A file named `crontab` is graphile-worker's default: kitaru's workers must not read it.
write(dir, {
  'tick.ts': TICK,
  'broken.ts': 'export default (;\n',
  'kitaru.crontab': CRONTAB,
  crontab: 'not a crontab at all\n',
});

// The schedules have been known for five minutes and no worker ran since: as after an outage.
await runMigrations({ connectionString: url });
const knownSince = Date.now() - 5 * MINUTE;
await db.query(
  `insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution)
   select unnest($1::text[]), $2::timestamptz, null`,
  [['kitaru:tick', 'kitaru:broken'], new Date(knownSince).toISOString()],
);
const startedAt = Date.now();
workers.push(startWorker(dir, url), startWorker(dir, url));

/** The ticks (ISO times) of a `* * * * *` schedule from `from` (inclusive) to `to` (exclusive). */
function minutesBetween(from: number, to: number): string[] {
  const ticks: string[] = [];
  for (let t = Math.ceil(from / MINUTE) * MINUTE; t < to; t += MINUTE) ticks.push(new Date(t).toISOString());
  return ticks;
}

async function execution(id: string): Promise<Execution | undefined> {
  const { rows } = await db.query<{ doc: Execution }>('select doc from kitaru_executions where id = $1', [
    id,
  ]);
  return rows[0]?.doc;
}

async function ended(id: string, ms = 60_000): Promise<Execution> {
  for (const end = Date.now() + ms; Date.now() < end; await delay(100)) {
    const ex = await execution(id);
    if (ex && ['completed', 'failed'].includes(ex.status)) return ex;
  }
  throw new Error(`${id} did not end: ${JSON.stringify(await execution(id))}\n${workers[0]?.stderr}`);
}

/** How many times the flow body ran for each execution. */
function runs(): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(join(dir, 'ran.log'))) return counts;
  for (const line of readFileSync(join(dir, 'ran.log'), 'utf8').trim().split('\n')) {
    const id = line.split(' ')[0] as string;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe('schedules: kitaru.crontab kept by the workers', () => {
  it('starts the workers with the schedules, ignoring a file named crontab', async () => {
    for (const w of workers) await w.waitFor(/worker \S+ · concurrency 4 · lease 30s · 2 schedules/);
    for (const w of workers) assert.doesNotMatch(w.stderr, /crontab'/);
  });

  it('starts a worker in a project without kitaru.crontab that has a file named crontab', async () => {
    const other = makeProject();
    write(other, { crontab: 'not a crontab at all\n' });
    const w = startWorker(other, url);
    workers.push(w);
    await w.waitFor(/worker \S+ · concurrency 4 · lease 30s · postgres/);
    w.child.kill('SIGTERM');
    const r = await w.result;
    assert.equal(r.code, 143, w.stderr);
    assert.doesNotMatch(w.stderr, /crontab|queue:/);
  });

  it('runs each missed tick once, as <name>@<tick>, with two workers racing to start it', async () => {
    const ticks = minutesBetween(knownSince, startedAt);
    assert.ok(ticks.length >= 4, `ticks: ${ticks}`);
    for (const tick of ticks) {
      const ex = await ended(`tick@${tick}`);
      assert.equal(ex.status, 'completed', JSON.stringify(ex.error));
      assert.equal(ex.output, 'cron');
    }
    const { rows } = await db.query<{ id: string }>(
      "select id from kitaru_executions where id like 'tick@%'",
    );
    const counts = runs();
    for (const { id } of rows) {
      if ((await ended(id)).status === 'completed')
        assert.equal(counts.get(id), 1, `${id} ran ${counts.get(id)}`);
    }
    for (const [id, n] of counts) assert.equal(n, 1, `${id} ran ${n} times`);
  });

  it('records a tick whose flow file does not load as a failed execution, without retrying it', async () => {
    const [tick] = minutesBetween(knownSince, startedAt);
    const ex = await ended(`broken@${tick}`);
    assert.equal(ex.status, 'failed');
    assert.match(ex.error?.message ?? '', /broken\.ts/);
    const inspect = kitaru(dir, ['inspect', `broken@${tick}`, '--json', '--store', url]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(json<{ execution: Execution }>(inspect).execution.status, 'failed');
  });

  it('starts a tick delivered twice once: the second finds its execution', async () => {
    const tick = '2001-02-03T04:05:00.000Z';
    const schedule = {
      name: 'tick',
      cron: '* * * * *',
      file: 'tick.ts',
      flow: null,
      args: ['twice'],
      backfillMs: 0,
      line: 2,
    };
    const payload = JSON.stringify({ schedule, _cron: { ts: tick, backfilled: false } });
    for (let i = 0; i < 2; i++)
      await db.query("select graphile_worker.add_job('kitaru_schedule', $1::json)", [payload]);
    await ended(`tick@${tick}`);
    await Promise.race(
      workers.map((w) => w.waitFor(new RegExp(`tick@${tick.replace(/\./g, '\\.')} exists already`))),
    );
    assert.equal(runs().get(`tick@${tick}`), 1);
  });

  it('runs the next tick on time, once, across a minute boundary', async () => {
    // The first minute after both workers started: a tick of the running cron, not a backfill.
    const [tick] = minutesBetween(Date.now() + 1, Date.now() + 2 * MINUTE);
    const ex = await ended(`tick@${tick}`, 2 * MINUTE);
    assert.equal(ex.status, 'completed');
    const created = Date.parse((ex as Execution & { createdAt: string }).createdAt);
    assert.ok(
      created >= Date.parse(tick as string),
      `created ${new Date(created).toISOString()} before ${tick}`,
    );
    assert.equal(runs().get(`tick@${tick}`), 1);
  });
});

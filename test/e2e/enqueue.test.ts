import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import pg from 'pg';
import { execIdOf, finished, json, kitaru, kitaruAsync, makeProject, write } from '../e2e-project.js';
import { delay } from '../helpers.js';
import { startPostgres } from '../pg-cluster.js';

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

const WAIT_FLOW = `import { flow, wait } from 'kitaru';
export default flow(async function asks() {
  return wait({ name: 'ok' });
});
`;

// Run with the store's URL as KITARU_STORE; prints one JSON line of what it saw.
const CLIENT = `import { KitaruClient } from 'kitaru';
import shout from './flow.ts';
import wait from './wait.ts';
const client = new KitaruClient();
const out = {};
out.first = await shout.with({ id: 'app-1' }).enqueue('q');
out.second = await client.executions.enqueue('flow.ts', { args: ['q'], id: 'app-1' });
out.otherArgs = await client.executions.enqueue('flow.ts', { args: ['other'], id: 'app-1' }).catch((e) => e.name);
out.otherFlow = await wait.with({ id: 'app-1' }).enqueue().catch((e) => e.name);
out.refused = await shout.with({ id: 'app-1', onConflict: 'fail' }).enqueue('z').catch((e) => e.name);
out.queuedStatus = (await client.executions.get('app-1')).status;
out.timeout = await client.executions.wait('app-1', { timeoutMs: 100 }).catch((e) => e.name);
console.log(JSON.stringify(out));
`;

const WAITER = `import { KitaruClient } from 'kitaru';
const ex = await new KitaruClient().executions.wait(process.argv[2], { timeoutMs: 60000 });
console.log(JSON.stringify({ id: ex.id, status: ex.status, output: ex.output }));
`;

const url = await startPostgres();
const db = new pg.Client({ connectionString: url });
await db.connect();
after(() => db.end());
const dir = makeProject();
write(dir, { 'flow.ts': FLOW, 'wait.ts': WAIT_FLOW, 'client.ts': CLIENT, 'waiter.ts': WAITER });
const tsx = import.meta.resolve('tsx');

const runs = () =>
  existsSync(join(dir, 'ran.txt'))
    ? readFileSync(join(dir, 'ran.txt'), 'utf8').split('\n').filter(Boolean)
    : [];

const workers = new Set<ChildProcess>();
function startWorker(): ChildProcess {
  const child = kitaruAsync(dir, ['worker', '--store', url, '--lease', '3']);
  workers.add(child);
  return child;
}

afterEach(async () => {
  for (const child of workers) {
    const exited = new Promise((r) =>
      child.exitCode !== null || child.signalCode ? r(null) : child.on('exit', r),
    );
    child.kill('SIGKILL');
    await exited;
  }
  workers.clear();
  rmSync(join(dir, 'ran.txt'), { force: true });
});

async function statusOf(id: string): Promise<string | undefined> {
  const { rows } = await db.query<{ status: string }>(
    "select doc->>'status' as status from kitaru_executions where id = $1",
    [id],
  );
  return rows[0]?.status;
}

describe('caller-chosen ids and enqueue on PostgreSQL', () => {
  it('16 processes running one id at once run the body exactly once, and all report it', async () => {
    const children = Array.from({ length: 16 }, () =>
      finished(
        kitaruAsync(dir, ['run', 'flow.ts', '--args', '"a"', '--id', 'pg-same', '--store', url, '--json'], {
          STEP_MS: '200',
        }),
      ),
    );
    for (const r of await Promise.all(children)) {
      assert.equal(r.code, 0, r.stderr);
      const { execution } = json<{ execution: { id: string; output: unknown } }>(r);
      assert.deepEqual([execution.id, execution.output], ['pg-same', 'A']);
    }
    assert.deepEqual(runs(), ['a']);
  });

  it('16 processes queuing one id at once queue it once; a worker runs it once; --wait attaches', async () => {
    const children = Array.from({ length: 16 }, () =>
      finished(
        kitaruAsync(dir, ['run', 'flow.ts', '--queue', '--args', '"q"', '--id', 'pg-q', '--store', url]),
      ),
    );
    for (const r of await Promise.all(children)) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(execIdOf(r), 'pg-q');
    }
    const { rows } = await db.query(
      "select 1 from graphile_worker._private_jobs where payload->>'execId' = 'pg-q'",
    );
    assert.equal(rows.length, 1, 'one job');
    startWorker();
    // Another flow or other arguments under that id: refused, nothing queued.
    for (const args of [['flow.ts', '--args', '"other"'], ['wait.ts']]) {
      const r = kitaru(dir, ['run', ...args, '--queue', '--id', 'pg-q', '--store', url]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /execution pg-q exists with another start \((arguments|flow) /);
    }
    const waited = kitaru(dir, [
      'run',
      'flow.ts',
      '--args',
      '"q"',
      '--queue',
      '--wait',
      '--id',
      'pg-q',
      '--store',
      url,
    ]);
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /execution pg-q · flow shout · exists \((queued|running|completed)\)/);
    assert.match(waited.stdout, /status: completed/);
    assert.equal(runs().length, 1, `the body ran once: ${runs()}`);
    // Ended: reported as it stands, not "waiting for a worker".
    const ended = kitaru(dir, [
      'run',
      'flow.ts',
      '--args',
      '"q"',
      '--queue',
      '--wait',
      '--id',
      'pg-q',
      '--store',
      url,
    ]);
    assert.equal(ended.code, 0, ended.stderr);
    assert.match(ended.stdout, /execution pg-q · flow shout · exists \(completed\)\n/);
    const refused = kitaru(dir, [
      'run',
      'flow.ts',
      '--queue',
      '--id',
      'pg-q',
      '--on-conflict',
      'fail',
      '--store',
      url,
    ]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /execution pg-q exists already/);
  });

  it('from code: enqueue with an id (again: the same id, nothing queued), wait with a timeout, then for the end', async () => {
    const env = { ...process.env, KITARU_STORE: url };
    const r = spawnSync(process.execPath, ['--import', tsx, 'client.ts'], {
      cwd: dir,
      env,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
    assert.deepEqual(out, {
      first: 'app-1',
      second: 'app-1',
      otherArgs: 'KitaruStateError',
      otherFlow: 'KitaruStateError',
      refused: 'KitaruStateError',
      queuedStatus: 'queued',
      timeout: 'KitaruTimeoutError',
    });
    // A second process waits for the result while a worker runs it.
    const waiter = finished(kitaruAsyncNode(['--import', tsx, 'waiter.ts', 'app-1'], { KITARU_STORE: url }));
    while ((await statusOf('app-1')) !== 'queued') await delay(20);
    startWorker();
    const w = await waiter;
    assert.equal(w.code, 0, w.stderr);
    assert.deepEqual(JSON.parse(w.stdout.trim()), { id: 'app-1', status: 'completed', output: 'Q' });
    assert.deepEqual(runs(), ['q']);
  });
});

function kitaruAsyncNode(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, args, {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

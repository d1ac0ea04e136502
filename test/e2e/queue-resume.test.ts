import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { after, afterEach, describe, it } from 'node:test';
import pg from 'pg';
import { finished, json, kitaru, kitaruAsync, makeProject, write } from '../e2e-project.js';
import { delay } from '../helpers.js';
import { startPostgres } from '../pg-cluster.js';

// A queue-mode execution answered (or resumed) is `queued` until a worker takes it up: whoever
// waits for it after the answer waits for the resumed run, and `--queue --wait` stops at a wait
// for an answer but not at a sleep the workers take up by themselves.

const FILES = {
  'approval.ts': `import { checkpoint, flow, wait } from 'kitaru';
const slow = checkpoint(async function slow(r: string) {
  await new Promise((res) => setTimeout(res, 300));
  return r.toUpperCase();
});
export default flow(async function approval(r: string) {
  const answer = await wait<{ approved: boolean }>({ name: 'approval', question: 'ok?' });
  return answer.approved ? slow(r) : 'no';
});
`,
  // Runs until the file go exists, then waits for a second answer.
  'gated.ts': `import { existsSync } from 'node:fs';
import { checkpoint, flow, wait } from 'kitaru';
const gate = checkpoint(async function gate() {
  while (!existsSync('go')) await new Promise((res) => setTimeout(res, 20));
  return 1;
});
export default flow(async function gated() {
  const first = await wait<number>({ name: 'first' });
  await gate();
  const second = await wait<number>({ name: 'second' });
  return first + second;
});
`,
  'nap.ts': `import { flow, sleep } from 'kitaru';
export default flow(async function nap(n: number) {
  await sleep(2000);
  return n;
});
`,
  // Four rounds of enqueue, wait (waiting), input, wait: prints the statuses each wait returned.
  'client.ts': `import { KitaruClient } from 'kitaru';
const client = new KitaruClient();
const seen = [];
for (let i = 0; i < 4; i++) {
  const id = await client.executions.enqueue('approval.ts', { args: ['r' + i] });
  const first = await client.executions.wait(id, { timeoutMs: 30000 });
  await client.executions.input(id, 'approval', { approved: true });
  const second = await client.executions.wait(id, { timeoutMs: 30000 });
  seen.push([first.status, second.status, second.output]);
}
console.log(JSON.stringify(seen));
`,
};

const url = await startPostgres();
const db = new pg.Client({ connectionString: url });
await db.connect();
after(() => db.end());
const dir = makeProject();
write(dir, FILES);
const tsx = import.meta.resolve('tsx');

const workers = new Set<ChildProcess>();
function startWorker(): ChildProcess {
  const child = kitaruAsync(dir, ['worker', '--store', url, '--lease', '3', '--park-after', '1']);
  workers.add(child);
  return child;
}
async function stopWorkers(): Promise<void> {
  for (const child of workers) {
    const exited = finished(child);
    child.kill('SIGKILL');
    await exited;
  }
  workers.clear();
}
afterEach(stopWorkers);

async function statusOf(id: string): Promise<string | undefined> {
  const { rows } = await db.query<{ status: string }>(
    "select doc->>'status' as status from kitaru_executions where id = $1",
    [id],
  );
  return rows[0]?.status;
}

async function until(id: string, status: string): Promise<void> {
  for (const end = Date.now() + 30_000; Date.now() < end; await delay(20)) {
    if ((await statusOf(id)) === status) return;
  }
  throw new Error(`execution ${id} never ${status} (it is ${await statusOf(id)})`);
}

/** Runs the CLI, killed (and failing the test) if it has not exited within 30 s. */
async function kitaruWithin(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = kitaruAsync(dir, args);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const r = await finished(child);
  clearTimeout(timer);
  assert.equal(r.signal, null, `kitaru ${args.join(' ')} did not exit:\n${r.stdout}\n${r.stderr}`);
  return r;
}

async function leased(id: string): Promise<boolean> {
  const { rows } = await db.query('select 1 from kitaru_leases where exec_id = $1', [id]);
  return rows.length > 0;
}

/**
 * Queues approval.ts as `id`, lets a worker run it to its wait and let go of it, stops the workers,
 * then answers it: the execution is left queued to resume, with no worker to take it up.
 */
async function answeredWithNoWorker(id: string, arg: string): Promise<void> {
  startWorker();
  const started = kitaru(dir, [
    'run',
    'approval.ts',
    '--queue',
    '--id',
    id,
    '--args',
    JSON.stringify(arg),
    '--store',
    url,
  ]);
  assert.equal(started.code, 0, started.stderr);
  await until(id, 'waiting');
  for (const end = Date.now() + 5000; (await leased(id)) && Date.now() < end; ) await delay(20);
  await stopWorkers();
  const input = kitaru(dir, ['input', id, 'approval', '{"approved": true}', '--store', url]);
  assert.equal(input.code, 0, input.stderr);
  assert.equal(await statusOf(id), 'queued');
}

describe('queue mode: answered and resumed executions', () => {
  it('client: wait() after input() waits for the resumed run to its end', () => {
    startWorker();
    const r = spawnSync(process.execPath, ['--import', tsx, 'client.ts'], {
      cwd: dir,
      env: { ...process.env, KITARU_STORE: url },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const seen = JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
    assert.deepEqual(seen, [
      ['waiting', 'completed', 'R0'],
      ['waiting', 'completed', 'R1'],
      ['waiting', 'completed', 'R2'],
      ['waiting', 'completed', 'R3'],
    ]);
  });

  it('an answered execution is queued until a worker takes it: list, inspect and cancel see it so', async () => {
    await answeredWithNoWorker('q-ans', 'a');
    const listed = json<{ executions: { id: string }[] }>(
      kitaru(dir, ['list', '--status', 'queued', '--json', '--store', url]),
    );
    assert.deepEqual(
      listed.executions.map((e) => e.id),
      ['q-ans'],
    );
    const shown = kitaru(dir, ['inspect', 'q-ans', '--store', url]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /queued/);
    assert.match(shown.stdout, /the workers resume it/);
    assert.doesNotMatch(shown.stdout, /answer it: kitaru input/);

    // A worker takes the queued execution, whose calls are recorded already, as a resume.
    const worker = startWorker();
    let said = '';
    worker.stderr?.on('data', (d) => (said += d));
    await until('q-ans', 'completed');
    assert.match(said, /execution q-ans · flow approval · resumed/);
  });

  it('an answer kept while the worker runs the execution toward that wait is applied once it suspends there', async () => {
    startWorker();
    const queued = await kitaruWithin(['run', 'gated.ts', '--queue', '--id', 'gated-1', '--store', url]);
    assert.equal(queued.code, 0, queued.stderr);
    await until('gated-1', 'waiting');
    assert.equal((await kitaruWithin(['input', 'gated-1', 'first', '1', '--store', url])).code, 0);
    await until('gated-1', 'running');
    // An answer for the wait ahead, kept while the worker runs (as an input that checked the
    // status just before the worker took the execution up would keep it): nobody queues a resume.
    const { resolveStore } = await import('../../src/store/drivers.js');
    const store = resolveStore({ url });
    await store.addInput('gated-1', { waitId: 'second', value: 2, at: new Date().toISOString() });
    await store.close?.();
    write(dir, { go: '' });
    await until('gated-1', 'completed');
    const ex = json<{ execution: { output: number } }>(
      await kitaruWithin(['inspect', 'gated-1', '--json', '--store', url]),
    ).execution;
    assert.equal(ex.output, 3);
  });

  it('cancel ends an answered execution queued for the workers', async () => {
    await answeredWithNoWorker('q-cancel', 'c');
    const cancelled = kitaru(dir, ['cancel', 'q-cancel', '--store', url]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(await statusOf('q-cancel'), 'cancelled');
    startWorker();
    // The resume's job finds it cancelled: it never runs again.
    const again = kitaru(dir, [
      'run',
      'approval.ts',
      '--queue',
      '--id',
      'q-after',
      '--args',
      '"d"',
      '--store',
      url,
    ]);
    assert.equal(again.code, 0, again.stderr);
    await until('q-after', 'waiting');
    assert.equal(await statusOf('q-cancel'), 'cancelled');
  });

  it('run --queue --wait exits 3 at a wait, printing the input command', async () => {
    startWorker();
    const r = await kitaruWithin([
      'run',
      'approval.ts',
      '--queue',
      '--id',
      'e5',
      '--args',
      '"e"',
      '--wait',
      '--store',
      url,
    ]);
    assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout + r.stderr, /kitaru input e5 approval/);
  });

  it('run --queue --wait waits through a parked sleep to the end', async () => {
    startWorker();
    const r = await kitaruWithin([
      'run',
      'nap.ts',
      '--queue',
      '--args',
      '5',
      '--wait',
      '--json',
      '--store',
      url,
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const out = json<{ execution: { status: string; output: unknown } }>(r);
    assert.equal(out.execution.status, 'completed');
    assert.equal(out.execution.output, 5);
  });

  it('inspect lists a parked sleep once, sleeping, and says the workers resume it', async () => {
    startWorker();
    const started = kitaru(dir, ['run', 'nap.ts', '--queue', '--id', 'q-nap', '--args', '1', '--store', url]);
    assert.equal(started.code, 0, started.stderr);
    await until('q-nap', 'waiting');
    const shown = kitaru(dir, ['inspect', 'q-nap', '--store', url]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout.match(/^sleep sleep:/gm)?.length, 1, shown.stdout);
    assert.match(shown.stdout, /sleep sleep: sleeping until \S+; the workers resume it then/);
    assert.doesNotMatch(shown.stdout, /kitaru resume/);
    await until('q-nap', 'completed');
  });

  it('replay --queue --wait exits 3 at a wait', async () => {
    startWorker();
    const source = kitaru(dir, [
      'run',
      'approval.ts',
      '--queue',
      '--id',
      'q-src',
      '--args',
      '"s"',
      '--store',
      url,
    ]);
    assert.equal(source.code, 0, source.stderr);
    await until('q-src', 'waiting');
    const r = await kitaruWithin(['replay', 'q-src', '--queue', '--id', 'q-rep', '--wait', '--store', url]);
    assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout + r.stderr, /kitaru input q-rep approval/);
  });
});

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execIdOf, finished, json, kitaru, kitaruAsync, makeProject, write } from '../e2e-project.js';
import { hangingServer } from '../hanging-server.js';
import { delay } from '../helpers.js';
import { startPostgres } from '../pg-cluster.js';

// A checkpoint whose fetch never gets an answer: only its abortSignal() stops it.
const FLOWS = `import { writeFileSync } from 'node:fs';
import { abortSignal, checkpoint, flow, wait } from 'kitaru';
const get = checkpoint(async function get(url: string) {
  return (await fetch(url, { signal: abortSignal() })).status;
});
export const hung = flow(async function hung(url: string) {
  return get(url);
});
const limited = checkpoint({ timeout: '200ms', retries: 2 }, async function limited(url: string) {
  return (await fetch(url, { signal: abortSignal() })).status;
});
export const timed = flow(async function timed(url: string) {
  return limited(url);
});
const mark = checkpoint(function mark(name: string) {
  writeFileSync(name, 'ran');
  return name;
});
export const marks = flow(async function marks(name: string) {
  return mark(name);
});
export const asks = flow(async function asks() {
  return wait({ name: 'go', question: 'go?' });
});
`;

interface Ex {
  id: string;
  status: string;
  error: { type: string; message: string } | null;
  checkpoints: {
    id: string;
    attempts: { status: string; error: { type: string; message: string } | null }[];
  }[];
}

const execution = (r: { stdout: string; stderr: string; code: number | null }) =>
  json<{ execution: Ex }>(r).execution;

async function until<T>(get: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await delay(25)) {
    const v = get();
    if (v !== undefined) return v;
  }
  throw new Error(`never: ${what}`);
}

/** The one execution of the project's folder store (found by listing it). */
function onlyExecution(dir: string): string | undefined {
  const folder = join(dir, '.kitaru', 'executions');
  const ids = existsSync(folder) ? readdirSync(folder) : [];
  return ids.length === 1 ? ids[0] : undefined;
}

describe('kitaru cancel on a folder store', () => {
  it('stops a running `kitaru run` whose checkpoint awaits a fetch that never answers', async () => {
    const server = await hangingServer();
    const dir = makeProject();
    write(dir, { 'flows.ts': FLOWS });
    const run = kitaruAsync(dir, [
      'run',
      'flows.ts',
      '--flow',
      'hung',
      '--args',
      JSON.stringify(server.url),
      '--json',
    ]);
    const ran = finished(run);
    await server.receivedAtLeast(1);
    const id = await until(() => onlyExecution(dir), 'the execution is recorded');
    const cancel = await finished(kitaruAsync(dir, ['cancel', id.slice(0, 12), '--json']));
    assert.equal(cancel.code, 0, cancel.stderr);
    const ex = execution(cancel);
    assert.equal(ex.id, id);
    assert.equal(ex.status, 'cancelled');
    assert.deepEqual(
      ex.checkpoints[0]?.attempts.map((a) => [a.status, a.error?.type]),
      [['failed', 'KitaruCancelledError']],
    );
    const r = await ran;
    assert.equal(r.code, 130, r.stderr);
    assert.equal(execution(r).status, 'cancelled');
    await server.closedAtLeast(1); // the fetch was aborted, not left open until the process ended
    assert.equal(server.received, 1);

    const again = kitaru(dir, ['cancel', id]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /is cancelled: it has ended/);
    assert.equal(again.stderr.trim().split('\n').length, 1, again.stderr);
  });

  it('cancels a waiting execution at once; resume then refuses', () => {
    const dir = makeProject();
    write(dir, { 'flows.ts': FLOWS });
    const r = kitaru(dir, ['run', 'flows.ts', '--flow', 'asks']);
    assert.equal(r.code, 3, r.stderr);
    const id = execIdOf(r);
    const c = kitaru(dir, ['cancel', id]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, new RegExp(`execution ${id} · cancelled \\(it was waiting\\)`));
    const resume = kitaru(dir, ['resume', id]);
    assert.equal(resume.code, 2);
    assert.match(resume.stderr, /is cancelled/);
    assert.equal(execution(kitaru(dir, ['inspect', id, '--json'])).status, 'cancelled');
  });

  it('answers bad input with one line and exit 2, writing nothing', () => {
    const dir = makeProject();
    write(dir, { 'flows.ts': FLOWS });
    const r = kitaru(dir, ['run', 'flows.ts', '--flow', 'asks']);
    const id = execIdOf(r);
    for (const args of [['cancel', 'nope'], ['cancel', id, '--timeout', 'soon'], ['cancel']]) {
      const c = kitaru(dir, args);
      assert.equal(c.code, 2, `${args.join(' ')}: ${c.stderr}`);
      assert.equal(c.stderr.trim().split('\n').length, 1, c.stderr);
    }
    const zero = kitaru(dir, ['cancel', id, '--timeout', '0']);
    assert.equal(zero.code, 2, zero.stderr);
    assert.match(
      zero.stderr,
      /--timeout: "0" is not a duration; give a number and a unit: 30d, 12h, 10m, 90s or 500ms\./,
    );
    assert.doesNotMatch(zero.stderr, /milliseconds/);
    assert.equal(execution(kitaru(dir, ['inspect', id, '--json'])).status, 'waiting');
    const j = kitaru(dir, ['cancel', 'nope', '--json']);
    assert.equal(json<{ error: { type: string } }>(j).error.type, 'KitaruNotFoundError');
  });

  it('records each timed-out attempt of a hung fetch with KitaruTimeoutError (inspect --attempts)', async () => {
    const server = await hangingServer();
    const dir = makeProject();
    write(dir, { 'flows.ts': FLOWS });
    const r = await finished(
      kitaruAsync(dir, ['run', 'flows.ts', '--flow', 'timed', '--args', JSON.stringify(server.url)]),
    );
    assert.equal(r.code, 1, r.stderr);
    const id = execIdOf(r);
    const text = kitaru(dir, ['inspect', id, '--attempts']);
    assert.equal(text.stdout.match(/attempt \d+\s+failed.*\n\s+KitaruTimeoutError/g)?.length, 3, text.stdout);
    const ex = execution(kitaru(dir, ['inspect', id, '--attempts', '--json']));
    assert.deepEqual(
      ex.checkpoints[0]?.attempts.map((a) => a.error?.type),
      ['KitaruTimeoutError', 'KitaruTimeoutError', 'KitaruTimeoutError'],
    );
    await server.closedAtLeast(3);
  });
});

describe('kitaru cancel in queue mode (Postgres)', async () => {
  const url = await startPostgres();
  const workers = new Set<ChildProcess>();
  after(() => {
    for (const w of workers) w.kill('SIGKILL');
  });

  function worker(dir: string) {
    const child = kitaruAsync(dir, ['worker', '--store', url, '--lease', '1', '--concurrency', '1']);
    workers.add(child);
    let err = '';
    child.stderr?.on('data', (d) => (err += d));
    const result = finished(child);
    return {
      child,
      result,
      waitFor: (pattern: RegExp) =>
        until(() => (pattern.test(err) ? true : undefined), `worker printed ${pattern}:\n${err}`),
    };
  }

  it('a worker stops a running execution within a heartbeat: its fetch aborted, recorded cancelled', async () => {
    const server = await hangingServer();
    const dir = makeProject();
    write(dir, { 'flows.ts': FLOWS });
    const q = kitaru(dir, [
      'run',
      'flows.ts',
      '--flow',
      'hung',
      '--queue',
      '--store',
      url,
      '--args',
      JSON.stringify(server.url),
    ]);
    assert.equal(q.code, 0, q.stderr);
    const id = execIdOf(q);
    const w = worker(dir);
    await server.receivedAtLeast(1);
    const c = await finished(kitaruAsync(dir, ['cancel', id, '--json', '--store', url]));
    assert.equal(c.code, 0, c.stderr);
    const ex = execution(c);
    assert.equal(ex.status, 'cancelled');
    assert.deepEqual(
      ex.checkpoints[0]?.attempts.map((a) => [a.status, a.error?.type]),
      [['failed', 'KitaruCancelledError']],
    );
    await w.waitFor(new RegExp(`execution ${id} cancelled`));
    await server.closedAtLeast(1);
    w.child.kill('SIGTERM');
    assert.equal((await w.result).code, 143);
  });

  it('cancels a queued execution at once, and no worker runs it after', async () => {
    const dir = makeProject();
    write(dir, { 'flows.ts': FLOWS });
    const queue = (name: string) => {
      const r = kitaru(dir, [
        'run',
        'flows.ts',
        '--flow',
        'marks',
        '--queue',
        '--store',
        url,
        '--args',
        JSON.stringify(name),
      ]);
      assert.equal(r.code, 0, r.stderr);
      return execIdOf(r);
    };
    const a = queue('a.txt');
    const c = kitaru(dir, ['cancel', a, '--store', url]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /cancelled \(it was queued\)/);
    const b = queue('b.txt');
    const w = worker(dir);
    await w.waitFor(new RegExp(`execution ${b} completed`));
    assert.equal(existsSync(join(dir, 'b.txt')), true);
    assert.equal(existsSync(join(dir, 'a.txt')), false, 'the cancelled execution never ran');
    assert.equal(execution(kitaru(dir, ['inspect', a, '--json', '--store', url])).status, 'cancelled');
    w.child.kill('SIGTERM');
    await w.result;
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, watch, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { KitaruClient } from '../../src/index.js';
import {
  type CliResult,
  execIdOf,
  finished,
  json,
  kitaru,
  kitaruAsync,
  makeProject,
  write,
} from '../e2e-project.js';
import { copyFolderExecutions, copyPostgresExecutions } from '../gc-store.js';
import { delay } from '../helpers.js';
import { startPostgres } from '../pg-cluster.js';

const FLOW = `import { checkpoint, flow } from 'kitaru';
const fetchData = checkpoint(function fetchData(x: number) { return x + 1; });
const publish = checkpoint(function publish(x: number) { return x * 2; });
export default flow(async function gcFlow(x: number) { return publish(await fetchData(x)); });
`;

type Report = {
  deleted: { id: string; status: string }[];
  kept: { id: string; reason: string; usedBy?: string[] }[];
  dryRun: boolean;
};
type Listed = { executions: { id: string; status: string }[]; count: number };
type Inspected = { execution: { id: string; status: string; checkpoints: { origin: string }[] } };

const ok = (r: CliResult) => {
  assert.equal(r.code, 0, r.stderr);
  return r;
};

/** A project with the flow, run once (T), and once more (A) with a replay of it (R) reusing A's fetchData. */
function project(env: Record<string, string>) {
  const dir = makeProject();
  write(dir, { 'flow.ts': FLOW });
  const run = (args: string[]) => execIdOf(ok(kitaru(dir, args, env)));
  const a = run(['run', 'flow.ts', '--args', '1']);
  const r = run(['replay', a, '--from', 'publish']);
  return { dir, a, r, run };
}

function listed(dir: string, env: Record<string, string>): string[] {
  return json<Listed>(ok(kitaru(dir, ['list', '--limit', '1000000', '--json'], env)))
    .executions.map((e) => e.id)
    .sort();
}

describe('kitaru gc', () => {
  it('answers bad input with one line and exit 2, and writes nothing', () => {
    const dir = makeProject();
    for (const [args, message] of [
      [[], /gc deletes nothing without a filter: give --older-than .*--all to delete every ended execution/],
      [['--status', 'running'], /gc never deletes running executions/],
      [['--status', 'done'], /unknown status "done"/],
      [['--older-than', '3 weeks'], /"3 weeks" is not a duration/],
      // The command line takes a number and a unit only: the message says so, not "milliseconds".
      [
        ['--older-than', '0'],
        /--older-than: "0" is not a duration; give a number and a unit: 30d, 12h, 10m, 90s or 500ms\.$/m,
      ],
      [['--older-than', '1000'], /--older-than: "1000" is not a duration; give a number and a unit/],
      [['--keep-last', '-1'], /--keep-last must be a whole number >= 0, got "-1"/],
      [['--keep-last', 'x', '--dry-run'], /--keep-last must be a whole number/],
    ] as const) {
      const r = kitaru(dir, ['gc', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
      const j = json<{ error: { type: string } }>(kitaru(dir, ['gc', ...args, '--json']));
      assert.equal(j.error.type, 'KitaruUsageError');
    }
    assert.ok(!existsSync(join(dir, '.kitaru')), 'nothing written');
  });

  for (const kind of ['folder', 'postgres'] as const) {
    it(`deletes 10,000 executions (${kind} store), and every kept one still lists, inspects and replays`, async () => {
      const url = kind === 'postgres' ? await startPostgres() : '';
      const env: Record<string, string> = url ? { KITARU_STORE: url } : {};
      const { dir, a, r, run } = project(env);
      const copies =
        kind === 'postgres'
          ? await copyPostgresExecutions(url, [a, r], 5_000, 40)
          : copyFolderExecutions(join(dir, '.kitaru'), [a, r], 5_000, 40);
      // An old execution that a new replay reuses: it stays, and says why.
      const [oldSource] = copies[0] as string[];
      const newReplay = run(['replay', oldSource as string, '--from', 'publish']);
      const fresh = run(['run', 'flow.ts', '--args', '5']);
      const report = json<Report>(ok(kitaru(dir, ['gc', '--older-than', '30d', '--json'], env)));
      assert.equal(report.dryRun, false);
      assert.equal(report.deleted.length, 9_999);
      assert.deepEqual(report.kept, [
        {
          ...report.kept[0],
          id: oldSource,
          reason: 'reused',
          usedBy: [newReplay],
        },
      ]);
      const kept = [a, r, oldSource, newReplay, fresh].sort() as string[];
      assert.deepEqual(listed(dir, env), kept);
      for (const id of kept) {
        const ex = json<Inspected>(ok(kitaru(dir, ['inspect', id, '--json'], env))).execution;
        assert.equal(ex.status, 'completed', id);
        assert.equal(ex.checkpoints.length, 2, id);
        const replay = json<Inspected>(ok(kitaru(dir, ['replay', id, '--json'], env))).execution;
        assert.equal(replay.status, 'completed', id);
        assert.deepEqual(
          replay.checkpoints.map((c) => c.origin),
          ['reused', 'reused'],
        );
      }
    });

    it(`client.executions.delete follows the same rules (${kind} store)`, async () => {
      const url = kind === 'postgres' ? await startPostgres() : '';
      const env: Record<string, string> = url ? { KITARU_STORE: url } : {};
      const { dir, a, r } = project(env);
      const client = new KitaruClient(url ? { store: url } : { dir: join(dir, '.kitaru') });
      await assert.rejects(client.executions.delete(a), {
        name: 'KitaruStateError',
        message: new RegExp(`execution ${a} cannot be deleted: execution ${r} reuses its calls`),
      });
      assert.equal(await client.executions.delete(r.slice(0, 18)), r);
      assert.equal(await client.executions.delete(a), a);
      await assert.rejects(client.executions.get(a), { name: 'KitaruNotFoundError' });
      assert.deepEqual(listed(dir, env), []);
    });
  }

  it('a gc killed midway leaves no half-deleted execution, and the next gc finishes the job', async () => {
    const { dir, a, r } = project({});
    const root = join(dir, '.kitaru');
    // 1,000 old executions, each with an old replay that reuses its calls.
    const pairs = copyFolderExecutions(root, [a, r], 1_000, 40);
    const gc = kitaruAsync(dir, ['gc', '--older-than', '30d', '--json']);
    const done = finished(gc);
    let removed = 0;
    const watcher = watch(join(root, 'executions'), () => {
      if (++removed === 401) gc.kill('SIGKILL');
    });
    const killed = await done;
    watcher.close();
    assert.equal(killed.signal, 'SIGKILL', `gc ended before it was killed: ${killed.stderr}`);
    const left = listed(dir, {});
    for (const id of readdirSync(join(root, 'executions'))) {
      assert.deepEqual(
        readdirSync(join(root, 'executions', id)).sort(),
        ['execution.json', 'journal.jsonl'],
        id,
      );
    }
    assert.ok(left.length > 2 && left.length < 2_002, `${left.length} left`);
    // Every execution still listed reads whole: its calls, and the calls it reuses.
    const client = new KitaruClient({ dir: root });
    for (const id of left) {
      const ex = await client.executions.get(id);
      assert.equal(ex.checkpoints.length, 2, id);
    }
    for (const id of left.filter((_, i) => i % 300 === 0)) ok(kitaru(dir, ['inspect', id]));
    for (const [src, replay] of pairs) {
      assert.ok(
        !left.includes(replay as string) || left.includes(src as string),
        'no replay outlives its source',
      );
    }
    const again = json<Report>(ok(kitaru(dir, ['gc', '--older-than', '30d', '--json'])));
    assert.equal(again.deleted.length, left.length - 2);
    assert.deepEqual(listed(dir, {}), [a, r].sort());
    assert.deepEqual(
      readdirSync(join(root, 'tmp')).filter((n) => n.endsWith('.deleting')),
      [],
      'the folder the killed gc moved aside is gone too',
    );
  });

  it('finishes removing folders that a dead process moved aside, and leaves a live one alone', () => {
    const { dir, a, r } = project({});
    const tmp = join(dir, '.kitaru', 'tmp');
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid as number;
    const dead = join(tmp, `01m8aaaaaaaaaaaaaaaaaa~${deadPid}~${hostname()}.deleting`);
    const live = join(tmp, `01m8bbbbbbbbbbbbbbbbbb~${process.pid}~${hostname()}.deleting`);
    for (const d of [dead, live]) {
      mkdirSync(join(d, 'inputs'), { recursive: true });
      writeFileSync(join(d, 'journal.jsonl'), '');
      writeFileSync(join(d, 'inputs', 'w.json'), '{}');
    }
    const report = json<Report>(ok(kitaru(dir, ['gc', '--status', 'failed', '--json'])));
    assert.deepEqual(report.deleted, []);
    assert.ok(!existsSync(dead), 'the dead deleter’s folder is removed');
    assert.ok(existsSync(live), 'a live deleter’s folder is its own to remove');
    assert.deepEqual(listed(dir, {}), [a, r].sort());
  });

  it('prints a count and a short list, and --dry-run deletes nothing', () => {
    const { dir, a, r } = project({});
    const dry = ok(kitaru(dir, ['gc', '--all', '--dry-run']));
    assert.match(dry.stdout, /^would delete 2 executions \(2 completed\), dry run: nothing was deleted\n/);
    assert.match(dry.stdout, new RegExp(`${r}\\s+gcFlow\\s+completed`));
    assert.deepEqual(listed(dir, {}), [a, r].sort());
    const kept = ok(kitaru(dir, ['gc', '--keep-last', '1']));
    assert.equal(kept.stdout.split('\n')[0], 'deleted no executions');
    assert.match(kept.stdout, /kept 2 executions that matched:/);
    assert.match(kept.stdout, new RegExp(`${a}\\s+completed\\s+its calls are reused by ${r}, which stays`));
    const all = ok(kitaru(dir, ['gc', '--all']));
    assert.match(all.stdout, /^deleted 2 executions \(2 completed\)\n/);
    assert.deepEqual(listed(dir, {}), []);
  });

  it('a worker drops the job of an execution deleted since it was queued', async () => {
    const url = await startPostgres();
    const dir = makeProject();
    const worker = kitaruAsync(dir, ['worker', '--store', url]);
    const done = finished(worker);
    let err = '';
    worker.stderr?.on('data', (d) => (err += d));
    const client = new pg.Client({ connectionString: url });
    const waitFor = async (pattern: RegExp) => {
      for (const end = Date.now() + 20_000; !pattern.test(err); await delay(25)) {
        if (Date.now() > end) throw new Error(`worker never printed ${pattern}:\n${err}`);
      }
    };
    try {
      await waitFor(/concurrency/);
      await client.connect();
      // The job a wait's deadline leaves queued, for an execution gc has deleted meanwhile.
      await client.query(
        "select graphile_worker.add_job('kitaru_execution', json_build_object('execId', 'gone-by-gc'))",
      );
      await waitFor(/execution gone-by-gc no longer exists \(deleted\); its job is dropped/);
      const jobs = await client.query(
        "select count(*)::int as n from graphile_worker._private_jobs where payload->>'execId' = 'gone-by-gc'",
      );
      assert.equal(jobs.rows[0]?.n, 0, 'the job is done, not failed and queued again');
    } finally {
      await client.end().catch(() => {});
      worker.kill('SIGTERM');
      await done;
    }
  });
});

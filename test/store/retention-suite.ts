import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { collectGarbage, deleteOne, gcFilter } from '../../src/retention.js';
import type { Store } from '../../src/store/store.js';
import type { CallRecord, ExecutionRecord } from '../../src/store/types.js';
import { call, execution } from './contract.js';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

/** The pid of a process that has ended: an execution recorded with it on this host is `crashed`. */
const deadPid = spawnSync(process.execPath, ['-e', '']).pid as number;

/** Writes an execution that started and ended `days` ago, with `calls`. */
async function add(
  s: Store,
  id: string,
  days: number,
  over: Partial<ExecutionRecord> = {},
  calls: CallRecord[] = [call(0, 'a'), call(1, 'b')],
): Promise<void> {
  await s.createExecution(execution(id, { createdAt: ago(days) }));
  for (const c of calls) await s.writeCall(id, c);
  const ended = over.status === undefined || ['completed', 'failed', 'cancelled'].includes(over.status);
  await s.updateExecution(id, { status: 'completed', endedAt: ended ? ago(days) : null, ...over });
}

/** Calls of a replay of `source` that reuse its calls a and b and run c. */
function replayCalls(source: string, first = 0): CallRecord[] {
  const reused = { origin: 'reused' as const, reason: null, sourceExecId: source, attempts: [] };
  return [
    call(0, 'a', { ...reused, sourceSeq: first }),
    call(1, 'b', { ...reused, sourceSeq: 1 }),
    call(2, 'c'),
  ];
}

async function ids(s: Store): Promise<string[]> {
  return (await s.listExecutions()).executions.map((e) => e.id).sort();
}

/** gc's rules and `deleteOne`'s, on a store `make` gives empty each time. */
export function retentionSuite(name: string, make: () => Promise<Store>): void {
  describe(`retention: ${name}`, () => {
    it('deletes ended executions only, never a running, waiting or queued one', async () => {
      const s = await make();
      await add(s, 'e1done', 40);
      await add(s, 'e2fail', 40, { status: 'failed' });
      await add(s, 'e3canc', 40, { status: 'cancelled' });
      await add(s, 'e4crash', 40, { status: 'running', host: hostname(), pid: deadPid });
      await add(s, 'e5run', 40, { status: 'running', host: hostname(), pid: process.pid });
      await add(s, 'e6away', 40, { status: 'running', host: 'another-host', pid: deadPid });
      await add(s, 'e7wait', 40, { status: 'waiting' });
      await add(s, 'e8queue', 40, { status: 'queued' });
      const report = await collectGarbage(s, { all: true });
      assert.deepEqual(report.deleted.map((e) => e.id).sort(), ['e1done', 'e2fail', 'e3canc', 'e4crash']);
      assert.deepEqual(report.kept, []);
      assert.equal(report.dryRun, false);
      assert.deepEqual(await ids(s), ['e5run', 'e6away', 'e7wait', 'e8queue']);
    });

    it('combines --older-than, --status and --keep-last, and spares the newest n of the matches', async () => {
      const s = await make();
      for (let d = 1; d <= 6; d++) await add(s, `c${d}`, d * 10);
      await add(s, 'f1', 50, { status: 'failed' });
      await add(s, 'f2', 5, { status: 'failed' });
      const dry = await collectGarbage(s, {
        olderThan: '15d',
        status: ['completed'],
        keepLast: 2,
        dryRun: true,
      });
      assert.deepEqual(
        dry.deleted.map((e) => e.id),
        ['c4', 'c5', 'c6'],
        'newest first',
      );
      assert.deepEqual(
        dry.kept.map((k) => [k.id, k.reason]),
        [
          ['c2', 'keep-last'],
          ['c3', 'keep-last'],
        ],
      );
      assert.equal(dry.dryRun, true);
      assert.equal((await ids(s)).length, 8, 'a dry run deletes nothing');
      const real = await collectGarbage(s, { olderThan: '15d', status: ['completed'], keepLast: 2 });
      assert.deepEqual(
        real.deleted.map((e) => e.id),
        ['c4', 'c5', 'c6'],
      );
      assert.deepEqual(await ids(s), ['c1', 'c2', 'c3', 'f1', 'f2']);
      // --keep-last alone: every ended execution but the newest n.
      await collectGarbage(s, { keepLast: 2 });
      assert.deepEqual(await ids(s), ['c1', 'f2']);
    });

    it('keeps an execution whose calls a staying execution reuses, and deletes a replay before its source', async () => {
      const s = await make();
      await add(s, 'a-src', 40);
      await add(s, 'b-replay', 35, { originalExecId: 'a-src' }, replayCalls('a-src'));
      // A replay of the replay: its a and b point at a-src (where they ran), its c at b-replay.
      await add(s, 'c-stays', 1, { originalExecId: 'b-replay' }, [
        ...replayCalls('a-src').slice(0, 2),
        call(2, 'c', {
          origin: 'reused',
          reason: null,
          sourceExecId: 'b-replay',
          sourceSeq: 2,
          attempts: [],
        }),
      ]);
      await add(s, 'd-old', 41);
      await add(s, 'e-replay', 39, { originalExecId: 'd-old' }, replayCalls('d-old'));
      // A replay from its first call reuses nothing: its source may go.
      await add(s, 'f-old', 40);
      await add(s, 'g-fresh', 1, { originalExecId: 'f-old' }, [call(0, 'a'), call(1, 'b')]);
      const report = await collectGarbage(s, { olderThan: '30d' });
      assert.deepEqual(
        report.deleted.map((e) => e.id),
        ['e-replay', 'f-old', 'd-old'],
        'the replay first',
      );
      assert.deepEqual(report.kept.map((k) => [k.id, k.reason, k.usedBy]).sort(), [
        ['a-src', 'reused', ['c-stays', 'b-replay']],
        ['b-replay', 'reused', ['c-stays']],
      ]);
      assert.match(
        report.kept.find((k) => k.id === 'b-replay')?.message ?? '',
        /reused by c-stays, which stays/,
      );
      assert.deepEqual(await ids(s), ['a-src', 'b-replay', 'c-stays', 'g-fresh']);
      for (const id of await ids(s)) assert.ok((await s.getCalls(id)).length > 0, `${id} reads whole`);
    });

    it('keeps a crashed execution that a resume has claimed', async () => {
      const s = await make();
      await add(s, 'r-crash', 40, { status: 'running', host: hostname(), pid: deadPid });
      assert.equal(await s.claimResume('r-crash'), true);
      const report = await collectGarbage(s, { status: ['crashed'] });
      assert.deepEqual(report.deleted, []);
      assert.deepEqual(
        report.kept.map((k) => [k.id, k.reason]),
        [['r-crash', 'resuming']],
      );
      await s.releaseResume('r-crash');
      assert.deepEqual(
        (await collectGarbage(s, { status: ['crashed'] })).deleted.map((e) => e.id),
        ['r-crash'],
      );
    });

    it('deletes one execution by id or prefix, and refuses a live one or one whose calls are reused', async () => {
      const s = await make();
      await add(s, 'x-src', 3);
      await add(s, 'x-replay', 2, { originalExecId: 'x-src' }, replayCalls('x-src'));
      await add(s, 'y-run', 1, { status: 'running', host: hostname(), pid: process.pid });
      await add(s, 'y-wait', 1, { status: 'waiting' });
      await add(s, 'y-queued', 1, { status: 'queued' });
      await add(s, 'y-crash', 1, { status: 'running', host: hostname(), pid: deadPid });
      for (const [id, status] of [
        ['y-run', 'running'],
        ['y-wait', 'waiting'],
        ['y-queued', 'queued'],
      ]) {
        await assert.rejects(deleteOne(s, id as string), {
          name: 'KitaruStateError',
          message: new RegExp(`execution ${id} is ${status}: only an ended execution`),
        });
      }
      await assert.rejects(deleteOne(s, 'x-src'), {
        name: 'KitaruStateError',
        message:
          /execution x-src cannot be deleted: execution x-replay reuses its calls\. Delete that one first\./,
      });
      assert.equal(await deleteOne(s, 'x-rep'), 'x-replay');
      assert.equal(await deleteOne(s, 'x-src'), 'x-src');
      assert.equal(await deleteOne(s, 'y-crash'), 'y-crash');
      await assert.rejects(deleteOne(s, 'x-src'), { name: 'KitaruNotFoundError' });
      assert.deepEqual(await ids(s), ['y-queued', 'y-run', 'y-wait']);
    });
  });
}

describe('gc options', () => {
  it('refuse no filter at all, live statuses, unknown statuses, bad durations and counts', () => {
    assert.throws(() => gcFilter({}), { name: 'KitaruUsageError', message: /--older-than.*--all/ });
    assert.throws(() => gcFilter({ dryRun: true }), { name: 'KitaruUsageError' });
    for (const s of ['running', 'waiting', 'queued']) {
      assert.throws(() => gcFilter({ status: [s] }), {
        name: 'KitaruUsageError',
        message: new RegExp(`never deletes ${s} executions`),
      });
    }
    assert.throws(() => gcFilter({ status: ['done'] }), { message: /unknown status "done"/ });
    assert.throws(() => gcFilter({ olderThan: '3 weeks' }), { message: /"3 weeks" is not a duration/ });
    assert.throws(() => gcFilter({ keepLast: -1 }), { message: /--keep-last must be a whole number/ });
    assert.throws(() => gcFilter({ keepLast: 1.5 }), { message: /--keep-last must be a whole number/ });
    assert.equal(gcFilter({ olderThan: '30d' }, 100 * DAY).cutoff, 70 * DAY);
    assert.deepEqual(gcFilter({ all: true }).statuses, ['completed', 'failed', 'cancelled', 'crashed']);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { type CallRecord, type ExecutionRecord, SCHEMA_VERSION } from '../../src/store/types.js';

let n = 0;
export function execution(id: string, over: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    id,
    flow: { name: 'f', file: 'f.ts', sourceHash: null },
    status: 'running',
    args: [1],
    output: null,
    error: null,
    originalExecId: null,
    replay: null,
    pid: process.pid,
    host: 'h',
    createdAt: new Date(Date.now() + n++).toISOString(),
    endedAt: null,
    flowAttempts: 1,
    ...over,
  };
}

export function call(seq: number, id: string, over: Partial<CallRecord> = {}): CallRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    seq,
    id,
    name: id.replace(/_\d+$/, ''),
    type: null,
    status: 'completed',
    origin: 'executed',
    reason: 'new',
    sourceExecId: null,
    sourceSeq: null,
    inputHash: `h${seq}`,
    input: [seq],
    output: { v: seq },
    attempts: [
      {
        attempt: 1,
        status: 'completed',
        startedAt: '2026-01-01T00:00:00.000Z',
        endedAt: '2026-01-01T00:00:00.005Z',
        error: null,
        logs: [],
      },
    ],
    ...over,
  };
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** An id of the shape kitaru generates (10 characters of `ms`, 12 random), made without ids.ts's clock. */
export function generatedId(ms: number): string {
  let time = '';
  for (let i = 0, t = ms; i < 10; i++, t = Math.floor(t / 32)) time = ALPHABET[t % 32] + time;
  let rest = '';
  for (let i = 0; i < 12; i++) rest += ALPHABET[Math.floor(Math.random() * 32)];
  return time + rest;
}

let futures = 0;
/**
 * Creation times later than any other test's (a store may be shared by the tests, as Postgres's
 * is), and a tag that makes chosen ids unique to the test.
 */
function future(): { tag: string; at: (ms: number) => number } {
  const base = Date.now() + 1e11 * ++futures;
  return {
    tag: `${process.pid}-${futures}-${Math.random().toString(36).slice(2, 8)}`,
    at: (ms) => base + ms,
  };
}

/** The behaviour every Store must have; run against each implementation. */
export function storeContract(name: string, make: () => Store): void {
  describe(`Store contract: ${name}`, () => {
    it('creates an execution and reads it back as written', async () => {
      const s = make();
      const rec = execution('0001aaaa');
      await s.createExecution(rec);
      assert.deepEqual(await s.getExecution('0001aaaa'), rec);
    });

    it('merges updates into the execution document', async () => {
      const s = make();
      await s.createExecution(execution('0002aaaa'));
      await s.updateExecution('0002aaaa', {
        status: 'completed',
        output: 'x',
        endedAt: '2026-01-01T00:00:01.000Z',
      });
      const got = await s.getExecution('0002aaaa');
      assert.equal(got.status, 'completed');
      assert.equal(got.output, 'x');
      assert.deepEqual(got.args, [1]);
    });

    it('returns calls in call order, whatever order they were written in', async () => {
      const s = make();
      await s.createExecution(execution('0003aaaa'));
      await s.writeCall('0003aaaa', call(2, 'c'));
      await s.writeCall('0003aaaa', call(0, 'a'));
      await s.writeCall('0003aaaa', call(1, 'b'));
      assert.deepEqual(
        (await s.getCalls('0003aaaa')).map((c) => c.id),
        ['a', 'b', 'c'],
      );
    });

    it('rewrites a call when a later attempt ends', async () => {
      const s = make();
      await s.createExecution(execution('0004aaaa'));
      const failed = call(0, 'a', { status: 'failed', output: null });
      await s.writeCall('0004aaaa', failed);
      await s.writeCall('0004aaaa', call(0, 'a'));
      const calls = await s.getCalls('0004aaaa');
      assert.equal(calls.length, 1);
      assert.equal(calls[0]?.status, 'completed');
    });

    it('resolves a reused call to its source output, with no attempts of its own', async () => {
      const s = make();
      await s.createExecution(execution('0005aaaa'));
      await s.writeCall('0005aaaa', call(0, 'a', { type: 'llm_call', output: { answer: 42 } }));
      await s.updateExecution('0005aaaa', { status: 'completed', endedAt: '2026-01-01T00:00:01.000Z' });
      await s.createExecution(execution('0006aaaa', { originalExecId: '0005aaaa' }));
      await s.writeCall(
        '0006aaaa',
        call(0, 'a', {
          type: 'llm_call',
          origin: 'reused',
          reason: null,
          sourceExecId: '0005aaaa',
          sourceSeq: 0,
          output: { answer: 42 },
          attempts: [],
        }),
      );
      await s.updateExecution('0006aaaa', { status: 'completed', endedAt: '2026-01-01T00:00:01.000Z' });
      const [c] = await s.getCalls('0006aaaa');
      assert.equal(c?.origin, 'reused');
      assert.equal(c?.sourceExecId, '0005aaaa');
      assert.deepEqual(c?.output, { answer: 42 });
      assert.equal(c?.type, 'llm_call');
      assert.deepEqual(c?.attempts, []);
    });

    it('appends flow-level logs in order', async () => {
      const s = make();
      await s.createExecution(execution('0007aaaa'));
      await s.appendLogs('0007aaaa', [{ at: '1', stream: 'log', fields: { a: 1 } }]);
      await s.appendLogs('0007aaaa', [{ at: '2', stream: 'log', fields: { b: 2 } }]);
      assert.deepEqual(
        (await s.readLogs('0007aaaa')).map((l) => l.fields),
        [{ a: 1 }, { b: 2 }],
      );
    });

    it('lists executions newest first, with their number of calls', async () => {
      const s = make();
      await s.createExecution(execution('0010aaaa'));
      await s.createExecution(execution('0011aaaa'));
      await s.writeCall('0011aaaa', call(0, 'a'));
      await s.writeCall('0011aaaa', call(1, 'b'));
      const { executions, errors } = await s.listExecutions();
      const mine = executions.filter((e) => e.id === '0010aaaa' || e.id === '0011aaaa');
      assert.deepEqual(
        mine.map((e) => [e.id, e.checkpointCount]),
        [
          ['0011aaaa', 2],
          ['0010aaaa', 0],
        ],
      );
      assert.deepEqual(errors, []);
    });

    it('lists executions newest first by creation time, whatever their ids (chosen, generated, scheduled)', async () => {
      const s = make();
      const { tag, at } = future();
      // Created in this order, an id a millisecond apart at least: id order is not time order.
      const made = [
        `zzz-${tag}`,
        generatedId(at(10)),
        `aaa-${tag}`,
        `nightly-${tag}@${new Date(at(30)).toISOString()}`,
        generatedId(at(40)),
      ];
      for (const [i, id] of made.entries()) {
        await s.createExecution(execution(id, { createdAt: new Date(at(i * 10)).toISOString() }));
      }
      const newest = made.slice().reverse();
      const mine = (list: { id: string }[]) => list.map((e) => e.id).filter((id) => made.includes(id));
      assert.deepEqual(mine((await s.listExecutions()).executions), newest);
      assert.deepEqual(
        (await s.listExecutions({ limit: 3 })).executions.map((e) => e.id),
        newest.slice(0, 3),
      );
      const notNewest = (r: ExecutionRecord) => r.id !== newest[0];
      assert.deepEqual(
        (await s.listExecutions({ accept: notNewest, limit: 2 })).executions.map((e) => e.id),
        newest.slice(1, 3),
      );
      assert.equal(await s.resolveId(`aaa-${tag}`.slice(0, 6)), `aaa-${tag}`, 'a prefix of a chosen id');
    });

    it('lists a chosen id deleted and made again at its new creation time, and never while deleted', async () => {
      const s = make();
      const { tag, at } = future();
      // `00-` sorts before any generated id of these times: id order would put it last.
      const again = `00-again-${tag}`;
      const generated = generatedId(at(10));
      await s.createExecution(execution(again, { createdAt: new Date(at(0)).toISOString() }));
      await s.createExecution(execution(generated, { createdAt: new Date(at(10)).toISOString() }));
      await s.deleteExecution(again);
      await s.finishDeletions?.();
      assert.equal((await s.listExecutions({ limit: 1 })).executions[0]?.id, generated);
      assert.ok(!(await s.listExecutions()).executions.some((e) => e.id === again));
      await s.createExecution(execution(again, { createdAt: new Date(at(20)).toISOString() }));
      assert.deepEqual(
        (await s.listExecutions({ limit: 2 })).executions.map((e) => e.id),
        [again, generated],
      );
    });

    it('resolves unique prefixes and rejects unknown or ambiguous ones by name', async () => {
      const s = make();
      await s.createExecution(execution('0020abcd'));
      await s.createExecution(execution('0020abce'));
      assert.equal(await s.resolveId('0020abcd'), '0020abcd');
      assert.equal(await s.resolveId('0020abce'), '0020abce');
      await assert.rejects(s.resolveId('0020abc'), { name: 'KitaruNotFoundError', message: /ambiguous/ });
      await assert.rejects(s.resolveId('9999'), { name: 'KitaruNotFoundError' });
      await assert.rejects(s.getExecution('9999zzzz'), { name: 'KitaruNotFoundError' });
    });

    it('keeps values exactly as given (the store does not re-encode)', async () => {
      const s = make();
      const tagged = { $kitaru: 'v1', json: '2026-01-01T00:00:00.000Z', meta: { values: ['Date'], v: 1 } };
      await s.createExecution(execution('0030aaaa', { args: [tagged] }));
      await s.writeCall('0030aaaa', call(0, 'a', { output: tagged }));
      assert.deepEqual((await s.getExecution('0030aaaa')).args, [tagged]);
      assert.deepEqual((await s.getCalls('0030aaaa'))[0]?.output, tagged);
    });

    it('a write that has resolved is readable, and a fan-out written in one turn is read in call order', async () => {
      const s = make();
      await s.createExecution(execution('0040aaaa'));
      // Written the way a fan-out ends: all in the same turn, awaited together.
      const writes = Array.from({ length: 50 }, (_, i) =>
        s.writeCall('0040aaaa', call(49 - i, `c_${50 - i}`)),
      );
      await Promise.all(writes);
      const calls = await s.getCalls('0040aaaa');
      assert.deepEqual(
        calls.map((c) => c.seq),
        Array.from({ length: 50 }, (_, i) => i),
      );
      // Another reader of the same records sees them too, before the execution ends.
      assert.equal(
        (await s.listExecutions()).executions.find((e) => e.id === '0040aaaa')?.checkpointCount,
        50,
      );
    });

    it('the last record of a call wins, and a record taken before the write was asked for is kept as it was', async () => {
      const s = make();
      await s.createExecution(execution('0041aaaa'));
      const record = call(0, 'a', { status: 'failed', output: null });
      const first = s.writeCall('0041aaaa', record);
      // The runtime goes on changing the record once writeCall returns: the write holds the old one.
      record.status = 'completed';
      record.output = { v: 'changed after the write' };
      await first;
      assert.equal((await s.getCalls('0041aaaa'))[0]?.status, 'failed');
      await s.writeCall('0041aaaa', call(0, 'a', { output: { v: 'second' } }));
      await s.updateExecution('0041aaaa', { status: 'completed', endedAt: new Date().toISOString() });
      const [only, ...rest] = await s.getCalls('0041aaaa');
      assert.deepEqual([only?.status, only?.output, rest.length], ['completed', { v: 'second' }, 0]);
      assert.equal(
        (await s.listExecutions()).executions.find((e) => e.id === '0041aaaa')?.checkpointCount,
        1,
      );
    });

    it('gives a resume claim to one asker at a time, and again once the execution waits or ends', async () => {
      const s = make();
      await s.createExecution(execution('0050aaaa', { status: 'waiting' }));
      const claims = await Promise.all([s.claimResume('0050aaaa'), s.claimResume('0050aaaa')]);
      assert.deepEqual(claims.sort(), [false, true]);
      assert.equal(await s.claimResume('0050aaaa'), false, 'still claimed while it runs');
      await s.updateExecution('0050aaaa', { status: 'waiting' });
      assert.equal(await s.claimResume('0050aaaa'), true, 'waiting again: claimable again');
      await s.updateExecution('0050aaaa', { status: 'completed', endedAt: new Date().toISOString() });
      assert.equal(await s.claimResume('0050aaaa'), true, 'ended: the claim was let go');
    });

    it('keeps answers to waits: the first answer wins, a refused one can be dropped and given again', async () => {
      const s = make();
      await s.createExecution(execution('0051aaaa', { status: 'waiting' }));
      const at = new Date().toISOString();
      const tries = await Promise.all(
        [1, 2, 3, 4].map((v) => s.addInput('0051aaaa', { waitId: 'approval', value: v, at })),
      );
      const winners = tries.filter((t) => t === null).length;
      assert.equal(winners, 1, 'exactly one of answers given at once is kept');
      const kept = await s.getInputs('0051aaaa');
      assert.equal(kept.length, 1);
      for (const t of tries) if (t !== null) assert.deepEqual(t, kept[0], 'the losers are told the winner');
      assert.deepEqual(await s.addInput('0051aaaa', { waitId: 'approval', value: 9, at }), kept[0]);
      await s.addInput('0051aaaa', { waitId: 'other', value: { x: [1] }, at });
      await s.dropInput('0051aaaa', 'approval');
      assert.equal(await s.addInput('0051aaaa', { waitId: 'approval', value: 'again', at }), null);
      const byId = Object.fromEntries((await s.getInputs('0051aaaa')).map((i) => [i.waitId, i.value]));
      assert.deepEqual(byId, { approval: 'again', other: { x: [1] } });
      await assert.rejects(s.addInput('0051nope', { waitId: 'a', value: 1, at }), {
        name: 'KitaruNotFoundError',
      });
    });

    it('deletes an execution with its calls, logs and answers, all at once, and then knows it not', async () => {
      const s = make();
      const id = '0060aaaa';
      await s.createExecution(execution(id));
      await s.writeCall(id, call(0, 'a'));
      await s.appendLogs(id, [{ at: '1', stream: 'log', text: 'hi' }]);
      await s.addInput(id, { waitId: 'w', value: 1, at: '1' });
      await s.updateExecution(id, { status: 'completed', endedAt: new Date().toISOString() });
      await s.createExecution(execution('0060aaab'));
      await s.deleteExecution(id);
      await assert.rejects(s.getExecution(id), { name: 'KitaruNotFoundError' });
      await assert.rejects(s.getCalls(id), { name: 'KitaruNotFoundError' });
      await assert.rejects(s.resolveId(id), { name: 'KitaruNotFoundError' });
      assert.equal(await s.resolveId('0060aaa'), '0060aaab', 'the prefix matches only the one left');
      const { executions, errors } = await s.listExecutions();
      assert.ok(!executions.some((e) => e.id === id));
      assert.deepEqual(errors, []);
      await assert.rejects(s.deleteExecution(id), { name: 'KitaruNotFoundError' });
      // The id is free again, with nothing left over from before.
      await s.createExecution(execution(id));
      assert.deepEqual(await s.getCalls(id), []);
      assert.deepEqual(await s.readLogs(id), []);
      assert.deepEqual(await s.getInputs(id), []);
    });

    it('names the sources of reused calls, and a replay deleted leaves its source whole', async () => {
      const s = make();
      const ended = { status: 'completed' as const, endedAt: '2026-01-01T00:00:01.000Z' };
      await s.createExecution(execution('0061aaaa'));
      await s.writeCall('0061aaaa', call(0, 'a'));
      await s.writeCall('0061aaaa', call(1, 'b'));
      await s.updateExecution('0061aaaa', ended);
      await s.createExecution(execution('0062aaaa', { originalExecId: '0061aaaa' }));
      const reused = { origin: 'reused' as const, reason: null, sourceExecId: '0061aaaa', attempts: [] };
      await s.writeCall('0062aaaa', call(0, 'a', { ...reused, sourceSeq: 0 }));
      await s.writeCall('0062aaaa', call(1, 'b', { ...reused, sourceSeq: 1 }));
      await s.writeCall('0062aaaa', call(2, 'c'));
      await s.updateExecution('0062aaaa', ended);
      assert.deepEqual(await s.reusedSources('0062aaaa'), ['0061aaaa']);
      assert.deepEqual(await s.reusedSources('0061aaaa'), []);
      await assert.rejects(s.reusedSources('0062zzzz'), { name: 'KitaruNotFoundError' });
      await s.deleteExecution('0062aaaa');
      assert.deepEqual(
        (await s.getCalls('0061aaaa')).map((c) => [c.id, c.output]),
        [
          ['a', { v: 0 }],
          ['b', { v: 1 }],
        ],
      );
    });

    it('keeps a waiting execution with its waits and resumes, and a call record with its kind', async () => {
      const s = make();
      await s.createExecution(execution('0052aaaa'));
      await s.writeCall('0052aaaa', call(0, 'nap', { kind: 'sleep', wakeAt: '2026-01-01T00:00:00.000Z' }));
      const waits = [
        {
          id: 'approval',
          kind: 'wait' as const,
          question: 'ok?',
          metadata: { n: 1 },
          deadline: null,
          wakeAt: null,
          schema: null,
        },
      ];
      await s.updateExecution('0052aaaa', { status: 'waiting', waits, resumes: 2 });
      const got = await s.getExecution('0052aaaa');
      assert.deepEqual([got.status, got.waits, got.resumes], ['waiting', waits, 2]);
      const [nap] = await s.getCalls('0052aaaa');
      assert.deepEqual([nap?.kind, nap?.wakeAt], ['sleep', '2026-01-01T00:00:00.000Z']);
      const listed = await s.listExecutions({ accept: (r) => r.status === 'waiting' });
      assert.ok(listed.executions.some((e) => e.id === '0052aaaa'));
    });

    it('creates an id once: a second creation is refused with false and writes nothing', async () => {
      const s = make();
      const first = execution('c61-order', { args: ['first'] });
      assert.equal(await s.createExecution(first), true);
      assert.equal(await s.createExecution(execution('c61-order', { args: ['second'] })), false);
      assert.deepEqual((await s.getExecution('c61-order')).args, ['first']);
    });

    it('of 16 creations of one id at once, exactly one succeeds', async () => {
      const s = make();
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => s.createExecution(execution('c62-same', { args: [i] }))),
      );
      assert.equal(results.filter((r) => r === true).length, 1);
      const winner = results.indexOf(true);
      assert.deepEqual((await s.getExecution('c62-same')).args, [winner]);
    });

    it('resolves an exact id before a prefix of longer ones (order-4 beside order-42)', async () => {
      const s = make();
      for (const id of ['c63-order-4', 'c63-order-42', 'c63-order-43'])
        await s.createExecution(execution(id));
      assert.equal(await s.resolveId('c63-order-4'), 'c63-order-4');
      assert.equal(await s.resolveId('c63-order-42'), 'c63-order-42');
      await assert.rejects(s.resolveId('c63-order'), { name: 'KitaruNotFoundError', message: /ambiguous/ });
    });

    it('tells a waiter when a status is written, long before its own time is up', async () => {
      const s = make();
      assert.ok(s.changed, 'every store here sends change notices');
      await s.createExecution(execution('c64-watch'));
      const changed = s.changed('c64-watch', 600_000);
      await s.updateExecution('c64-watch', { status: 'completed', endedAt: new Date().toISOString() });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('no notice within 20 s of the status write')), 20_000);
      });
      await Promise.race([changed, late]).finally(() => clearTimeout(timer));
    });
  });
}

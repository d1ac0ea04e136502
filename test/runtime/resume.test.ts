import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkpoint, createMemoryStore, flow } from '../../src/index.js';
import { flowDefOf } from '../../src/runtime/definitions.js';
import { startExecution } from '../../src/runtime/execute-flow.js';

let ran: string[] = [];
const fast = checkpoint(function fast(x: number) {
  ran.push(`fast(${x})`);
  return x * 10;
});
const other = checkpoint(function other(x: number) {
  ran.push(`other(${x})`);
  return x + 1;
});
// map with concurrency 1 queues fast_2 and fast_3 behind a gate; other starts meanwhile and takes
// the next position, so positions are fast 0, fast_2 1, fast_3 2, other 3.
const mixed = flow(async function mixed() {
  const mapped = fast.map([1, 2, 3], { concurrency: 1 });
  const o = other.submit(5);
  return [await mapped, await o.result()];
});

describe('resuming an execution in place (what a worker does for a lost one)', () => {
  it('reuses completed calls, runs the rest, and gives a call that never reached the store its old place', async () => {
    const def = flowDefOf(mixed);
    assert.ok(def);
    const store = createMemoryStore();
    const first = startExecution(def, { args: [], store });
    assert.deepEqual(await first.wait(), [[10, 20, 30], 6]);
    const full = await store.getCalls(first.execId);
    assert.deepEqual(
      full.map((c) => [c.id, c.seq]),
      [
        ['fast', 0],
        ['fast_2', 1],
        ['fast_3', 2],
        ['other', 3],
      ],
    );

    // As a worker finds it after a crash: running, with fast and other recorded, fast_2 and
    // fast_3 never written.
    const lost = createMemoryStore();
    const record = { ...(await store.getExecution(first.execId)), status: 'running' as const, output: null };
    await lost.createExecution(record);
    const kept = full.filter((c) => c.id === 'fast' || c.id === 'other');
    for (const c of kept) await lost.writeCall(record.id, c);
    ran = [];
    const resumed = startExecution(def, { args: [], store: lost, resume: { record, calls: kept } });
    assert.equal(resumed.execId, first.execId, 'same execution id');
    assert.deepEqual(await resumed.wait(), [[10, 20, 30], 6]);
    assert.deepEqual(ran, ['fast(2)', 'fast(3)'], 'only the calls that were not recorded ran');
    const after = await lost.getCalls(record.id);
    assert.deepEqual(
      after.map((c) => [c.id, c.seq, c.status]),
      [
        ['fast', 0, 'completed'],
        ['fast_2', 1, 'completed'],
        ['fast_3', 2, 'completed'],
        ['other', 3, 'completed'],
      ],
    );
    assert.equal((await lost.getExecution(record.id)).status, 'completed');
  });
});

describe('the retry budget of a resumed call', () => {
  it('continues from the recorded attempts; an attempt lost with its worker does not count', async () => {
    let runs = 0;
    const flaky = checkpoint({ retries: 3 }, function flaky() {
      runs++;
      throw new Error('still down');
    });
    const f = flow(async function budget() {
      return flaky();
    });
    const def = flowDefOf(f);
    assert.ok(def);
    const store = createMemoryStore();
    const first = startExecution(def, { args: [], store });
    await assert.rejects(first.wait());
    const [call] = await store.getCalls(first.execId);
    assert.ok(call);
    assert.equal(call.attempts.length, 4, 'retries: 3 gives four attempts in one run');

    // As a worker finds it: three failed attempts, then one lost with the worker that ran it.
    const lost = createMemoryStore();
    const record = { ...(await store.getExecution(first.execId)), status: 'running' as const, error: null };
    await lost.createExecution(record);
    const attempts = [
      ...call.attempts.slice(0, 3),
      {
        ...(call.attempts[3] as (typeof call.attempts)[number]),
        error: { type: 'KitaruWorkerLostError', message: 'worker w1 was lost', stack: null },
      },
    ];
    const kept = [{ ...call, attempts }];
    await lost.writeCall(record.id, kept[0] as (typeof kept)[number]);
    runs = 0;
    const resumed = startExecution(def, { args: [], store: lost, resume: { record, calls: kept } });
    await assert.rejects(resumed.wait());
    assert.equal(runs, 1, 'one attempt was left in the budget: the lost one does not count');
    const [after] = await lost.getCalls(record.id);
    assert.deepEqual(
      after?.attempts.map((a) => [a.attempt, a.error?.type]),
      [
        [1, 'Error'],
        [2, 'Error'],
        [3, 'Error'],
        [4, 'KitaruWorkerLostError'],
        [5, 'Error'],
      ],
    );
  });
});

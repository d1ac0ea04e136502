import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createReplayPlan } from '../../src/runtime/replay-plan.js';
import { hashEncoded, type Json } from '../../src/serialization.js';
import type { CallRecord } from '../../src/store/types.js';

function call(seq: number, id: string, input: Json, over: Partial<CallRecord> = {}): CallRecord {
  return {
    schemaVersion: 2,
    seq,
    id,
    name: id.replace(/_\d+$/, ''),
    type: null,
    status: 'completed',
    origin: 'executed',
    reason: 'new',
    sourceExecId: null,
    sourceSeq: null,
    inputHash: hashEncoded(input),
    input,
    output: seq * 10,
    attempts: [],
    ...over,
  };
}

const source = [
  call(0, 'a', [1]),
  call(1, 'a_2', [2]),
  call(2, 'b', [{ x: 1, y: [true, null] }]),
  call(3, 'c', ['s'], { status: 'failed' }),
  call(4, 'w', ['q'], { kind: 'wait' }),
];

describe('replay plan', () => {
  it('finds the source call of each id, in call order or not', () => {
    const plan = createReplayPlan('src', source, {});
    // Out of order: a miss of the next-in-order guess falls back to the index by id.
    for (const c of [source[2], source[0], source[1], source[0], source[2]] as CallRecord[]) {
      const d = plan.decide(c.id, c.inputHash);
      assert.equal(d.kind, 'reuse', c.id);
      assert.equal(d.kind === 'reuse' && d.source, c);
    }
    assert.deepEqual(plan.decide('zz', 'h'), { kind: 'execute', reason: 'new' });
    assert.deepEqual(plan.decide('a', 'other'), { kind: 'execute', reason: 'inputs-changed' });
    assert.deepEqual(plan.decide('c', (source[3] as CallRecord).inputHash), {
      kind: 'execute',
      reason: 'not-completed',
    });
    assert.deepEqual(plan.decide('w', 'x'), { kind: 'execute', reason: 'new' }); // a wait, asked as a checkpoint
    assert.equal(plan.decide('w', (source[4] as CallRecord).inputHash, 'wait').kind, 'reuse');
  });

  it('runs every call from --from on', () => {
    const plan = createReplayPlan('src', source, { from: 'a_2' });
    assert.equal(plan.decide('a', (source[0] as CallRecord).inputHash).kind, 'reuse');
    assert.deepEqual(plan.decide('a_2', (source[1] as CallRecord).inputHash), {
      kind: 'execute',
      reason: 'from',
    });
    assert.deepEqual(plan.decide('b', (source[2] as CallRecord).inputHash), {
      kind: 'execute',
      reason: 'from',
    });
    assert.throws(() => createReplayPlan('src', source, { from: 'nope' }), /names no call .*a, a_2, b, c, w/);
  });

  it("gives a call the source's input hash when its inputs are the same JSON, and nothing otherwise", () => {
    const plan = createReplayPlan('src', source, {});
    const b = source[2] as CallRecord;
    // The same JSON with its keys in another order: the same hash (the hash sorts keys).
    assert.equal(plan.sameInputHash('b', [{ y: [true, null], x: 1 }]), b.inputHash);
    assert.equal(plan.sameInputHash('b', [{ x: 1, y: [true, 0] }]), undefined);
    assert.equal(plan.sameInputHash('a', [1]), (source[0] as CallRecord).inputHash);
    assert.equal(plan.sameInputHash('a', [1, 1]), undefined);
    assert.equal(plan.sameInputHash('zz', [1]), undefined);
    assert.equal(hashEncoded([{ y: [true, null], x: 1 }]), b.inputHash);
  });
});

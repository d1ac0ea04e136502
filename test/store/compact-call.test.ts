import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactCallLine } from '../../src/store/json-folder/call-line.js';
import { compactCall, expandCall } from '../../src/store/json-folder/compact-call.js';
import type { CallRecord } from '../../src/store/types.js';

function call(over: Partial<CallRecord>): CallRecord {
  return {
    schemaVersion: 2,
    seq: 0,
    id: 'fetch',
    name: 'fetch',
    type: null,
    status: 'completed',
    origin: 'executed',
    reason: 'new',
    sourceExecId: null,
    sourceSeq: null,
    inputHash: 'h',
    input: [1],
    output: { a: 1 },
    attempts: [
      {
        attempt: 1,
        status: 'completed',
        startedAt: '2026-01-01T00:00:00.000Z',
        endedAt: '2026-01-01T00:00:00.000Z',
        error: null,
        logs: [],
      },
    ],
    ...over,
  };
}

const error = { type: 'Error', message: 'boom', stack: null };
const log = {
  at: '2026-01-01T00:00:00.001Z',
  callId: 'fetch',
  attempt: 1,
  stream: 'log' as const,
  text: 'x',
};

/** Through a journal line and back, as the store writes and reads it. */
function throughLine(r: CallRecord): CallRecord {
  const text = compactCallLine(r, 'call');
  // The line is built by hand: the same text as the compact record's JSON, with its type last.
  assert.equal(text, `${JSON.stringify(compactCall(r)).slice(0, -1)},"t":"call"}`);
  const rec = JSON.parse(text);
  delete rec.t;
  return expandCall(rec) as unknown as CallRecord;
}

describe('compact call lines', () => {
  it('leave out the fields at their usual value, and reading puts them back', () => {
    const r = call({ seq: 4, id: 'fetch_5' });
    assert.deepEqual(compactCall(r), {
      seq: 4,
      id: 'fetch_5',
      inputHash: 'h',
      input: [1],
      output: { a: 1 },
      attempts: [{ startedAt: '2026-01-01T00:00:00.000Z' }],
    });
    assert.deepEqual(throughLine(r), r);
  });

  it('keep every field that is not at its usual value', () => {
    const records: CallRecord[] = [
      call({ id: 'v_2', name: 'v_2' }), // a name that only looks like a numbered id
      call({ id: 'v_2', name: 'w' }),
      call({ id: 'a_', name: 'a_' }),
      call({ type: 'llm', reason: 'inputs-changed', output: null, input: null }),
      call({ origin: 'reused', reason: null, sourceExecId: 'src', sourceSeq: 3, attempts: [] }),
      call({ origin: 'overridden', reason: null, sourceExecId: 'src', attempts: [] }),
      call({
        status: 'failed',
        attempts: [
          { attempt: 1, status: 'failed', startedAt: 'a', endedAt: 'b', error, logs: [log] },
          { attempt: 3, status: 'failed', startedAt: 'c', endedAt: 'c', error, logs: [] },
        ],
      }),
      call({ kind: 'wait', resolution: 'default', deadline: '2026-01-02T00:00:00.000Z' }),
      call({ kind: 'sleep', wakeAt: '2026-01-02T00:00:00.000Z', output: null }),
      call({
        id: 'q"\\\n\u{1F600}\ud800',
        name: 'q"\\\n\u{1F600}\ud800',
        input: ['a"b', 1.5, true, null, -3],
      }),
      call({ input: [1, 2, 3, 4, 5, 6, 7, 8, 9], output: [[1], { b: 2, a: 1 }] }),
      call({ output: 'x\u0000y' }),
    ];
    for (const r of records) assert.deepEqual(throughLine(r), r, JSON.stringify(r));
  });

  it('keep fields they do not know (a later kitaru may add some)', () => {
    const r = { ...call({}), later: { x: 1 } } as CallRecord;
    assert.deepEqual(throughLine(r), r);
    const quoted = { ...call({}), 'a "b"\n': 1 } as CallRecord;
    assert.deepEqual(throughLine(quoted), quoted);
  });

  it('leave out fields that hold undefined, as JSON does', () => {
    const r = call({ kind: undefined, input: [1, 'two', null, { k: 'v' }] });
    const back = throughLine(r);
    assert.equal('kind' in back, false);
    assert.deepEqual(back.input, [1, 'two', null, { k: 'v' }]);
  });
});

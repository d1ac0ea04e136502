import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  errorToRecord,
  isKitaruError,
  KitaruExecutionError,
  KitaruNotFoundError,
  KitaruUsageError,
} from '../../src/errors.js';
import { isoTime } from '../../src/runtime/clock.js';
import { newExecutionId } from '../../src/runtime/ids.js';

describe('execution ids', () => {
  it('rise strictly within a process, even within one millisecond', () => {
    const ids = Array.from({ length: 2000 }, () => newExecutionId(1_700_000_000_000));
    const sorted = [...ids].sort();
    assert.deepEqual(ids, sorted);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('sort by time', () => {
    const a = newExecutionId(Date.now() + 10_000);
    const b = newExecutionId(Date.now() + 20_000);
    assert.ok(a < b);
    assert.match(a, /^[0-9a-z]{22}$/);
  });
});

describe('isoTime', () => {
  it('formats exactly as Date#toISOString', () => {
    for (const ms of [
      0,
      5,
      1_700_000_000_009,
      1_700_000_000_099,
      1_700_000_000_999,
      1_700_000_001_000,
      Date.now(),
    ]) {
      assert.equal(isoTime(ms), new Date(ms).toISOString());
    }
  });
});

describe('errors', () => {
  it('carry a stable name and code, recognised by name even after JSON', () => {
    const e = new KitaruNotFoundError('x');
    assert.equal(e.name, 'KitaruNotFoundError');
    assert.equal(e.code, 'E_NOT_FOUND');
    assert.equal(new KitaruUsageError('u').code, 'E_USAGE');
    const back = JSON.parse(JSON.stringify({ name: e.name, code: e.code, message: e.message }));
    assert.ok(isKitaruError(back, 'KitaruNotFoundError'));
    assert.ok(!isKitaruError(new Error('plain')));
    assert.ok(!isKitaruError(back, 'KitaruUsageError'));
  });

  it('KitaruExecutionError carries the execution id and the failure', () => {
    const e = new KitaruExecutionError('01abc', 'failed', { type: 'Error', message: 'boom', stack: null });
    assert.equal(e.execId, '01abc');
    assert.match(e.message, /01abc failed: Error: boom/);
  });

  it('records thrown non-errors too', () => {
    assert.deepEqual(errorToRecord('oops'), { type: 'string', message: 'oops', stack: null });
    assert.equal(errorToRecord(new RangeError('r'), 'cp').callId, 'cp');
  });
});

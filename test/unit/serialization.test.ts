import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeValue, encodeValue, hashEncoded, stableStringify } from '../../src/serialization.js';

describe('encodeValue', () => {
  it('stores plain JSON as itself', () => {
    const v = { a: [1, 'x', null, true], b: { c: 2.5 } };
    assert.equal(encodeValue(v, 'output', 'cp'), v);
  });

  it('tags rich values and decodes them exactly', () => {
    const values: unknown[] = [
      undefined,
      new Date(5),
      new Map([[1, { a: 2 }]]),
      new Set(['a']),
      123n,
      /x/m,
      new URL('https://a.example/b'),
      new Float64Array([1.5]),
      Number.NaN,
      [1, undefined, 3],
    ];
    for (const v of values) {
      const stored = encodeValue(v, 'output', 'cp');
      assert.equal((stored as Record<string, unknown>).$kitaru, 'v1', `tagged: ${String(v)}`);
      assert.deepEqual(decodeValue(JSON.parse(JSON.stringify(stored))), v);
    }
    const err = decodeValue(JSON.parse(JSON.stringify(encodeValue(new TypeError('t'), 'output', 'cp'))));
    assert.ok(err instanceof Error);
    assert.equal((err as Error).message, 't');
  });

  it('never confuses user data that looks like the tag with a tagged value', () => {
    const sneaky = { $kitaru: 'v1', json: 'x' };
    const stored = encodeValue(sneaky, 'output', 'cp');
    assert.notEqual(stored, sneaky);
    assert.deepEqual(decodeValue(JSON.parse(JSON.stringify(stored))), sneaky);
  });

  it('names the owner and the path of what cannot be stored', () => {
    assert.throws(() => encodeValue({ user: { socket: () => 1 } }, 'output', 'checkpoint fetch'), {
      name: 'KitaruSerializationError',
      message: /checkpoint fetch: cannot store output\.user\.socket: it is a function/,
    });
    assert.throws(() => encodeValue([Symbol('s')], 'args', 'cp'), { message: /args\[0\]: it is a symbol/ });
    class Conn {}
    assert.throws(() => encodeValue({ c: new Conn() }, 'output', 'cp'), {
      message: /output\.c: it is an instance of class Conn/,
    });
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    assert.throws(() => encodeValue(cyc, 'output', 'cp'), { message: /output\.self: it is a cycle/ });
  });

  it('allows a shared (acyclic) reference', () => {
    const shared = { x: 1 };
    assert.deepEqual(encodeValue({ a: shared, b: shared }, 'output', 'cp'), { a: { x: 1 }, b: { x: 1 } });
  });
});

describe('equal inputs', () => {
  it('hash the same whatever the key order', () => {
    assert.equal(stableStringify({ b: 1, a: [{ d: 1, c: 2 }] }), '{"a":[{"c":2,"d":1}],"b":1}');
    assert.equal(hashEncoded({ a: 1, b: 2 }), hashEncoded({ b: 2, a: 1 }));
    assert.notEqual(hashEncoded({ a: 1 }), hashEncoded({ a: 2 }));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect, isDeepStrictEqual } from 'node:util';
import {
  decodeValue,
  encodeValue,
  hashEncoded,
  MAX_DEPTH,
  sameEncoding,
  stableStringify,
} from '../../src/serialization.js';

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

  it('compare equal to their stored encoding (sameEncoding) only when their hashes are equal', () => {
    // [recorded inputs, inputs now]: the recorded ones go through JSON text, as the store keeps them.
    // The third item says whether they compare equal without hashing (null: either is right).
    const pairs: Array<[unknown, unknown, boolean | null]> = [
      [[1, 'x', { a: [true, null] }], [1, 'x', { a: [true, null] }], true],
      [{ b: 1, a: { d: 1, c: 2 } }, { a: { c: 2, d: 1 }, b: 1 }, true],
      [[new Date(5), new Map([[1, 2]])], [new Date(5), new Map([[1, 2]])], true],
      [[1], [2], false],
      [[1], ['1'], false],
      [[1], [1, 1], false],
      [{ a: 1 }, { a: 1, b: 1 }, false],
      [{ a: [] }, { a: {} }, false],
      [{ a: null }, {}, false],
      [[new Date(5)], [new Date(6)], false],
      // JSON cannot hold undefined: what superjson makes of it must still tell these apart.
      [{ a: undefined, x: 1 }, { x: 1 }, false],
      [{ x: 1 }, { a: undefined, x: 1 }, false],
      [{ a: undefined, x: 1 }, { a: undefined, x: 1 }, null],
      [[1, undefined], [1, undefined], null],
      [[1, undefined], [1, null], false],
    ];
    for (const [recorded, now, same] of pairs) {
      const stored = JSON.parse(JSON.stringify(encodeValue(recorded, 'args', 'cp')));
      const encoded = encodeValue(now, 'args', 'cp');
      const hashesEqual = hashEncoded(encodeValue(recorded, 'args', 'cp')) === hashEncoded(encoded);
      const label = `${inspect(recorded)} then ${inspect(now)}`;
      const result = sameEncoding(encoded, stored);
      if (same !== null) assert.equal(result, same, label);
      if (result) assert.ok(hashesEqual, `${label}: the same encoding, so the same hash`);
      if (same === null) assert.ok(hashesEqual, `${label}: equal inputs, so the same hash`);
    }
  });
});

/** Encodes as a checkpoint output, goes through JSON text as the store does, and decodes. */
function roundTrip(value: unknown): unknown {
  return decodeValue(JSON.parse(JSON.stringify(encodeValue(value, 'output', 'cp'))));
}

/** A value nested `depth` containers deep: `{ a: { a: ... leaf } }` or whatever `wrap` builds. */
function nest(depth: number, leaf: unknown, wrap: (inner: unknown) => unknown = (a) => ({ a })): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = wrap(value);
  return value;
}

/** A sparse array of `length` with only the entries of `at` set (the others are holes). */
function sparse(length: number, at: Record<number, unknown>): unknown[] {
  const array: unknown[] = new Array(length);
  for (const [i, v] of Object.entries(at)) array[Number(i)] = v;
  return array;
}

/** The checks a decoded error passes beside deep equality: class, name, message, stack, code. */
function assertSameError(back: unknown, sent: Error): void {
  assert.ok(back instanceof Error, 'an Error');
  assert.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(sent), 'same built-in class');
  assert.equal(back.name, sent.name);
  assert.equal(back.message, sent.message);
  assert.equal(back.stack, sent.stack);
  assert.equal((back as { code?: unknown }).code, (sent as { code?: unknown }).code);
  assert.deepEqual(Object.keys(back), Object.keys(sent), 'same own enumerable properties');
}

function invalidDateWithProps(): Date {
  return Object.assign(new Date('nope'), { source: 'nope' });
}

function errorWithCode(): Error {
  const err = new TypeError('refused', { cause: new Error('socket closed') });
  return Object.assign(err, { code: 'ECONNREFUSED', port: 5432, at: new Date(7) });
}

class HttpError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

describe('values that come back exactly (encode, JSON text, decode, deep-equal)', () => {
  const cases: Array<[string, () => unknown]> = [
    ['Float64Array with NaN and -0', () => new Float64Array([Number.NaN, -0, 1.5])],
    [
      'Float32Array with infinities',
      () => new Float32Array([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.5]),
    ],
    ['BigInt64Array', () => new BigInt64Array([-(2n ** 63n), 0n, 2n ** 63n - 1n])],
    ['BigUint64Array', () => new BigUint64Array([0n, 2n ** 64n - 1n])],
    ['Uint8Array', () => new Uint8Array([0, 1, 255])],
    ['Uint8ClampedArray', () => new Uint8ClampedArray([0, 255])],
    ['Int8Array', () => new Int8Array([-128, 127])],
    ['Int16Array', () => new Int16Array([-32768, 5, 32767])],
    [
      'Uint16Array, Int32Array, Uint32Array',
      () => [new Uint16Array([65535]), new Int32Array([-1]), new Uint32Array([4294967295])],
    ],
    [
      'a typed array viewing part of a larger buffer',
      () => new Uint8Array(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2),
    ],
    ['ArrayBuffer', () => new Uint8Array([1, 2, 250]).buffer],
    ['DataView', () => new DataView(new Uint8Array([1, 2, 3]).buffer)],
    ['negative zero as a plain number', () => -0],
    ['negative zero inside an object', () => ({ x: -0, y: [0, -0] })],
    [
      'NaN and the infinities as numbers',
      () => [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
    ],
    ['a sparse array', () => sparse(6, { 5: 1 })],
    ['a sparse array with a trailing hole and an undefined', () => sparse(5, { 0: 1, 1: undefined, 3: 3 })],
    ['a sparse array holding rich values', () => sparse(4, { 1: new Date(3), 3: new Map([[1, -0]]) })],
    ['an empty array of length 3', () => new Array(3)],
    [
      'a Date with extra own properties',
      () => Object.assign(new Date(9), { tz: 'UTC', seen: new Set([1n]) }),
    ],
    ['a Date far in the future', () => new Date(8.64e15)],
    [
      'a Map with such values inside',
      () =>
        new Map<unknown, unknown>([
          [Number.NaN, new Float64Array([-0])],
          [-0, sparse(2, { 1: 2 })],
          ['d', Object.assign(new Date(1), { n: 1 })],
        ]),
    ],
    [
      'a Set with such values inside',
      () =>
        new Set<unknown>([
          Number.NaN,
          new BigInt64Array([1n]),
          sparse(2, { 1: 1 }),
          Number.NEGATIVE_INFINITY,
        ]),
    ],
    ['a RegExp part-way through a global search', () => Object.assign(/a/g, { lastIndex: 2 })],
    ['an Error with a cause', () => new Error('outer', { cause: new RangeError('inner') })],
    [
      'an Error whose cause is a plain value',
      () => new Error('outer', { cause: { code: 42, when: new Date(1) } }),
    ],
    ['an Error whose cause is undefined', () => new Error('outer', { cause: undefined })],
    ['an Error without a message', () => new Error()],
    ['an Error with code and other own properties', errorWithCode],
    [
      'each built-in Error class',
      () => [
        new EvalError('e'),
        new RangeError('r'),
        new ReferenceError('f'),
        new SyntaxError('s'),
        new URIError('u'),
      ],
    ],
    ['an AggregateError', () => new AggregateError([new Error('a'), new TypeError('b')], 'both failed')],
    ['an Error with a renamed name', () => Object.assign(new Error('m'), { name: 'CustomName' })],
    ['errors nested in plain data', () => ({ results: [{ ok: false, error: errorWithCode() }] })],
    ['an object nested as deep as allowed', () => nest(MAX_DEPTH - 1, new Date(1))],
    ['arrays nested as deep as allowed', () => nest(MAX_DEPTH, 1, (x) => [x])],
    ['Maps nested as deep as allowed', () => nest(MAX_DEPTH, 1n, (x) => new Map([['k', x]]))],
    ['Sets nested as deep as allowed', () => nest(MAX_DEPTH, 1n, (x) => new Set([x]))],
    ['sparse arrays nested as deep as allowed', () => nest(MAX_DEPTH, 1, (x) => sparse(2, { 1: x }))],
    ['Error causes nested as deep as allowed', () => nest(MAX_DEPTH, 1, (x) => new Error('e', { cause: x }))],
    [
      'Dates with properties nested as deep as allowed',
      () => nest(MAX_DEPTH, 1, (x) => Object.assign(new Date(1), { x })),
    ],
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const sent = make();
      const back = roundTrip(sent);
      assert.ok(isDeepStrictEqual(back, make()), `${name}: got ${inspect(back, { depth: 3 })}`);
      if (sent instanceof Error) assertSameError(back, sent);
    });
  }

  it('an invalid Date comes back an invalid Date, with its own properties', () => {
    // isDeepStrictEqual never equates two invalid Dates (it compares NaN times with !==).
    for (const sent of [new Date('nope'), invalidDateWithProps()]) {
      const back = roundTrip(sent);
      assert.ok(back instanceof Date);
      assert.equal(Object.getPrototypeOf(back), Date.prototype);
      assert.ok(Number.isNaN(back.getTime()));
      assert.deepEqual({ ...back }, { ...sent });
    }
    assert.ok(
      isDeepStrictEqual(roundTrip({ d: [new Date('x')] }), { d: [roundTrip(new Date('y'))] }) === false,
    );
  });

  it('an Error keeps name, message, stack, code, cause and own properties, and its built-in class', () => {
    const sent = errorWithCode();
    const back = roundTrip(sent) as Error;
    assertSameError(back, sent);
    assert.ok(back instanceof TypeError);
    assert.equal((back as { port?: number }).port, 5432);
    assert.deepEqual((back as { at?: Date }).at, new Date(7));
    assertSameError(back.cause, sent.cause as Error);
    const agg = roundTrip(new AggregateError([new TypeError('b')], 'm')) as AggregateError;
    assert.ok(agg instanceof AggregateError);
    assert.ok(agg.errors[0] instanceof TypeError);
  });

  it('a user-defined Error subclass comes back as its built-in base class with the same name, message, stack and own properties', () => {
    const sent = new HttpError('service unavailable', 503);
    const back = roundTrip(sent) as Error;
    assert.equal(Object.getPrototypeOf(back), Error.prototype, 'the class itself is not restored');
    assert.equal(back.name, 'HttpError');
    assert.equal(back.message, sent.message);
    assert.equal(back.stack, sent.stack);
    assert.equal((back as { status?: number }).status, 503);
    class Timeout extends RangeError {
      override get name(): string {
        return 'Timeout';
      }
    }
    const t = roundTrip(new Timeout('slow')) as Error;
    assert.equal(Object.getPrototypeOf(t), RangeError.prototype);
    assert.equal(t.name, 'Timeout');
    assert.deepEqual(Object.keys(t), []);
  });

  it('still decodes values stored before these encodings existed', () => {
    const stored = JSON.parse(
      '{"$kitaru":"v1","json":{"d":"1970-01-01T00:00:00.005Z","t":[1.5,2],"e":{"name":"RangeError","message":"bad"},' +
        '"m":[["k","1"]],"s":["/a/g"],"u":null,"n":"-0"},"meta":{"values":{"d":["Date"],"t":[["typed-array","Float64Array"]],' +
        '"e":["Error"],"m":["map",{"0.1":["bigint"]}],"s":["set",{"0":["regexp"]}],"u":["undefined"],"n":["number"]},"v":1}}',
    );
    const v = decodeValue(stored) as Record<string, unknown>;
    assert.deepEqual(v.d, new Date(5));
    assert.deepEqual(v.t, new Float64Array([1.5, 2]));
    assert.ok(v.e instanceof Error);
    assert.equal((v.e as Error).message, 'bad');
    assert.deepEqual(v.m, new Map([['k', 1n]]));
    assert.deepEqual(v.s, new Set([/a/g]));
    assert.ok('u' in v && v.u === undefined);
    assert.ok(Object.is(v.n, -0));
  });

  it('keeps plain JSON plain, and a valid Date in its readable form', () => {
    const plain = { a: [1, { b: null }], c: 'x' };
    assert.equal(encodeValue(plain, 'output', 'cp'), plain);
    assert.deepEqual(encodeValue(new Date(5), 'output', 'cp'), {
      $kitaru: 'v1',
      json: '1970-01-01T00:00:00.005Z',
      meta: { values: ['Date'], v: 1 },
    });
  });
});

describe('values that cannot come back exactly fail with KitaruSerializationError', () => {
  const failures: Array<[string, () => unknown, RegExp]> = [
    [
      'a value nested 10,000 deep',
      () => ({ user: nest(10_000, 1) }),
      /cp: cannot store output\.user\.a\.a\.a.*: it is nested too deeply \(more than \d+ levels\)/,
    ],
    [
      'arrays nested 10,000 deep',
      () => nest(10_000, 1, (x) => [x]),
      /output\[0\]\[0\]\[0\].*nested too deeply/,
    ],
    [
      'Maps nested one level too deep',
      () => nest(MAX_DEPTH + 1, 1, (x) => new Map([['k', x]])),
      /output\.k\.k.*nested too deeply/,
    ],
    [
      'an object with a symbol key',
      () => ({ x: { [Symbol('id')]: 1 } }),
      /output\.x: it is an object with a symbol key \(Symbol\(id\)\)/,
    ],
    [
      "a function among an Error's own properties",
      () => ({ e: Object.assign(new Error('x'), { retry: () => 1 }) }),
      /output\.e\.retry: it is a function/,
    ],
    [
      "a class instance as an Error's cause",
      () => new Error('x', { cause: new (class Conn {})() }),
      /output\.cause: it is an instance of class Conn/,
    ],
    ['a function on a Date', () => Object.assign(new Date(1), { f() {} }), /output\.f: it is a function/],
    [
      'a Map with its own properties',
      () => Object.assign(new Map(), { extra: 1 }),
      /output: it is a Map with its own properties \(extra\)/,
    ],
    [
      'a subclass of Map',
      () => new (class Registry extends Map {})(),
      /output: it is an instance of class Registry/,
    ],
    [
      'a SharedArrayBuffer',
      () => new SharedArrayBuffer(4),
      /output: it is an instance of class SharedArrayBuffer/,
    ],
  ];
  for (const [name, make, message] of failures) {
    it(name, () => {
      assert.throws(
        () => encodeValue(make(), 'output', 'cp'),
        (err: Error) => {
          assert.equal(err.name, 'KitaruSerializationError');
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  it('shortens the path of a value nested too deeply', () => {
    assert.throws(
      () => encodeValue(nest(10_000, 1), 'output', 'cp'),
      (err: Error) => {
        assert.ok(err.message.length < 400, `message of ${err.message.length} characters`);
        return true;
      },
    );
  });
});

describe('deep values elsewhere', () => {
  it('decodes a deeply nested stored value without overflowing the stack', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`);
    assert.equal(decodeValue(deep), deep);
    const tagged = {
      $kitaru: 'v1',
      json: deep,
      meta: { values: { [Array(10_000).fill('a').join('.')]: ['bigint'] }, v: 1 },
    };
    try {
      decodeValue(tagged);
    } catch (err) {
      assert.equal((err as Error).name, 'KitaruSerializationError');
    }
  });

  it('hashes the encoding of every value that passes the depth check', () => {
    const deepest = [
      nest(MAX_DEPTH - 1, 1),
      nest(MAX_DEPTH - 1, 1n, (x) => new Map([[1, x]])),
      nest(MAX_DEPTH - 1, 1, (x) => sparse(2, { 1: x })),
      nest(MAX_DEPTH - 1, 1, (x) => new Error('e', { cause: x })),
      nest(MAX_DEPTH - 1, 1, (x) => Object.assign(new Date(1), { x })),
    ];
    for (const value of deepest) {
      const stored = encodeValue([value], 'args', 'cp');
      assert.match(hashEncoded(stored), /^[\w-]{43}$/);
      assert.ok(isDeepStrictEqual(decodeValue(JSON.parse(JSON.stringify(stored))), [value]));
    }
  });
});

import SuperJSON from 'superjson';

/**
 * kitaru's own superjson instance. superjson's built-in rules lose what `check` accepts but JSON
 * cannot carry (NaN and -0 inside typed arrays, invalid Dates, holes, an Error's class, stack and
 * own properties), so the types below get custom rules; the built-in rules stay registered, so
 * values stored before these rules existed still decode.
 */
export const codec = new SuperJSON();

/** The Error classes an error comes back as; a user-defined subclass comes back as its nearest one. */
const ERROR_CLASSES = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
  AggregateError,
} as const;
type ErrorClassName = keyof typeof ERROR_CLASSES;

const TYPED_ARRAYS = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;
type TypedArray = InstanceType<(typeof TYPED_ARRAYS)[TypedArrayName]>;
type NumberArrayClass = new (values: number[]) => TypedArray;
type BigIntArrayClass = new (values: bigint[]) => TypedArray;

const typedArrayNames = new Map<object, TypedArrayName>(
  Object.entries(TYPED_ARRAYS).map(([name, ctor]) => [ctor.prototype, name as TypedArrayName]),
);

/** Whether `proto` is that of a binary value stored exactly: a built-in typed array, a DataView, an ArrayBuffer. */
export function isBinaryPrototype(proto: object): boolean {
  return typedArrayNames.has(proto) || proto === DataView.prototype || proto === ArrayBuffer.prototype;
}

function register<I, O>(
  name: string,
  isApplicable: (v: unknown) => v is I,
  serialize: (v: I) => O,
  deserialize: (v: O) => I,
): void {
  codec.registerCustom<I, never>(
    { isApplicable, serialize: serialize as (v: I) => never, deserialize: deserialize as (v: never) => I },
    `kitaru:${name}`,
  );
}

function fail(what: string): never {
  throw new Error(`unknown ${what} in a stored value`);
}

/** Defines own data properties the way assignment would create them, without running setters. */
function defineOwn(target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, enumerable, writable: true, configurable: true });
}

function ownProps(value: object): Record<string, unknown> | undefined {
  const keys = Object.keys(value);
  if (keys.length === 0) return undefined;
  const props: Record<string, unknown> = {};
  for (const k of keys) defineOwn(props, k, (value as Record<string, unknown>)[k], true);
  return props;
}

function assignProps(target: object, props: Record<string, unknown> | undefined): void {
  if (props) for (const k of Object.keys(props)) defineOwn(target, k, props[k], true);
}

// Typed arrays: elements as JSON numbers, except NaN, ±Infinity and -0 (and every BigInt) as strings.

interface TypedArrayJson {
  type: TypedArrayName;
  values: Array<number | string>;
}

function numberJson(n: number): number | string {
  if (Object.is(n, -0)) return '-0';
  return Number.isFinite(n) ? n : String(n);
}

register<TypedArray, TypedArrayJson>(
  'typed-array',
  (v): v is TypedArray => ArrayBuffer.isView(v) && typedArrayNames.has(Object.getPrototypeOf(v)),
  (v) => {
    const type = typedArrayNames.get(Object.getPrototypeOf(v)) as TypedArrayName;
    if (v instanceof BigInt64Array || v instanceof BigUint64Array)
      return { type, values: Array.from(v, String) };
    return { type, values: Array.from(v, numberJson) };
  },
  ({ type, values }) => {
    if (!Object.hasOwn(TYPED_ARRAYS, type)) fail(`typed array type ${type}`);
    if (type === 'BigInt64Array' || type === 'BigUint64Array') {
      return new (TYPED_ARRAYS[type] as BigIntArrayClass)(values.map((x) => BigInt(x)));
    }
    return new (TYPED_ARRAYS[type] as NumberArrayClass)(values.map(Number));
  },
);

// ArrayBuffer and DataView: their bytes (a DataView comes back over a buffer of just its bytes).

register<ArrayBuffer, number[]>(
  'ArrayBuffer',
  (v): v is ArrayBuffer => v instanceof ArrayBuffer,
  (v) => Array.from(new Uint8Array(v)),
  (bytes) => new Uint8Array(bytes).buffer,
);

register<DataView, number[]>(
  'DataView',
  (v): v is DataView => v instanceof DataView,
  (v) => Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)),
  (bytes) => new DataView(new Uint8Array(bytes).buffer),
);

// Dates that are invalid or carry own properties (a plain valid Date keeps superjson's ISO string).
// A Date is a leaf to superjson's walk, so its properties are encoded by a nested call.

interface DateJson {
  iso: string | null;
  props?: ReturnType<SuperJSON['serialize']>;
}

register<Date, DateJson>(
  'Date',
  (v): v is Date => v instanceof Date && (Number.isNaN(v.getTime()) || Object.keys(v).length > 0),
  (v) => {
    const out: DateJson = { iso: Number.isNaN(v.getTime()) ? null : v.toISOString() };
    const props = ownProps(v);
    if (props) out.props = codec.serialize(props as never);
    return out;
  },
  ({ iso, props }) => {
    const date = new Date(iso ?? Number.NaN);
    if (props) assignProps(date, codec.deserialize<Record<string, unknown>>(props, { inPlace: true }));
    return date;
  },
);

// Errors: built-in class, name, message, stack, cause, errors (AggregateError), own properties.
// superjson walks into the record, so a cause or property may itself be any storable value.

interface ErrorJson {
  class: ErrorClassName;
  /** The user-defined class, for readers of the JSON: it is not restored. */
  subclass?: string;
  name: unknown;
  message?: unknown;
  stack?: unknown;
  cause?: unknown;
  errors?: unknown;
  props?: Record<string, unknown>;
}

const errorClassNames = new Map<object, ErrorClassName>(
  Object.entries(ERROR_CLASSES).map(([name, ctor]) => [ctor.prototype, name as ErrorClassName]),
);

function builtInClass(err: Error): ErrorClassName {
  for (let p = Object.getPrototypeOf(err); p !== null; p = Object.getPrototypeOf(p)) {
    const name = errorClassNames.get(p);
    if (name) return name;
  }
  return 'Error';
}

register<Error, ErrorJson>(
  'Error',
  (v): v is Error => v instanceof Error,
  (err) => {
    const cls = builtInClass(err);
    const out: ErrorJson = { class: cls, name: err.name };
    if (Object.getPrototypeOf(err) !== ERROR_CLASSES[cls].prototype) out.subclass = err.constructor?.name;
    if (Object.hasOwn(err, 'message')) out.message = err.message;
    if (typeof err.stack === 'string') out.stack = err.stack;
    if (Object.hasOwn(err, 'cause')) out.cause = err.cause;
    if (err instanceof AggregateError && Object.hasOwn(err, 'errors')) out.errors = err.errors;
    const props = ownProps(err);
    if (props) out.props = props;
    return out;
  },
  (j) => {
    if (!Object.hasOwn(ERROR_CLASSES, j.class)) fail(`error class ${j.class}`);
    const err = j.class === 'AggregateError' ? new AggregateError([]) : new ERROR_CLASSES[j.class]();
    if ('message' in j) defineOwn(err, 'message', j.message, false);
    if ('stack' in j) defineOwn(err, 'stack', j.stack, false);
    else delete err.stack;
    if ('cause' in j) defineOwn(err, 'cause', j.cause, false);
    if ('errors' in j) defineOwn(err, 'errors', j.errors, false);
    assignProps(err, j.props);
    if (err.name !== j.name) defineOwn(err, 'name', j.name, false);
    return err;
  },
);

// Sparse arrays: the length and the entries that exist (JSON has no holes).

interface SparseJson {
  length: number;
  items: Record<string, unknown>;
}

function hasHole(v: unknown[]): boolean {
  for (let i = 0; i < v.length; i++) if (!(i in v)) return true;
  return false;
}

register<unknown[], SparseJson>(
  'sparse-array',
  (v): v is unknown[] => Array.isArray(v) && hasHole(v),
  (v) => {
    const items: Record<string, unknown> = {};
    for (let i = 0; i < v.length; i++) if (i in v) items[i] = v[i];
    return { length: v.length, items };
  },
  ({ length, items }) => {
    if (!Number.isSafeInteger(length) || length < 0) fail(`sparse array length ${length}`);
    const array: unknown[] = new Array(length);
    for (const k of Object.keys(items)) array[Number(k)] = items[k];
    return array;
  },
);

// A RegExp part-way through a global or sticky search keeps its lastIndex.

interface RegExpJson {
  source: string;
  flags: string;
  lastIndex: number;
}

register<RegExp, RegExpJson>(
  'RegExp',
  (v): v is RegExp => v instanceof RegExp && v.lastIndex !== 0,
  (v) => ({ source: v.source, flags: v.flags, lastIndex: v.lastIndex }),
  ({ source, flags, lastIndex }) => Object.assign(new RegExp(source, flags), { lastIndex }),
);

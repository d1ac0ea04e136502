import { isBinaryPrototype } from './value-codec.js';

/**
 * How many levels of objects, arrays, Maps, Sets, Errors and Dates a stored value may nest.
 * superjson's walk recurses through several frames a level (a Date's own properties through a
 * nested encoding): measured on Node 20, Dates with properties overflow the stack near 500 levels
 * and Maps near 1250, so 256 keeps a margin of two or more, far past the depth of real data.
 */
export const MAX_DEPTH = 256;

/** Reports what cannot be stored: the path inside the value, what it is, and what to do instead. */
export type Fail = (path: string, what: string, hint?: string) => never;

interface Walk {
  root: string;
  fail: Fail;
  /** The containers above the current value, outermost first. */
  ancestors: object[];
  /** The keys from the root to the current value: array indexes are numbers. */
  keys: Array<string | number>;
}

/** The path of the current value (`output.user[2].name`); built only when something fails. */
function pathOf(w: Walk, max = Number.POSITIVE_INFINITY): string {
  let path = w.root;
  const n = Math.min(w.keys.length, max);
  for (let i = 0; i < n; i++) {
    const k = w.keys[i] as string | number;
    path += typeof k === 'number' ? `[${k}]` : `.${k}`;
  }
  return n < w.keys.length ? `${path}…` : path;
}

function failHere(w: Walk, what: string): never {
  return w.fail(pathOf(w), what);
}

function describe(value: unknown): string {
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'symbol') return 'a symbol';
  const ctor = (value as object).constructor?.name;
  return ctor ? `an instance of class ${ctor}` : 'an object with a custom prototype';
}

/**
 * Walks a value once and tells whether it is plain JSON; throws through `fail` on what cannot be
 * stored or would not come back the same. Shared (acyclic) references are allowed.
 */
export function checkValue(value: unknown, root: string, fail: Fail): boolean {
  return check(value, { root, fail, ancestors: [], keys: [] });
}

function check(value: unknown, w: Walk): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'undefined':
    case 'bigint':
      return false;
    case 'function':
    case 'symbol':
      return failHere(w, describe(value));
  }
  if (value === null) return true;
  const obj = value as object;
  const { ancestors } = w;
  if (ancestors.length >= MAX_DEPTH) {
    return w.fail(
      pathOf(w, 12),
      `nested too deeply (more than ${MAX_DEPTH} levels)`,
      'Flatten it, or store the deep part as a string.',
    );
  }
  if (ancestors.includes(obj)) return failHere(w, 'a cycle (the value contains itself)');
  ancestors.push(obj);
  try {
    if (Array.isArray(obj)) return checkArray(obj, w);
    const proto = Object.getPrototypeOf(obj);
    if (proto === Object.prototype || proto === null) return checkProps(obj, w);
    checkRich(obj, proto, w);
    return false;
  } finally {
    ancestors.pop();
  }
}

function checkArray(array: unknown[], w: Walk): boolean {
  let plain = true;
  for (let i = 0; i < array.length; i++) {
    if (!(i in array)) {
      plain = false;
      continue;
    }
    w.keys.push(i);
    if (!check(array[i], w)) plain = false;
    w.keys.pop();
  }
  return plain;
}

/** Own enumerable properties of a plain object, a Date or an Error. */
function checkProps(obj: object, w: Walk): boolean {
  let plain = true;
  for (const key of Object.keys(obj)) {
    w.keys.push(key);
    if (!check((obj as Record<string, unknown>)[key], w)) plain = false;
    w.keys.pop();
  }
  const symbols = Object.getOwnPropertySymbols(obj);
  for (const s of symbols) {
    if (Object.prototype.propertyIsEnumerable.call(obj, s)) {
      failHere(w, `an object with a symbol key (${String(s)})`);
    }
  }
  return plain;
}

function checkChild(key: string, value: unknown, w: Walk): void {
  w.keys.push(key);
  check(value, w);
  w.keys.pop();
}

function noOwnProps(obj: object, label: string, w: Walk): void {
  const keys = Object.keys(obj);
  if (keys.length > 0) failHere(w, `${label} with its own properties (${keys.join(', ')})`);
}

function checkMap(obj: object, w: Walk): void {
  noOwnProps(obj, 'a Map', w);
  let i = 0;
  for (const [k, v] of obj as Map<unknown, unknown>) {
    checkChild(`<key ${i}>`, k, w);
    checkChild(typeof k === 'string' ? k : `<value ${i}>`, v, w);
    i++;
  }
}

function checkSet(obj: object, w: Walk): void {
  noOwnProps(obj, 'a Set', w);
  let i = 0;
  for (const v of obj as Set<unknown>) checkChild(`<item ${i++}>`, v, w);
}

function checkError(obj: Error, w: Walk): void {
  checkProps(obj, w);
  if (Object.hasOwn(obj, 'cause')) checkChild('cause', obj.cause, w);
  if (obj instanceof AggregateError && Object.hasOwn(obj, 'errors')) checkChild('errors', obj.errors, w);
}

/** A value that is not plain JSON: storable (tagged) or a failure. */
function checkRich(obj: object, proto: object, w: Walk): void {
  if (proto === Map.prototype) checkMap(obj, w);
  else if (proto === Set.prototype) checkSet(obj, w);
  else if (proto === Date.prototype) checkProps(obj, w);
  else if (obj instanceof Error) checkError(obj, w);
  else if (proto === RegExp.prototype) noOwnProps(obj, 'a RegExp', w);
  else if (proto === URL.prototype) noOwnProps(obj, 'a URL', w);
  else if (!isBinaryPrototype(proto)) failHere(w, describe(obj));
}

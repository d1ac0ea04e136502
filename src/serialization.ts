import crypto, { createHash } from 'node:crypto';
import SuperJSON from 'superjson';
import { KitaruSerializationError } from './errors.js';

/** A JSON value as it sits on disk. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The tag of a non-plain value on disk: `{ "$kitaru": "v1", "json": ..., "meta": ... }`, where
 * `json`/`meta` are superjson's. A plain JSON value is stored as itself; a plain object that
 * happens to have a top-level `$kitaru` key is tagged too, so the two can never be confused.
 */
export const TAG = '$kitaru';
const TAG_VERSION = 'v1';

const RICH = [Date, RegExp, URL, Map, Set, Error] as const;

function isRich(value: object): boolean {
  if (ArrayBuffer.isView(value)) return true;
  for (const ctor of RICH) if (value instanceof ctor) return true;
  return false;
}

function describe(value: unknown): string {
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'symbol') return 'a symbol';
  const ctor = (value as object).constructor?.name;
  return ctor ? `an instance of class ${ctor}` : 'an object with a custom prototype';
}

/**
 * Walks a value and tells whether it is plain JSON; throws on what cannot be stored.
 * `ancestors` detects cycles; shared (acyclic) references are allowed.
 */
function check(
  value: unknown,
  path: string,
  ancestors: object[],
  fail: (path: string, what: string) => never,
): boolean {
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
      return fail(path, describe(value));
  }
  if (value === null) return true;
  const obj = value as object;
  if (ancestors.includes(obj)) return fail(path, 'a cycle (the value contains itself)');
  ancestors.push(obj);
  try {
    if (Array.isArray(obj)) {
      let plain = true;
      for (let i = 0; i < obj.length; i++) {
        if (!(i in obj)) plain = false;
        else if (!check(obj[i], `${path}[${i}]`, ancestors, fail)) plain = false;
      }
      return plain;
    }
    if (obj instanceof Map) {
      let i = 0;
      for (const [k, v] of obj) {
        check(k, `${path}.<key ${i}>`, ancestors, fail);
        check(v, `${path}.${typeof k === 'string' ? k : `<value ${i}>`}`, ancestors, fail);
        i++;
      }
      return false;
    }
    if (obj instanceof Set) {
      let i = 0;
      for (const v of obj) check(v, `${path}.<item ${i++}>`, ancestors, fail);
      return false;
    }
    if (isRich(obj)) return false;
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) return fail(path, describe(obj));
    let plain = true;
    for (const key of Object.keys(obj)) {
      if (!check((obj as Record<string, unknown>)[key], `${path}.${key}`, ancestors, fail)) plain = false;
    }
    if (Object.getOwnPropertySymbols(obj).length > 0) plain = false;
    return plain;
  } finally {
    ancestors.pop();
  }
}

/**
 * Encodes a value for the store. `root` names it in errors (`output`, `args`), `owner` names the
 * checkpoint or flow. Throws `KitaruSerializationError` naming both and the path inside the value.
 */
export function encodeValue(value: unknown, root: string, owner: string): Json {
  const fail = (path: string, what: string): never => {
    throw new KitaruSerializationError(
      `${owner}: cannot store ${path}: it is ${what}. Return plain data (JSON, Date, Map, Set, BigInt, ` +
        'URL, RegExp, Error, typed arrays) from checkpoints and flows.',
    );
  };
  const plain = check(value, root, [], fail);
  if (plain && !(typeof value === 'object' && value !== null && !Array.isArray(value) && TAG in value)) {
    return value as Json;
  }
  const { json, meta } = SuperJSON.serialize(value);
  const tagged: { [key: string]: Json } = { [TAG]: TAG_VERSION, json: (json ?? null) as Json };
  if (meta) tagged.meta = meta as unknown as Json;
  return tagged;
}

/** Decodes a stored value back to what the user returned. */
export function decodeValue(stored: unknown): unknown {
  if (typeof stored === 'object' && stored !== null && !Array.isArray(stored)) {
    const s = stored as Record<string, unknown>;
    if (s[TAG] === TAG_VERSION) {
      return SuperJSON.deserialize({ json: s.json as never, meta: s.meta as never });
    }
  }
  return stored;
}

/** JSON text with object keys sorted, so equal values have equal text. */
export function stableStringify(value: Json | undefined): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v)).join(',')}]`;
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (i > 0) out += ',';
    out += `${JSON.stringify(k)}:${stableStringify(value[k])}`;
  }
  return `${out}}`;
}

/** Hash of an encoded value (sha256 over its key-sorted encoding, base64url). */
export function hashEncoded(value: Json): string {
  const text = stableStringify(value);
  return oneShotHash
    ? oneShotHash('sha256', text, 'base64url')
    : createHash('sha256').update(text).digest('base64url');
}

// crypto.hash (Node >= 20.12) skips the Hash object: this runs once per checkpoint call.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string })
  .hash;

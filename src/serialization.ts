import crypto, { createHash } from 'node:crypto';
import { KitaruSerializationError } from './errors.js';
import { checkValue } from './value-check.js';
import { codec } from './value-codec.js';

/** A JSON value as it sits on disk. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The tag of a non-plain value on disk: `{ "$kitaru": "v1", "json": ..., "meta": ... }`, where
 * `json`/`meta` are superjson's. A plain JSON value is stored as itself; a plain object that
 * happens to have a top-level `$kitaru` key is tagged too, so the two can never be confused.
 */
export const TAG = '$kitaru';
const TAG_VERSION = 'v1';

export { MAX_DEPTH } from './value-check.js';

const STORABLE =
  'Return plain data (JSON, Date, Map, Set, BigInt, URL, RegExp, Error, typed arrays, ArrayBuffer, DataView) ' +
  'from checkpoints and flows.';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Encodes a value for the store. `root` names it in errors (`output`, `args`), `owner` names the
 * checkpoint or flow. Throws `KitaruSerializationError` naming both and the path inside the value.
 */
export function encodeValue(value: unknown, root: string, owner: string): Json {
  // Most inputs and outputs are a scalar or a short list of scalars: no walk, no closure for them.
  if (isPlainScalar(value) || (Array.isArray(value) && scalarsOnly(value))) return value as Json;
  const fail = (path: string, what: string, hint = STORABLE): never => {
    throw new KitaruSerializationError(`${owner}: cannot store ${path}: it is ${what}. ${hint}`);
  };
  const plain = checkValue(value, root, fail);
  if (plain && !(typeof value === 'object' && value !== null && !Array.isArray(value) && TAG in value)) {
    return value as Json;
  }
  let encoded: ReturnType<typeof codec.serialize>;
  try {
    encoded = codec.serialize(value as never);
  } catch (err) {
    throw new KitaruSerializationError(
      `${owner}: cannot store ${root}: encoding failed (${messageOf(err)}).`,
      {
        cause: err,
      },
    );
  }
  const tagged: { [key: string]: Json } = { [TAG]: TAG_VERSION, json: (encoded.json ?? null) as Json };
  if (encoded.meta) tagged.meta = encoded.meta as unknown as Json;
  return tagged;
}

/**
 * `encodeValue` for a call's inputs or output (`owner` is `<kind> <id>`, made only when the value
 * needs the full walk): what every call encodes twice.
 */
export function encodeCallValue(value: unknown, root: string, kind: string, id: string): Json {
  if (isPlainScalar(value) || (Array.isArray(value) && scalarsOnly(value))) return value as Json;
  return encodeValue(value, root, `${kind} ${id}`);
}

/** A value stored as itself with nothing to walk: a string, a boolean, null, a finite number but -0. */
function isPlainScalar(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    default:
      return value === null;
  }
}

/** A short array with no holes, each item a plain scalar (what `checkValue` calls plain, checked at once). */
function scalarsOnly(array: unknown[]): boolean {
  if (array.length > 16) return false;
  for (let i = 0; i < array.length; i++) if (!(i in array) || !isPlainScalar(array[i])) return false;
  return true;
}

/** Decodes a stored value back to what the user returned; `KitaruSerializationError` if it cannot. */
export function decodeValue(stored: unknown): unknown {
  if (typeof stored === 'object' && stored !== null && !Array.isArray(stored)) {
    const s = stored as Record<string, unknown>;
    if (s[TAG] === TAG_VERSION) {
      try {
        return codec.deserialize({ json: s.json as never, meta: s.meta as never });
      } catch (err) {
        throw new KitaruSerializationError(`cannot decode a stored value: ${messageOf(err)}.`, {
          cause: err,
        });
      }
    }
  }
  return stored;
}

/** JSON text with object keys sorted, so equal values have equal text. */
export function stableStringify(value: Json | undefined): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += stableStringify(value[i]);
    }
    return `${out}]`;
  }
  const keys = Object.keys(value).sort();
  out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (i > 0) out += ',';
    out += `${JSON.stringify(k)}:${stableStringify(value[k])}`;
  }
  return `${out}}`;
}

/**
 * Whether an encoded value is the same JSON as `stored`, an encoding read back from the store:
 * then both have the same key-sorted text, so the same hash, and comparing costs less than
 * hashing. False when unsure (an `undefined` inside, which a stored value cannot hold): the caller
 * compares hashes then.
 */
export function sameEncoding(value: unknown, stored: unknown): boolean {
  if (typeof value !== 'object' || value === null) return value === stored && value !== undefined;
  if (typeof stored !== 'object' || stored === null) return false;
  if (Array.isArray(value)) return Array.isArray(stored) && sameItems(value, stored);
  return (
    !Array.isArray(stored) && sameProps(value as Record<string, unknown>, stored as Record<string, unknown>)
  );
}

function sameItems(value: unknown[], stored: unknown[]): boolean {
  if (value.length !== stored.length) return false;
  for (let i = 0; i < value.length; i++) if (!sameEncoding(value[i], stored[i])) return false;
  return true;
}

function sameProps(value: Record<string, unknown>, stored: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  if (keys.length !== Object.keys(stored).length) return false;
  for (const k of keys) if (!Object.hasOwn(stored, k) || !sameEncoding(value[k], stored[k])) return false;
  return true;
}

/** Hash of an encoded value (sha256 over its key-sorted encoding, base64url). */
export function hashEncoded(value: Json): string {
  // A list of scalars has no keys to sort: JSON.stringify gives the same text.
  const text = Array.isArray(value) && scalarsOnly(value) ? JSON.stringify(value) : stableStringify(value);
  return oneShotHash
    ? oneShotHash('sha256', text, 'base64url')
    : createHash('sha256').update(text).digest('base64url');
}

// crypto.hash (Node >= 20.12) skips the Hash object: this runs once per checkpoint call.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string })
  .hash;

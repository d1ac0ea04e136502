import { KitaruUsageError } from '../errors.js';
import { callerFrame, siteText } from './call-site.js';

/** Resolves the name of a checkpoint or flow from its call form: options.name, the string, fn.name. */
export function resolveName(kind: 'checkpoint' | 'flow', explicit: unknown, fn: unknown): string {
  if (typeof fn !== 'function') {
    throw new KitaruUsageError(`${kind}() needs a function as its last argument, got ${typeof fn}.`);
  }
  if (explicit !== undefined) {
    if (typeof explicit !== 'string' || explicit.trim() === '') {
      throw new KitaruUsageError(`${kind} name must be a non-empty string, got ${JSON.stringify(explicit)}.`);
    }
    return explicit;
  }
  if (fn.name) return fn.name;
  // An arrow given as an argument has no name; the user's line is the only way to point at it.
  const site = callerFrame();
  const example = kind === 'checkpoint' ? 'fetch' : 'main';
  throw new KitaruUsageError(
    `${kind}${site ? ` at ${siteText(site)}` : ''} has no name: give it a name (${kind}('${example}', fn)) ` +
      `or use a named function (${kind}(async function ${example}() {...})).`,
  );
}

function where(kind: string, name: string): string {
  return `${kind} "${name}"`;
}

/** A non-negative integer option, else `KitaruUsageError` naming the owner. */
export function intOption(kind: string, name: string, key: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new KitaruUsageError(
      `${where(kind, name)}: ${key} must be an integer >= 0, got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** A number option with a lower bound, else `KitaruUsageError` naming the owner. */
export function numberOption(
  kind: string,
  name: string,
  key: string,
  value: unknown,
  fallback: number,
  min: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new KitaruUsageError(
      `${where(kind, name)}: ${key} must be a number >= ${min}, got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** Rejects option keys kitaru does not know (a typo would otherwise be silently ignored). */
export function knownKeys(kind: string, name: string, options: object, keys: string[]): void {
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) {
      throw new KitaruUsageError(
        `${where(kind, name)}: unknown option "${key}" (known: ${keys.join(', ')}).`,
      );
    }
  }
}

/** Milliseconds to wait before retry number `retry` (1-based). */
export function retryDelay(retryDelayMs: number, backoffFactor: number, retry: number): number {
  return retryDelayMs * backoffFactor ** (retry - 1);
}

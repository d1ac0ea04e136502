import type { FlowArgs } from './parse-input.js';

const QUOTES = `"'\``;

/** Where the string literal opening at `start` closes (its closing quote's index). */
function stringEnd(src: string, start: number): number {
  const quote = src[start];
  for (let i = start + 1; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === quote) return i;
  }
  return src.length;
}

/** Each character of `src` from `from` on, outside string literals, with its bracket depth. */
function* scan(src: string, from: number): Generator<[index: number, char: string, depth: number]> {
  let depth = 0;
  for (let i = from; i < src.length; i++) {
    const c = src[i] as string;
    if (QUOTES.includes(c)) {
      i = stringEnd(src, i);
      continue;
    }
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    yield [i, c, depth];
  }
}

/** Whether the first parameter list of a function's source has a default (`=`) or a rest (`...`). */
function hasDefaultOrRest(src: string): boolean {
  const open = src.indexOf('(');
  const arrow = src.indexOf('=>');
  if (open < 0 || (arrow >= 0 && arrow < open)) return false;
  for (const [i, c, depth] of scan(src, open)) {
    if (depth === 0) return false; // the list closed
    if (depth === 1 && (c === '=' || src.startsWith('...', i))) return true;
  }
  return false;
}

// Read from the function's source because `fn.length` stops at the first default and skips a
// rest parameter: with either, extra arguments may be meant.
function takesOptionalParameters(fn: (...args: never[]) => unknown): boolean {
  return hasDefaultOrRest(Function.prototype.toString.call(fn));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function shortList(values: unknown[]): string {
  const text = values.map((v) => JSON.stringify(v)).join(', ');
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/**
 * A warning when `--args` gives a flow more arguments than its function takes (they would be
 * dropped), else null. Most often a JSON array meant as the one argument, which was spread.
 * Fewer arguments are not warned of: a TypeScript optional parameter (`limit?: number`) still
 * counts in `fn.length`, so a shortfall may well be meant.
 */
export function argsCountWarning(
  flowName: string,
  fn: (...args: never[]) => unknown,
  given: FlowArgs,
): string | null {
  const declared = fn.length;
  const count = given.values.length;
  if (count <= declared || takesOptionalParameters(fn)) return null;
  const head = given.spread
    ? `${given.option} is a JSON array, so it was spread as ${plural(count, 'argument')}`
    : `${given.option} gives 1 argument`;
  const what = `${head} (${shortList(given.values)}), but flow "${flowName}" ${declared === 0 ? 'takes no parameters' : `declares ${plural(declared, 'parameter')}`}`;
  if (declared !== 1 || !given.spread) {
    return `${what}; the extra ${count - declared === 1 ? 'one is' : 'ones are'} ignored. Give a JSON array with one item per parameter.`;
  }
  const wrapped = JSON.stringify([given.values]);
  const fromFile = given.option !== '--args';
  const shown = wrapped.length <= 100 && (fromFile || !wrapped.includes("'")) ? wrapped : '[[...]]';
  return fromFile
    ? `${what}. To pass the array as one argument, wrap it in the file: ${shown}.`
    : `${what}. To pass the array as one argument, wrap it: --args '${shown}'.`;
}

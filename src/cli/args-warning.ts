import type { FlowArgs } from './parse-input.js';

// Read from the function's source because `fn.length` stops at the first default and skips a
// rest parameter: with either, extra arguments may be meant.
function takesOptionalParameters(fn: (...args: never[]) => unknown): boolean {
  const src = Function.prototype.toString.call(fn);
  const open = src.indexOf('(');
  const arrow = src.indexOf('=>');
  if (open < 0 || (arrow >= 0 && arrow < open)) return false;
  let depth = 0;
  let quote = '';
  for (let i = open; i < src.length; i++) {
    const c = src[i] as string;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) {
      depth--;
      if (depth === 0) return false;
    } else if (depth === 1 && (c === '=' || src.startsWith('...', i))) return true;
  }
  return false;
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

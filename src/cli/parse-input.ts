import { readFileSync } from 'node:fs';
import { KitaruUsageError } from '../errors.js';
import { checkIdOptions, checkOnConflict, type OnConflict } from '../runtime/caller-ids.js';

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new KitaruUsageError(
      `${what} is not valid JSON (${(err as Error).message}): ${text.slice(0, 80)}`,
      {
        cause: err,
      },
    );
  }
}

/** Flow arguments from `--args` or `--args-file`, and how they were read. */
export interface FlowArgs {
  /** The arguments, in order. */
  values: unknown[];
  /** Whether the JSON was an array, spread as the arguments. */
  spread: boolean;
  /** The option they came from, as typed: `--args` or `--args-file <path>`. */
  option: string;
}

/** `--args`: a JSON array is spread as positional arguments; any other JSON value is the single argument. */
export function parseFlowArgs(args: string | undefined, argsFile: string | undefined): FlowArgs | undefined {
  if (args !== undefined && argsFile !== undefined) {
    throw new KitaruUsageError('give either --args or --args-file, not both.');
  }
  let text = args;
  let option = '--args';
  if (argsFile !== undefined) {
    option = `--args-file ${argsFile}`;
    try {
      text = readFileSync(argsFile, 'utf8');
    } catch (err) {
      throw new KitaruUsageError(`cannot read --args-file ${argsFile}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  if (text === undefined) return undefined;
  const value = parseJson(text, option);
  return Array.isArray(value)
    ? { values: value, spread: true, option }
    : { values: [value], spread: false, option };
}

/** `--override checkpoint.<sel>=<json>` or `wait.<sel>=<json>` (repeatable) and `--overrides <json object>`, merged. */
export function parseOverrides(pairs: string[], all: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (all !== undefined) {
    const value = parseJson(all, '--overrides');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new KitaruUsageError(
        '--overrides must be a JSON object, like {"checkpoint.fetchData": "cached"}.',
      );
    }
    Object.assign(out, value);
  }
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 0) {
      throw new KitaruUsageError(
        `--override "${pair}" is not of the form checkpoint.<call-id>=<json> or wait.<wait-id>=<json>.`,
      );
    }
    out[pair.slice(0, eq)] = parseJson(pair.slice(eq + 1), `--override ${pair.slice(0, eq)}`);
  }
  return out;
}

/** A non-negative integer option such as `--limit`. */
export function parseCount(value: string, option: string): number {
  if (!/^\d+$/.test(value))
    throw new KitaruUsageError(`${option} must be a whole number >= 0, got "${value}".`);
  return Number(value);
}

/** The answer of `kitaru input`: the JSON given, or the JSON of `--file`; one of them. */
export function parseAnswer(json: string | undefined, file: string | undefined): unknown {
  if ((json === undefined) === (file === undefined)) {
    throw new KitaruUsageError(
      "give the answer as JSON (kitaru input <exec-id> <wait-id> '<json>') or with --file <path>, one of them.",
    );
  }
  if (file === undefined) return parseJson(json as string, 'the answer');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KitaruUsageError(`cannot read --file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseJson(text, `--file ${file}`);
}

/**
 * `--id` and `--on-conflict`, checked (a `KitaruUsageError` naming the rule otherwise);
 * `--on-conflict` without `--id` is a mistake too.
 */
export function idOptionsOf(options: { id?: string; onConflict?: string }): {
  id?: string;
  onConflict?: OnConflict;
} {
  if (options.onConflict !== undefined && options.id === undefined) {
    checkOnConflict(options.onConflict);
    throw new KitaruUsageError('--on-conflict needs --id: only an id of your own can exist already.');
  }
  return checkIdOptions(options);
}

/** `--wait` without `--queue` is a mistake: a run in this process waits for its end anyway. */
export function checkWaitOption(options: { queue?: boolean; wait?: boolean }): void {
  if (options.wait && !options.queue) {
    throw new KitaruUsageError(
      '--wait goes with --queue: it waits for a worker to end the queued execution (without --queue, the command runs it and waits anyway).',
    );
  }
}

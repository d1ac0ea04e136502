import { KitaruStateError, KitaruUsageError } from '../errors.js';

/** The characters and length of a caller-chosen execution id. */
const ALLOWED = /^[A-Za-z0-9._:-]{1,100}$/;
/**
 * What a generated id could be mistaken for: 22 lowercase letters and digits. Generated ids use
 * lowercase Crockford base32 (see ids.ts), but the rule is the wider, documented one: a caller
 * need not know which letters Crockford leaves out.
 */
const GENERATED = /^[0-9a-z]{22}$/;

/** The rule, as error messages state it. */
export const ID_RULE =
  'an execution id is 1 to 100 characters of A-Z a-z 0-9 . _ : -, does not start with a dot or a dash, ' +
  'and is not 22 lowercase letters and digits (the shape of a generated id)';

/** Whether `id` has the shape of an id kitaru generates. */
export function looksGenerated(id: string): boolean {
  return GENERATED.test(id);
}

/**
 * Checks a caller-chosen execution id (`--id`, `{ id }`); a `KitaruUsageError` naming the rule
 * otherwise. A leading dot is refused too (such an id would be a hidden folder in `.kitaru/`), and
 * a leading dash (every command would read the id as an option).
 */
export function checkExecutionId(id: unknown): string {
  if (typeof id !== 'string' || !ALLOWED.test(id) || /^[.-]/.test(id) || looksGenerated(id)) {
    const shown = typeof id === 'string' ? JSON.stringify(id) : String(id);
    throw new KitaruUsageError(`invalid execution id ${shown}: ${ID_RULE}.`);
  }
  return id;
}

/** What starting an id that exists does: wait for it and report it (`attach`), or refuse (`fail`). */
export type OnConflict = 'attach' | 'fail';

/** Checks an `--on-conflict` / `onConflict` value; a `KitaruUsageError` naming the choices otherwise. */
export function checkOnConflict(value: unknown): OnConflict {
  if (value === 'attach' || value === 'fail') return value;
  throw new KitaruUsageError(
    `invalid on-conflict value ${JSON.stringify(value)}: use attach (wait for the existing execution) or fail.`,
  );
}

/** The `KitaruStateError` of an id that exists, started with `--on-conflict fail`. */
export function existsError(execId: string): KitaruStateError {
  return new KitaruStateError(
    `execution ${execId} exists already: an id names one execution. Choose another id, or leave out ` +
      `--on-conflict fail (onConflict: 'fail') to attach to it; see it with \`kitaru inspect ${execId}\`.`,
  );
}

/** A caller's `id` and `onConflict`, each checked; the ones given. */
export function checkIdOptions(options: { id?: unknown; onConflict?: unknown }): {
  id?: string;
  onConflict?: OnConflict;
} {
  const out: { id?: string; onConflict?: OnConflict } = {};
  if (options.id !== undefined) out.id = checkExecutionId(options.id);
  if (options.onConflict !== undefined) out.onConflict = checkOnConflict(options.onConflict);
  return out;
}

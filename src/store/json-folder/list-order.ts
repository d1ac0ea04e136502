import { type Created, creationMs, hasTime, idTime, newestFirst } from '../creation-order.js';
import type { CreationIndex } from './creation-index.js';

/** The `createdAt` of an execution read from its folder; null when it cannot be read. */
export type CreatedAtOf = (id: string) => Promise<string | null>;

/**
 * The `createdAt` of each of `names` whose id does not carry its time: from the creation index,
 * else (a store older than the index, or a line lost in a crash) from the execution's record.
 */
export async function chosenCreations(
  names: string[],
  index: CreationIndex,
  createdAtOf: CreatedAtOf,
): Promise<Map<string, string | null>> {
  const chosen = names.filter((id) => !hasTime(id));
  const out = new Map<string, string | null>();
  if (chosen.length === 0) return out; // a store of generated ids only: the index is not read
  const known = index.read();
  for (const id of chosen) out.set(id, known.get(id) ?? (await createdAtOf(id)));
  return out;
}

/** Merges two lists that are each newest first into one. */
function merge(a: Created[], b: Created[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as Created;
    const y = b[j] as Created;
    const first = newestFirst(x, y) <= 0;
    out.push(first ? x.id : y.id);
    if (first) i++;
    else j++;
  }
  for (; i < a.length; i++) out.push((a[i] as Created).id);
  for (; j < b.length; j++) out.push((b[j] as Created).id);
  return out;
}

/**
 * Execution folder names, newest first by creation time: a generated id's from its name, another's
 * from `chosenCreations`. One whose record cannot be read goes last (`list` reports it there).
 * Generated ids sort by time as text (a fixed-width time first): a native sort, with no key per
 * id, and a store of generated ids only costs what it did before the index.
 */
export async function newestFirstIds(
  names: string[],
  index: CreationIndex,
  createdAtOf: CreatedAtOf,
): Promise<string[]> {
  const generated = names.filter(hasTime).sort().reverse();
  if (generated.length === names.length) return generated;
  const chosen = [...(await chosenCreations(names, index, createdAtOf))].map(([id, createdAt]) => ({
    id,
    ms: createdAt === null ? Number.NEGATIVE_INFINITY : creationMs(id, createdAt),
  }));
  const keyed = generated.map((id) => ({ id, ms: idTime(id) as number }));
  return merge(keyed, chosen.sort(newestFirst));
}

/**
 * Brings the creation index in line with the folders (at the start of a gc): entries of deleted
 * executions dropped, executions it missed added. Rewritten only when that changes something.
 */
export async function compactIndex(
  names: string[],
  index: CreationIndex,
  createdAtOf: CreatedAtOf,
): Promise<boolean> {
  const { times, lines } = index.readAll();
  const chosen = await chosenCreations(names, index, createdAtOf);
  const entries = new Map<string, string>();
  for (const [id, createdAt] of chosen) if (createdAt !== null) entries.set(id, createdAt);
  const same = lines === entries.size && [...entries].every(([id, at]) => times.get(id) === at);
  if (same) return false;
  index.rewrite(entries);
  return true;
}

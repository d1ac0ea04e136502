import { creationMs, idTime, newestFirst } from '../creation-order.js';
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
  const chosen = names.filter((id) => idTime(id) === null);
  const out = new Map<string, string | null>();
  if (chosen.length === 0) return out; // a store of generated ids only: the index is not read
  const known = index.read();
  for (const id of chosen) out.set(id, known.get(id) ?? (await createdAtOf(id)));
  return out;
}

/**
 * Execution folder names, newest first by creation time: a generated id's from its name, another's
 * from `chosenCreations`. One whose record cannot be read goes last (`list` reports it there).
 */
export async function newestFirstIds(
  names: string[],
  index: CreationIndex,
  createdAtOf: CreatedAtOf,
): Promise<string[]> {
  const chosen = await chosenCreations(names, index, createdAtOf);
  const keyed = names.map((id) => {
    const createdAt = chosen.get(id);
    const ms = createdAt === null ? Number.NEGATIVE_INFINITY : creationMs(id, createdAt ?? '');
    return { id, ms };
  });
  return keyed.sort(newestFirst).map((k) => k.id);
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

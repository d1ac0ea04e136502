import { appendFileSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../atomic-write.js';
import { idTime } from '../creation-order.js';
import { osError } from '../os-error.js';

/** An index line: an execution's creation, or (`deleted`) its deletion. */
interface Line {
  id: string;
  createdAt?: string;
  deleted?: true;
}

function parseLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null; // torn by a crash
  }
}

/** The index's lines parsed: at once as one array (fast), else (a line torn) line by line. */
function parseLines(raws: string[]): unknown[] {
  try {
    return JSON.parse(`[${raws.join(',')}]`) as unknown[];
  } catch {
    return raws.map(parseLine);
  }
}

/** Applies one index line to `times`; anything but a creation or deletion line is left out. */
function apply(times: Map<string, string>, value: unknown): void {
  const v = value as Partial<Line> | null;
  if (typeof v?.id !== 'string') return;
  if (typeof v.createdAt === 'string') times.set(v.id, v.createdAt);
  else if (v.deleted === true) times.delete(v.id);
}

/**
 * `created.jsonl`: the creation times of the executions whose id does not carry its time (ids a
 * caller chose, a schedule's `<name>@<tick>`), so that `list` can order them without reading
 * their folders. Append-only, one line per creation and per deletion; a line lost or torn by a
 * crash costs nothing but a read: an execution the index does not name is read from its folder.
 * Written as a hint after the fact, never trusted over the folders: an entry whose folder is
 * gone is no execution.
 */
export function createCreationIndex(file: string, tmpDir: string) {
  function append(line: Line): void {
    // A line that does not make it to disk is found again from the execution's own record.
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {}
  }

  /** Each named execution's creation time (an id's last line wins), and the lines (whole or not). */
  function readAll(): { times: Map<string, string>; lines: number } {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { times: new Map(), lines: 0 };
      throw osError('read store file', file, err);
    }
    const times = new Map<string, string>();
    const raws = text.split('\n').filter(Boolean);
    for (const value of parseLines(raws)) apply(times, value);
    return { times, lines: raws.length };
  }

  return {
    /** Notes that execution `id` was created at `createdAt` (after its creation won), unless its id tells. */
    created(id: string, createdAt: string): void {
      if (idTime(id) === null) append({ id, createdAt });
    },

    /** Notes that execution `id` was deleted (one the index may name). */
    deleted(id: string): void {
      if (idTime(id) === null) append({ id, deleted: true });
    },

    /** The creation time of each execution the index names, the last line of an id winning. */
    read: (): Map<string, string> => readAll().times,

    readAll,

    /** Rewrites the index (atomically) as these entries, one line each: deleted ones left out. */
    rewrite(entries: Map<string, string>): void {
      let text = '';
      for (const [id, createdAt] of entries) text += `${JSON.stringify({ id, createdAt })}\n`;
      writeFileAtomicSync(file, text, undefined, tmpDir);
    },
  };
}

/** The creation index of a store. */
export type CreationIndex = ReturnType<typeof createCreationIndex>;

import type { CallRef } from './call-index.js';
import { emptyJournal, type JournalContent, parseLines } from './journal-reader.js';

/** Text of lines kept to parse later, past which a mirror is given up (a run, not a replay). */
const MAX_TEXT = 1 << 20;

/**
 * What a store writes to a journal it created, kept as it is written: reused calls' references as
 * the objects a read would make, other lines as their text. Reading the execution back right
 * after it ends (a replay, read back by its caller) then parses only those other lines, not the
 * reference lines the replay just wrote. Given up once the text kept passes 1 MB.
 */
export interface JournalMirror {
  /** Notes a line just queued for the journal: `ref` when it is a reused call's reference. */
  add(line: string, ref?: CallRef): void;
  /** The journal as written, parsed, and its number of lines; null if given up. */
  content(file: string, id: string): { content: JournalContent; lines: number } | null;
}

export function createMirror(startLine: string): JournalMirror {
  let items: Array<string | CallRef> | null = [startLine];
  let text = startLine.length;
  return {
    add(line, ref) {
      if (!items) return;
      if (ref) {
        items.push(ref);
        return;
      }
      text += line.length;
      if (text > MAX_TEXT) items = null;
      else items.push(line);
    },
    content(file, id) {
      if (!items) return null;
      const out = emptyJournal();
      let lines = 0;
      let batch: string[] = [];
      // Consecutive text lines are parsed together, as a read parses a journal.
      const parseBatch = (): boolean => {
        if (batch.length === 0) return true;
        const parsed = parseLines(file, `${batch.join('\n')}\n`, id, out, lines);
        if (parsed.lines !== batch.length) return false;
        lines += batch.length;
        batch = [];
        return true;
      };
      for (const item of items) {
        if (typeof item === 'string') batch.push(item);
        else {
          if (!parseBatch()) return null;
          out.calls.set(item.seq, item);
          lines++;
        }
      }
      return parseBatch() ? { content: out, lines } : null;
    },
  };
}

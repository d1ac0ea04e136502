import { KitaruStoreError } from '../../errors.js';
import type { CallRecord, ExecutionRecord, LogEntry } from '../types.js';
import type { CallRef } from './call-index.js';
import { expandCall } from './compact-call.js';
import { checkCallLight, checkExecution } from './validate.js';

/** An execution's journal, read: its first record, its calls (the last record of each), its logs. */
export interface JournalContent {
  start: ExecutionRecord | null;
  /** By call position; a reused call is its reference. */
  calls: Map<number, CallRecord | CallRef>;
  logs: LogEntry[];
}

/** An empty journal, to parse into. */
export function emptyJournal(): JournalContent {
  return { start: null, calls: new Map(), logs: [] };
}

function corrupt(file: string, line: number, what: string): KitaruStoreError {
  return new KitaruStoreError(
    `corrupt store file ${file}: line ${line} ${what}. Move the execution's folder away and retry.`,
  );
}

/**
 * Parses `journal.jsonl`. A torn last line (no newline at the end, or not JSON: a crash in the
 * middle of an append) is left out; any other bad line is a `KitaruStoreError` naming the file
 * and the line. A later record of a call supersedes an earlier one.
 */
export function parseJournal(file: string, text: string, folderId: string): JournalContent {
  const out = emptyJournal();
  parseLines(file, text, folderId, out, 0);
  return out;
}

/** How `parseLines` went: the lines it took, and whether it left out a whole last line as torn. */
export interface Parsed {
  lines: number;
  tornLine: boolean;
}

/**
 * Parses the lines of `text` (a journal's lines after its first `linesBefore`) into `out`, as
 * `parseJournal` does. A piece after the last newline is left out and not counted.
 */
export function parseLines(
  file: string,
  text: string,
  folderId: string,
  out: JournalContent,
  linesBefore: number,
): Parsed {
  // Most journals are whole: one parse of all their lines as an array is much faster than a parse
  // per line. A torn or bad line makes it fail, and the line by line parse says which.
  const end = text.lastIndexOf('\n');
  if (end > 0) {
    let records: Record<string, unknown>[] | undefined;
    try {
      records = JSON.parse(`[${text.slice(0, end).replaceAll('\n', ',')}]`);
    } catch {}
    if (records) {
      for (let i = 0; i < records.length; i++)
        take(out, records[i] as Record<string, unknown>, file, linesBefore + i + 1, folderId);
      return { lines: records.length, tornLine: false };
    }
  }
  const lines = text.split('\n');
  // The piece after the last newline is torn (or empty, when the file ends with one).
  const last = lines.length - 1;
  for (let i = 0; i < last; i++) {
    const line = lines[i] as string;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line);
    } catch {
      if (i === last - 1) return { lines: i, tornLine: true }; // a whole last line that is not JSON is torn too
      throw corrupt(file, linesBefore + i + 1, 'is not valid JSON');
    }
    take(out, rec, file, linesBefore + i + 1, folderId);
  }
  return { lines: last, tornLine: false };
}

function take(
  out: JournalContent,
  rec: Record<string, unknown>,
  file: string,
  line: number,
  folderId: string,
): void {
  const type = rec?.t;
  delete rec.t;
  switch (type) {
    case 'call': {
      const call = checkCallLight(expandCall(rec), (what) => corrupt(file, line, what));
      out.calls.set(call.seq, call);
      return;
    }
    case 'reuse': {
      const ref = rec as unknown as CallRef;
      if (typeof ref.seq !== 'number' || typeof ref.sourceExecId !== 'string') {
        throw corrupt(file, line, 'is a reuse record without seq or sourceExecId');
      }
      ref.ref = true;
      out.calls.set(ref.seq, ref);
      return;
    }
    case 'log':
      out.logs.push(rec as unknown as LogEntry);
      return;
    case 'start':
      if (line !== 1) throw corrupt(file, line, 'is a second start record');
      out.start = checkExecution(rec, folderId, (what) => corrupt(file, line, what));
      return;
    default:
      throw corrupt(file, line, `has an unknown record type ${JSON.stringify(type)} (a newer kitaru?)`);
  }
}

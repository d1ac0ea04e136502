import { KitaruStoreError } from '../../errors.js';
import type { CallRecord, ExecutionRecord, LogEntry } from '../types.js';
import type { CallRef } from './call-index.js';
import { checkCallLight, checkExecution } from './validate.js';

/** An execution's journal, read: its first record, its calls (the last record of each), its logs. */
export interface JournalContent {
  start: ExecutionRecord | null;
  /** By call position; a reused call is its reference. */
  calls: Map<number, CallRecord | CallRef>;
  logs: LogEntry[];
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
  const out: JournalContent = { start: null, calls: new Map(), logs: [] };
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
        take(out, records[i] as Record<string, unknown>, file, i + 1, folderId);
      return out;
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
      if (i === last - 1) break; // a whole last line that is not JSON is torn too
      throw corrupt(file, i + 1, 'is not valid JSON');
    }
    take(out, rec, file, i + 1, folderId);
  }
  return out;
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
      const call = checkCallLight(rec, (what) => corrupt(file, line, what));
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

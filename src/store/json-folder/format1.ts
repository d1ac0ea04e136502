import { KitaruStoreError } from '../../errors.js';
import { logEntrySchema } from '../record-schemas.js';
import type { CallRecord, LogEntry } from '../types.js';
import {
  type CachedIndex,
  type CallRef,
  callRefSchema,
  createIndexCache,
  type IndexMemo,
  indexCount,
} from './call-index.js';
import { listDir, readText } from './fs-helpers.js';
import type { createLayout } from './layout.js';
import { parseCall, parseLines } from './validate.js';

type Layout = ReturnType<typeof createLayout>;

/** Finds the call a reference points at, in whichever format its execution was written. */
export type SourceLookup = (execId: string, ref: CallRef) => CallRecord;

/**
 * Reading executions written in format 1 (kitaru 0.1): one file per call in `checkpoints/`,
 * reused calls by reference in `reused.jsonl`, flow logs in `logs.jsonl`, and for a finished
 * execution of 16 calls or more, all of its calls in `calls.jsonl`. Nothing new is written so.
 */
export function createFormat1Reader(layout: Layout) {
  const indexes = createIndexCache(layout.indexFile);

  function readCallFile(file: string): CallRecord {
    const text = readText(file);
    if (text === null) throw new KitaruStoreError(`store file ${file} is missing`);
    return parseCall(file, text);
  }

  function refsOf(id: string): CallRef[] {
    const text = readText(layout.refsFile(id));
    return text === null ? [] : parseLines(layout.refsFile(id), text, callRefSchema);
  }

  return {
    /** The call a format-1 execution holds at `seq` (its index, else its call file). */
    call(execId: string, seq: number, callId: string, memo?: IndexMemo): CallRecord {
      return indexes.get(execId, memo)?.bySeq.get(seq) ?? readCallFile(layout.callFile(execId, seq, callId));
    },

    /** Every call in call order, references resolved through `lookup`. */
    calls(id: string, lookup: SourceLookup): CallRecord[] {
      const memo: IndexMemo = new Map<string, CachedIndex | null>();
      const index = indexes.get(id, memo);
      if (index)
        return index.entries.map((e) =>
          (e as CallRef).ref === true ? lookup(id, e as CallRef) : (e as CallRecord),
        );
      const dir = layout.callsDir(id);
      const calls = listDir(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => readCallFile(`${dir}/${f}`));
      for (const ref of refsOf(id)) calls.push(lookup(id, ref));
      return calls.sort((a, b) => a.seq - b.seq);
    },

    /** The reused calls, as their references (the index's, else `reused.jsonl`). */
    refs(id: string): CallRef[] {
      const index = indexes.get(id);
      if (index) return index.entries.filter((e): e is CallRef => (e as CallRef).ref === true);
      return refsOf(id);
    },

    /** How many calls readers will find (the index's closing line, else the files and references). */
    count(id: string): number {
      const fromIndex = indexCount(layout.indexFile(id));
      if (fromIndex !== null) return fromIndex;
      return listDir(layout.callsDir(id)).filter((f) => f.endsWith('.json')).length + refsOf(id).length;
    },

    logs(id: string): LogEntry[] {
      const file = layout.logsFile(id);
      const text = readText(file);
      return text === null ? [] : parseLines(file, text, logEntrySchema);
    },
  };
}

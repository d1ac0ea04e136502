import type { CallRecord } from '../types.js';
import { readText } from './fs-helpers.js';

/** A reused call kept by reference: its result stays in the file of the execution that ran it. */
export interface CallRef {
  ref: true;
  seq: number;
  id: string;
  name: string;
  inputHash: string;
  sourceExecId: string;
  sourceSeq: number;
}

/** One line of `calls.jsonl`: a whole call record, or a reference. */
export type IndexEntry = CallRecord | CallRef;

/**
 * An execution keeps its index lines in memory only up to this many bytes; past it no index is
 * written and readers use the call files (large outputs are not held twice).
 */
const MAX_INDEX_BYTES = 64 * 2 ** 20;

/**
 * Collects the last version of each call's line while an execution runs, so that one
 * `calls.jsonl` can be written when it ends: reading a finished execution (inspect, a replay's
 * source) is then one file, not one per call. The call files stay the source of truth.
 */
export function createIndexCollector() {
  const lines = new Map<number, string>();
  let bytes = 0;
  let overflow = false;
  return {
    put(seq: number, line: string): void {
      if (overflow) return;
      bytes += line.length - (lines.get(seq)?.length ?? 0);
      lines.set(seq, line);
      if (bytes > MAX_INDEX_BYTES) {
        overflow = true;
        lines.clear();
      }
    },
    /** The index text in call order, or null when it was given up. */
    text(): string | null {
      if (overflow) return null;
      const sorted = [...lines.entries()].sort((a, b) => a[0] - b[0]);
      let out = '';
      for (const [, line] of sorted) out += `${line}\n`;
      return out;
    },
  };
}

/**
 * Reads `calls.jsonl`: the entries in call order, or null if there is none or it cannot be
 * trusted (then the caller reads the call files, which are the source of truth).
 */
export function readIndex(file: string): IndexEntry[] | null {
  const text = readText(file);
  if (text === null) return null;
  const entries: IndexEntry[] = [];
  try {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const entry = JSON.parse(line) as IndexEntry;
      if (typeof entry.seq !== 'number' || typeof entry.id !== 'string') return null;
      entries.push(entry);
    }
  } catch {
    return null;
  }
  return entries;
}

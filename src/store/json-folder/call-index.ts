import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import * as v from 'valibot';
import { callStatusSchema } from '../record-schemas.js';
import type { CallRecord } from '../types.js';
import { fileStamp, readText } from './fs-helpers.js';

/** A line of `reused.jsonl` (and of `calls.jsonl`): a reused call kept by reference to its source. */
export const callRefSchema = v.object({
  ref: v.literal(true),
  seq: v.number(),
  id: v.string(),
  name: v.string(),
  inputHash: v.string(),
  sourceExecId: v.string(),
  sourceSeq: v.number(),
});

/** A reused call kept by reference: its result stays in the file of the execution that ran it. */
export type CallRef = v.InferOutput<typeof callRefSchema>;

/** One line of `calls.jsonl`: a whole call record, or a reference. */
export type IndexEntry = CallRecord | CallRef;

/**
 * The last line of a `calls.jsonl` written by kitaru 0.1 (late) is `{"end":true,"count":N}`: how
 * many entries come before it. An index without it, or whose count differs, was cut short (or
 * written earlier still) and is not used.
 */
function closingCount(line: string): number | null {
  const m = line.match(/^\{"end":true,"count":(\d+)\}$/);
  return m ? Number(m[1]) : null;
}

/**
 * The number of calls an index says it holds, from its closing line alone (a few bytes read):
 * null when there is no index or it has no closing line.
 */
export function indexCount(file: string): number | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, TAIL_BYTES));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    const tail = buf.toString('utf8');
    if (!tail.endsWith('\n')) return null;
    return closingCount(tail.slice(tail.lastIndexOf('\n', tail.length - 2) + 1, -1));
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

const TAIL_BYTES = 64;

/**
 * Reads `calls.jsonl`: the entries in call order, or null if there is none or it cannot be
 * trusted: not JSON, or its closing line missing or not matching the entries (then the caller
 * reads the call files, which are the source of truth).
 */
export function readIndex(file: string): IndexEntry[] | null {
  const text = readText(file);
  if (text === null || !text.endsWith('\n')) return null;
  const last = text.lastIndexOf('\n', text.length - 2);
  const count = closingCount(text.slice(last + 1, -1));
  if (count === null) return null;
  let entries: IndexEntry[];
  try {
    // One parse of the whole file as an array is much faster than a parse per line.
    const body = last < 0 ? '' : text.slice(0, last);
    entries = JSON.parse(`[${body.replaceAll('\n', ',')}]`) as IndexEntry[];
  } catch {
    return null;
  }
  if (entries.length !== count) return null;
  for (const e of entries) if (!plausible(e)) return null;
  return entries;
}

const CALL_STATUSES: ReadonlySet<unknown> = new Set(callStatusSchema.options);

/**
 * The light check of an index entry: the fields that place it and that a replay relies on. An
 * index is read whole on every replay of its execution, and checking each record against the full
 * schema would cost about as much again as parsing it; the call files it gathers are checked in
 * full when read.
 */
function plausible(e: unknown): e is IndexEntry {
  if (typeof e !== 'object' || e === null) return false;
  const r = e as Record<string, unknown>;
  if (typeof r.seq !== 'number' || typeof r.id !== 'string' || typeof r.inputHash !== 'string') return false;
  if (r.ref === true) return typeof r.sourceExecId === 'string' && typeof r.sourceSeq === 'number';
  return typeof r.name === 'string' && CALL_STATUSES.has(r.status) && Array.isArray(r.attempts);
}

/** The index of a finished execution, parsed, with its full records by seq. */
export interface CachedIndex {
  entries: IndexEntry[];
  bySeq: Map<number, CallRecord>;
  /** The file as it was when cached; a changed or removed file is read again. */
  stamp: string;
}

/** Indexes already checked during one read (one stat per execution, not per reference). */
export type IndexMemo = Map<string, CachedIndex | null>;

/** Finished executions whose records stay parsed in memory, to resolve references quickly. */
const CACHED_EXECUTIONS = 4;

/**
 * Parsed indexes of the last few finished executions read or written (a replay's source, the
 * replay itself), kept while their files are unchanged.
 */
export function createIndexCache(fileOf: (execId: string) => string) {
  const cache = new Map<string, CachedIndex>();
  const put = (id: string, entries: IndexEntry[], stamp: string): CachedIndex => {
    const bySeq = new Map<number, CallRecord>();
    for (const e of entries) if ((e as CallRef).ref !== true) bySeq.set(e.seq, e as CallRecord);
    const cached = { entries, bySeq, stamp };
    cache.set(id, cached);
    if (cache.size > CACHED_EXECUTIONS) cache.delete(cache.keys().next().value as string);
    return cached;
  };
  return {
    /** The index of an execution, or null if it has none (or an unreadable one). */
    get(id: string, memo?: IndexMemo): CachedIndex | null {
      if (memo?.has(id)) return memo.get(id) ?? null;
      const file = fileOf(id);
      const stamp = fileStamp(file);
      let index: CachedIndex | null = null;
      if (stamp !== null) {
        const hit = cache.get(id);
        if (hit && hit.stamp === stamp) index = hit;
        else {
          const entries = readIndex(file);
          index = entries ? put(id, entries, stamp) : null;
        }
      }
      if (!index) cache.delete(id);
      memo?.set(id, index);
      return index;
    },
    /** Keeps the entries of an index just written, so that reading it back costs no parse. */
    remember(id: string, entries: IndexEntry[]): void {
      const stamp = fileStamp(fileOf(id));
      if (stamp) put(id, entries, stamp);
    },
  };
}

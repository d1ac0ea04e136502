import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { KitaruNotFoundError, KitaruStoreError } from '../../errors.js';
import { fsyncWanted, syncDir } from '../atomic-write.js';
import { osError } from '../os-error.js';
import type { Store } from '../store.js';
import type { CallRecord, ExecutionRecord, ExecutionSummaryRecord } from '../types.js';
import type { CallRef } from './call-index.js';
import { createCreationIndex } from './creation-index.js';
import { deleteFolderAside, sweepAside } from './delete-aside.js';
import { createExecutionAdapter } from './execution-adapter.js';
import { createFormat1Reader, type SourceLookup } from './format1.js';
import { ensureDir, listSubdirs } from './fs-helpers.js';
import { createInputFiles } from './inputs.js';
import { createJournalCache } from './journal-cache.js';
import { callLine, logLine, readStart, reuseLine, startLine } from './journal-files.js';
import { createMirror, type JournalMirror } from './journal-mirror.js';
import type { JournalContent } from './journal-reader.js';
import { type JournalWriter, openJournal } from './journal-writer.js';
import { createLayout } from './layout.js';
import { compactIndex, newestFirstIds } from './list-order.js';
import { checkRoot, prepareForWrites } from './prepare.js';
import { createResumeClaims } from './resume-claims.js';
import { folderChanged } from './watch.js';

/** What the store keeps for an execution being written by this process. */
interface LiveExecution {
  journal: JournalWriter;
  /** The summary as it stands (written to `execution.json` when the status changes). */
  doc: ExecutionRecord;
  /** Positions of the calls recorded, so the summary can say how many there are. */
  seqs: Set<number>;
  durable: boolean;
  /** A replay's journal as this process writes it, handed to the journal cache when it ends. */
  mirror?: JournalMirror;
}

function isRef(entry: CallRecord | CallRef): entry is CallRef {
  return (entry as CallRef).ref === true;
}

/** The record of a reused call: the source's result, with no attempts of its own. */
function reusedRecord(source: CallRecord, ref: CallRef): CallRecord {
  const record: CallRecord = {
    schemaVersion: source.schemaVersion,
    seq: ref.seq,
    id: ref.id,
    name: ref.name,
    type: source.type,
    status: 'completed',
    origin: 'reused',
    reason: null,
    sourceExecId: ref.sourceExecId,
    sourceSeq: ref.sourceSeq,
    inputHash: ref.inputHash,
    input: source.input,
    output: source.output,
    attempts: [],
  };
  if (source.kind !== undefined) record.kind = source.kind;
  if (source.wakeAt !== undefined) record.wakeAt = source.wakeAt;
  if (source.resolution !== undefined) record.resolution = source.resolution;
  return record;
}

/**
 * The local store, format 2: one folder per execution holding an append-only `journal.jsonl`
 * (its start record, then a line per call as each attempt ends, per reused call and per flow log)
 * and `execution.json`, the summary, written when the status changes (never per call). A run
 * costs a folder, the journal's creation and one summary write; a checkpoint, one append, shared
 * with the calls that end in the same turn. Executions written in format 1 stay readable.
 */
export function createJsonFolderStore(root: string): Store {
  const layout = createLayout(root);
  const live = new Map<string, LiveExecution>();
  const format1 = createFormat1Reader(layout);
  const journals = createJournalCache(layout.journalFile);
  const inputs = createInputFiles(layout.inputsDir, layout.tmpDir);
  const claims = createResumeClaims(layout.execDir);
  const creations = createCreationIndex(layout.createdFile, layout.tmpDir);
  let prepared = false;

  function prepare(): void {
    if (!prepared) prepareForWrites(root, layout.tmpDir);
    prepared = true;
  }

  function notFound(id: string): KitaruNotFoundError {
    return new KitaruNotFoundError(`no execution ${id} in ${root}. List executions with \`kitaru list\`.`);
  }

  async function readSummaryFile(id: string): Promise<ExecutionRecord | null> {
    const db = new Low<ExecutionRecord>(
      createExecutionAdapter(layout.execFile(id), id, layout.tmpDir),
      null as never,
    );
    await db.read();
    return db.data;
  }

  /** When an execution was created, from its record; null if it cannot be read. */
  async function createdAtOf(id: string): Promise<string | null> {
    try {
      return (await readSummary(id))?.createdAt ?? null;
    } catch {
      return null; // `list` reports it when it comes to it
    }
  }

  /** The summary: `execution.json`, else (running, or crashed) the journal's start record. */
  async function readSummary(id: string): Promise<ExecutionRecord | null> {
    const l = live.get(id);
    if (l) return l.doc;
    return (await readSummaryFile(id)) ?? readStart(layout.journalFile(id), id);
  }

  function writeSummary(id: string, doc: ExecutionRecord): Promise<void> {
    return new Low<ExecutionRecord>(
      createExecutionAdapter(layout.execFile(id), id, layout.tmpDir),
      doc,
    ).write();
  }

  /** The journal of an execution, as written so far (what this process has queued included). */
  function journalOf(id: string): JournalContent | null {
    try {
      live.get(id)?.journal.flush();
    } catch {} // a writer that failed has reported it to its run; the file is read as it is
    return journals.read(id);
  }

  /** The journal of a reused call's source (null: a format-1 source); missing, a `KitaruStoreError`. */
  /**
   * Resolves references to the calls of the executions that ran them. Made once per read: each
   * source is looked up once (its journal, or its format-1 files), not once per reference.
   */
  function sourceLookup(): SourceLookup {
    const sources = new Map<string, JournalContent | null>();
    const sourceOf = (execId: string, ref: CallRef): JournalContent | null => {
      const src = ref.sourceExecId;
      let j = sources.get(src);
      if (j !== undefined) return j;
      j = existsSync(layout.journalFile(src)) ? journalOf(src) : null;
      if (!j && !existsSync(layout.execDir(src))) {
        throw new KitaruStoreError(
          `execution ${execId} reused calls of execution ${src}, and that source execution ` +
            `${src} is missing from ${root} (deleted?): the reused calls cannot be shown ` +
            `(the first is ${ref.id}). Restore the source's folder to read them.`,
        );
      }
      sources.set(src, j);
      return j;
    };
    return (execId, ref) => {
      const j = sourceOf(execId, ref);
      if (!j) return reusedRecord(format1.call(ref.sourceExecId, ref.sourceSeq, ref.id), ref);
      const source = j.calls.get(ref.sourceSeq);
      if (!source || isRef(source)) {
        throw new KitaruStoreError(
          `execution ${execId} reuses call ${ref.id} of execution ${ref.sourceExecId}, whose journal does not hold it at position ${ref.sourceSeq}.`,
        );
      }
      return reusedRecord(source, ref);
    };
  }

  /**
   * Takes up an execution this process did not start (its journal's torn tail, if any, cut off).
   * Format-1 executions are read, never written.
   */
  async function takeUp(id: string): Promise<LiveExecution> {
    const known = live.get(id);
    if (known) return known;
    prepare();
    const doc = await readSummary(id);
    if (!doc) throw notFound(id);
    if (!existsSync(layout.journalFile(id))) {
      throw new KitaruStoreError(
        `execution ${id} was written by kitaru 0.1 (one file per call): it can be read and replayed, not written to.`,
      );
    }
    const durable = fsyncWanted();
    const journal = openJournal(layout.journalFile(id), { durable, create: false });
    const l: LiveExecution = { journal, doc, seqs: new Set(journals.read(id)?.calls.keys()), durable };
    live.set(id, l);
    return l;
  }

  /** Every record before an update is on disk first; a journal that cannot take them is let go. */
  function flushOrLetGo(id: string, l: LiveExecution): void {
    try {
      l.journal.flush();
    } catch (err) {
      live.delete(id);
      try {
        l.journal.close();
      } catch {}
      throw err;
    }
  }

  /**
   * An execution that ended or waits: its journal closed, and what this process wrote to it (a
   * replay's) kept parsed, so reading it back parses nothing.
   */
  function letGo(id: string, l: LiveExecution): void {
    live.delete(id);
    l.journal.close();
    const mirrored = l.mirror?.content(layout.journalFile(id), id);
    if (mirrored) journals.adopt(id, mirrored.content, mirrored.lines);
  }

  /** An ended execution taken up for one write is let go again (its journal closed). */
  function release(id: string, l: LiveExecution): void {
    if (!l.doc.endedAt || live.get(id) !== l) return;
    l.journal.flush();
    live.delete(id);
    l.journal.close();
  }

  function callCount(id: string, summary: ExecutionRecord): number {
    const l = live.get(id);
    if (l) return l.seqs.size;
    if (summary.callCount !== undefined) return summary.callCount;
    const j = journalOf(id);
    return j ? j.calls.size : format1.count(id);
  }

  /**
   * An execution as `list` shows it, if `accept` takes it; an unreadable one is noted in `errors`.
   * A folder whose first record is not written yet is not an execution yet.
   */
  async function listed(
    id: string,
    accept: (record: ExecutionRecord) => boolean,
    errors: KitaruStoreError[],
  ): Promise<ExecutionSummaryRecord | null> {
    try {
      const doc = await readSummary(id);
      return doc && accept(doc) ? { ...doc, checkpointCount: callCount(id, doc) } : null;
    } catch (err) {
      if ((err as { name?: string }).name !== 'KitaruStoreError') throw err;
      errors.push(err as KitaruStoreError);
      return null;
    }
  }

  return {
    location: root,
    flowFileRoot: () => dirname(root),

    async createExecution(record) {
      prepare();
      const dir = layout.execDir(record.id);
      ensureDir(dir);
      const durable = fsyncWanted();
      let journal: JournalWriter | undefined;
      const start = startLine(record);
      try {
        journal = openJournal(layout.journalFile(record.id), { durable, create: true });
        // The start record goes out at once: from then on, readers find the execution.
        journal.append(start).catch(() => {});
        journal.flush();
        if (durable) {
          syncDir(dir);
          syncDir(layout.executions);
        }
      } catch (err) {
        // Nothing half-created: a folder without its start record would be an execution nobody
        // wrote. But a journal that was there already is another execution's: it stays, and this
        // creation lost (the journal is made with O_EXCL: of two creators, one wins).
        const exists = (err as { cause?: { code?: string } }).cause?.code === 'EEXIST';
        try {
          journal?.close();
        } catch {}
        if (exists && !journal) return false;
        if (!exists) rmSync(dir, { recursive: true, force: true });
        throw osError('create store file', layout.journalFile(record.id), err);
      }
      live.set(record.id, newLive(record, journal, start, durable));
      creations.created(record.id, record.createdAt);
      return true;
    },

    changed: (id, ms) => folderChanged(layout.execDir(id), ms),

    async updateExecution(id, patch) {
      const l = live.get(id) ?? (existsSync(layout.journalFile(id)) ? await takeUp(id) : undefined);
      if (!l) {
        // A format-1 execution: its summary is all there is to update.
        prepare();
        const doc = await readSummary(id);
        if (!doc) throw notFound(id);
        await writeSummary(id, Object.assign({}, doc, patch));
        return;
      }
      flushOrLetGo(id, l);
      l.doc = Object.assign({}, l.doc, patch);
      // A waiting execution is let go too: whoever resumes it takes its journal up again.
      const ended = Boolean(l.doc.endedAt) || l.doc.status === 'waiting';
      if (ended) {
        l.doc.callCount = l.seqs.size;
        // Ended here: a second update (a cancel racing the end) takes it up afresh.
        letGo(id, l);
      } else delete l.doc.callCount;
      await writeSummary(id, l.doc);
      if (ended) claims.release(id);
    },

    writeCall(execId, record) {
      const l = live.get(execId);
      if (!l) {
        return takeUp(execId).then(async (taken) => {
          await appendCall(taken, record);
          release(execId, taken);
        });
      }
      return appendCall(l, record);
    },

    async appendLogs(execId, entries) {
      if (entries.length === 0) return;
      const l = live.get(execId) ?? (await takeUp(execId));
      let written: Promise<void> = Promise.resolve();
      for (const entry of entries) {
        const line = logLine(entry);
        written = l.journal.append(line);
        l.mirror?.add(line);
      }
      await written;
      release(execId, l);
    },

    async getExecution(id) {
      const doc = await readSummary(id);
      if (!doc) throw notFound(id);
      return structuredClone(doc);
    },

    async getCalls(id) {
      const j = journalOf(id);
      if (!j) {
        if (!(await readSummary(id))) throw notFound(id);
        return format1.calls(id, sourceLookup());
      }
      return resolvedCalls(id, j, sourceLookup());
    },

    async readLogs(id) {
      const j = journalOf(id);
      if (j) return j.logs.slice(); // the parsed journal is kept: callers get their own array
      if (!(await readSummary(id))) throw notFound(id);
      return format1.logs(id);
    },

    async listExecutions(options = {}) {
      checkRoot(root);
      const executions: ExecutionSummaryRecord[] = [];
      const errors: KitaruStoreError[] = [];
      const accept = options.accept ?? (() => true);
      const max = options.limit ?? Number.POSITIVE_INFINITY;
      const ids = await newestFirstIds(listSubdirs(layout.executions), creations, createdAtOf);
      for (const id of ids) {
        if (executions.length >= max) break;
        const summary = await listed(id, accept, errors);
        if (summary) executions.push(summary);
      }
      return { executions, errors };
    },

    async addInput(execId, input) {
      if (!(await readSummary(execId))) throw notFound(execId);
      prepare();
      return inputs.add(execId, input);
    },

    async getInputs(execId) {
      if (!(await readSummary(execId))) throw notFound(execId);
      return inputs.list(execId);
    },

    async dropInput(execId, waitId) {
      inputs.drop(execId, waitId);
    },

    async releaseResume(execId) {
      claims.release(execId);
    },

    async claimResume(execId) {
      if (!(await readSummary(execId))) throw notFound(execId);
      prepare();
      return claims.claim(execId);
    },

    async deleteExecution(id) {
      checkId(id);
      prepare();
      const l = live.get(id);
      if (l) {
        live.delete(id);
        l.journal.close();
      }
      deleteFolderAside(layout.execDir(id), layout.executions, layout.tmpDir, id);
      creations.deleted(id);
      claims.release(id);
    },

    async reusedSources(id) {
      checkId(id);
      const j = journalOf(id);
      if (!j && !(await readSummary(id))) throw notFound(id);
      const sources = new Set<string>();
      const entries = j ? j.calls.values() : format1.refs(id);
      for (const e of entries) {
        if (isRef(e) || (e.origin === 'reused' && e.sourceExecId !== null))
          sources.add(e.sourceExecId as string);
      }
      return [...sources];
    },

    async finishDeletions() {
      sweepAside(layout.tmpDir);
      if (!existsSync(layout.executions)) return;
      prepare();
      await compactIndex(listSubdirs(layout.executions), creations, createdAtOf);
    },

    async resolveId(prefix) {
      if (prefix === '' || /[\\/]/.test(prefix) || prefix.startsWith('.')) {
        throw new KitaruNotFoundError(
          `"${prefix}" is not an execution id. List executions with \`kitaru list\`.`,
        );
      }
      checkRoot(root);
      const ids = listSubdirs(layout.executions);
      if (ids.includes(prefix)) return prefix;
      const matches = ids.filter((id) => id.startsWith(prefix));
      if (matches.length === 1) return matches[0] as string;
      if (matches.length === 0) {
        throw new KitaruNotFoundError(
          `no execution matches "${prefix}" in ${root}. List executions with \`kitaru list\`.`,
        );
      }
      throw new KitaruNotFoundError(
        `"${prefix}" is ambiguous: it matches ${matches.length} executions (${matches.slice(0, 5).join(', ')}` +
          `${matches.length > 5 ? ', ...' : ''}). Give more characters of the id.`,
      );
    },
  };
}

/** An execution this process creates; a replay's journal is kept parsed as it is written. */
function newLive(
  record: ExecutionRecord,
  journal: JournalWriter,
  start: string,
  durable: boolean,
): LiveExecution {
  const l: LiveExecution = { journal, doc: { ...record }, seqs: new Set(), durable };
  if (record.replay) l.mirror = createMirror(start);
  return l;
}

/** A reused call's reference, as reading its `reuse` line makes it. */
function refOf(record: CallRecord, sourceExecId: string, sourceSeq: number): CallRef {
  return {
    seq: record.seq,
    id: record.id,
    name: record.name,
    inputHash: record.inputHash,
    sourceExecId,
    sourceSeq,
    ref: true,
  };
}

/** A journal's calls in call order, references resolved to their sources' records. */
function resolvedCalls(id: string, j: JournalContent, lookup: SourceLookup): CallRecord[] {
  const calls: CallRecord[] = [];
  let ordered = true;
  let lastSeq = Number.NEGATIVE_INFINITY;
  for (const entry of j.calls.values()) {
    const call = isRef(entry) ? lookup(id, entry) : entry;
    if (call.seq < lastSeq) ordered = false;
    lastSeq = call.seq;
    calls.push(call);
  }
  // Calls are mostly journalled in call order: sorting is needed only when they were not.
  return ordered ? calls : calls.sort((a, b) => a.seq - b.seq);
}

/** An id that could name a path outside `executions/` is nobody's. */
function checkId(id: string): void {
  if (id === '' || /[\\/]/.test(id) || id.startsWith('.')) {
    throw new KitaruNotFoundError(`"${id}" is not an execution id. List executions with \`kitaru list\`.`);
  }
}

/**
 * Appends a call's record to its execution's journal. A reused call is a reference that can be
 * made again for free: it goes out with the next group, and nothing waits for it.
 */
function appendCall(l: LiveExecution, record: CallRecord): Promise<void> | undefined {
  l.seqs.add(record.seq);
  if (record.origin === 'reused' && record.sourceExecId !== null && record.sourceSeq !== null) {
    const line = reuseLine(record);
    l.journal.appendLater(line);
    l.mirror?.add(line, refOf(record, record.sourceExecId, record.sourceSeq));
    return undefined;
  }
  const line = callLine(record);
  l.mirror?.add(line);
  return l.journal.append(line);
}

import { existsSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { KitaruNotFoundError, KitaruStoreError } from '../../errors.js';
import { fsyncWanted, syncDir, tempOwner, writeFileAtomicSync } from '../atomic-write.js';
import { pidAlive } from '../liveness.js';
import { osError } from '../os-error.js';
import { logEntrySchema } from '../record-schemas.js';
import type { Store } from '../store.js';
import type { CallRecord, ExecutionRecord, ExecutionSummaryRecord } from '../types.js';
import {
  type CachedIndex,
  type CallRef,
  callRefSchema,
  createIndexCache,
  createIndexCollector,
  type IndexEntry,
  type IndexMemo,
  indexCount,
} from './call-index.js';
import { createExecutionAdapter } from './execution-adapter.js';
import { appendDurably, ensureDir, listDir, listSubdirs, readText } from './fs-helpers.js';
import { createLayout } from './layout.js';
import { parseCall, parseLines } from './validate.js';

/** Buffered references are appended at least this often (and at every execution update). */
const REF_FLUSH_AT = 512;

/** What the store keeps for an execution being written by this process. */
interface LiveExecution {
  callsDir: string;
  /** fsync on every write (`KITARU_FSYNC=1`), read once when the execution starts. */
  durable: boolean;
  /** Reference lines (JSON text) not yet appended to reused.jsonl. */
  refs: string[];
  /** Null when this store did not see the execution start (then no index is written). */
  index: ReturnType<typeof createIndexCollector> | null;
}

function isRef(entry: IndexEntry): entry is CallRef {
  return (entry as CallRef).ref === true;
}

/** The record of a reused call: the source's result, with no attempts of its own. */
function reusedRecord(source: CallRecord, ref: CallRef): CallRecord {
  return {
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
}

/**
 * The local store: one folder per execution, `execution.json` kept with lowdb, one atomically
 * written file per call. Each checkpoint costs one small-file write; nothing rewrites a document
 * that grows with the number of calls. Reused calls are appended by reference, in batches. When an
 * execution ends, `calls.jsonl` gathers its calls in one file for fast reading.
 */
export function createJsonFolderStore(root: string): Store {
  const layout = createLayout(root);
  const docs = new Map<string, Low<ExecutionRecord>>();
  const live = new Map<string, LiveExecution>();
  const indexes = createIndexCache(layout.indexFile);

  function liveOf(id: string): LiveExecution {
    let l = live.get(id);
    if (!l) prepareForWrites();
    if (!l)
      live.set(id, (l = { callsDir: layout.callsDir(id), durable: fsyncWanted(), refs: [], index: null }));
    return l;
  }

  function flushRefs(id: string): void {
    const l = live.get(id);
    if (!l || l.refs.length === 0) return;
    const text = `${l.refs.join('\n')}\n`;
    l.refs = [];
    appendDurably(layout.refsFile(id), text, l.durable);
  }

  async function openDoc(id: string): Promise<Low<ExecutionRecord>> {
    const cached = docs.get(id);
    if (cached) return cached;
    const db = new Low<ExecutionRecord>(
      createExecutionAdapter(layout.execFile(id), id, layout.tmpDir),
      null as never,
    );
    await db.read();
    if (!db.data) {
      throw new KitaruNotFoundError(`no execution ${id} in ${root}. List executions with \`kitaru list\`.`);
    }
    return db;
  }

  function readCallFile(file: string): CallRecord {
    const text = readText(file);
    if (text === null) throw new KitaruStoreError(`store file ${file} is missing`);
    return parseCall(file, text);
  }

  function resolveRef(execId: string, ref: CallRef, memo: IndexMemo): CallRecord {
    const source = indexes.get(ref.sourceExecId, memo)?.bySeq.get(ref.sourceSeq);
    if (source) return reusedRecord(source, ref);
    if (!existsSync(layout.execDir(ref.sourceExecId))) {
      throw new KitaruStoreError(
        `execution ${execId} reused calls of execution ${ref.sourceExecId}, and that source execution ` +
          `${ref.sourceExecId} is missing from ${root} (deleted?): the reused calls cannot be shown ` +
          `(the first is ${ref.id}). Restore the source's folder to read them.`,
      );
    }
    return reusedRecord(readCallFile(layout.callFile(ref.sourceExecId, ref.sourceSeq, ref.id)), ref);
  }

  /** Calls from the call files and references (an execution still running, or one that crashed). */
  function scanCalls(id: string): CallRecord[] {
    const dir = layout.callsDir(id);
    const calls = listDir(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => readCallFile(`${dir}/${f}`));
    const refsText = readText(layout.refsFile(id));
    const refs = refsText === null ? [] : parseLines(layout.refsFile(id), refsText, callRefSchema);
    const pending = (live.get(id)?.refs ?? []).map((line) => JSON.parse(line) as CallRef);
    const memo = new Map<string, CachedIndex | null>();
    for (const ref of [...refs, ...pending]) calls.push(resolveRef(id, ref, memo));
    return calls.sort((a, b) => a.seq - b.seq);
  }

  function countCalls(id: string): number {
    // An ended execution's index says how many calls it holds, as its readers will find them.
    const fromIndex = live.has(id) ? null : indexCount(layout.indexFile(id));
    if (fromIndex !== null) return fromIndex;
    const files = listDir(layout.callsDir(id)).filter((f) => f.endsWith('.json')).length;
    const refsText = readText(layout.refsFile(id));
    return files + (refsText === null ? 0 : parseLines(layout.refsFile(id), refsText, callRefSchema).length);
  }

  /** A store folder that is a file is named as such, not met as `ENOTDIR` deeper down. */
  function checkRoot(): void {
    let isFile = false;
    try {
      isFile = !statSync(root).isDirectory();
    } catch {}
    if (isFile) {
      throw new KitaruStoreError(
        `the store ${root} is a file, not a folder: point --dir (or KITARU_DIR) at a folder.`,
      );
    }
  }

  let prepared = false;
  /**
   * Before this process first writes: the store folder must be a folder, and temp files left by
   * writers on this host that are gone (killed mid-write) are removed.
   */
  function prepareForWrites(): void {
    if (prepared) return;
    checkRoot();
    try {
      ensureDir(layout.tmpDir);
      const host = hostname();
      for (const name of readdirSync(layout.tmpDir)) {
        const owner = tempOwner(name);
        if (owner && owner.host === host && !pidAlive(owner.pid)) unlinkSync(`${layout.tmpDir}/${name}`);
      }
    } catch (err) {
      throw osError('prepare store folder', root, err);
    }
    prepared = true;
  }

  return {
    location: root,
    flowFileRoot: () => dirname(root),

    async createExecution(record) {
      prepareForWrites();
      const l: LiveExecution = {
        callsDir: layout.callsDir(record.id),
        durable: fsyncWanted(),
        refs: [],
        index: createIndexCollector(),
      };
      ensureDir(l.callsDir);
      const db = new Low<ExecutionRecord>(
        createExecutionAdapter(layout.execFile(record.id), record.id, layout.tmpDir),
        record,
      );
      try {
        await db.write();
        if (l.durable) syncDir(layout.executions);
      } catch (err) {
        // Nothing half-created: a folder without its execution.json would be an execution nobody wrote.
        rmSync(layout.execDir(record.id), { recursive: true, force: true });
        throw osError('write store file', layout.execFile(record.id), err);
      }
      live.set(record.id, l);
      docs.set(record.id, db);
    },

    async updateExecution(id, patch) {
      prepareForWrites();
      flushRefs(id);
      const db = await openDoc(id);
      db.data = Object.assign({}, db.data, patch);
      if (db.data.endedAt) {
        const l = live.get(id);
        const index = l?.index?.finish();
        if (l && index) {
          writeFileAtomicSync(layout.indexFile(id), index.text, l.durable, layout.tmpDir);
          if (index.entries) indexes.remember(id, index.entries);
        }
        await db.write();
        docs.delete(id);
        live.delete(id);
      } else {
        await db.write();
        docs.set(id, db);
      }
    },

    writeCall(execId, record) {
      const l = liveOf(execId);
      if (record.origin === 'reused' && record.sourceExecId && record.sourceSeq !== null) {
        const ref: CallRef = {
          ref: true,
          seq: record.seq,
          id: record.id,
          name: record.name,
          inputHash: record.inputHash,
          sourceExecId: record.sourceExecId,
          sourceSeq: record.sourceSeq,
        };
        const line = JSON.stringify(ref);
        l.refs.push(line);
        l.index?.put(ref.seq, line, ref);
        if (l.refs.length >= REF_FLUSH_AT) flushRefs(execId);
        return undefined;
      }
      const data = JSON.stringify(record);
      writeFileAtomicSync(
        `${l.callsDir}/${layout.callFileName(record.seq, record.id)}`,
        data,
        l.durable,
        layout.tmpDir,
      );
      l.index?.put(record.seq, data);
      return undefined;
    },

    async appendLogs(execId, entries) {
      if (entries.length === 0) return;
      const text = entries.map((e) => `${JSON.stringify(e)}\n`).join('');
      appendDurably(layout.logsFile(execId), text, live.get(execId)?.durable ?? fsyncWanted());
    },

    async getExecution(id) {
      const db = await openDoc(id);
      return structuredClone(db.data);
    },

    async getCalls(id) {
      await openDoc(id);
      const memo = new Map<string, CachedIndex | null>();
      const index = live.has(id) ? null : indexes.get(id, memo);
      if (!index) return scanCalls(id);
      return index.entries.map((e) => (isRef(e) ? resolveRef(id, e, memo) : e));
    },

    async readLogs(id) {
      await openDoc(id);
      const file = layout.logsFile(id);
      const text = readText(file);
      return text === null ? [] : parseLines(file, text, logEntrySchema);
    },

    async listExecutions(options = {}) {
      const executions: ExecutionSummaryRecord[] = [];
      const errors: KitaruStoreError[] = [];
      checkRoot();
      const ids = listSubdirs(layout.executions).sort().reverse();
      for (const id of ids) {
        if (options.limit !== undefined && executions.length >= options.limit) break;
        try {
          const db = new Low<ExecutionRecord>(
            createExecutionAdapter(layout.execFile(id), id, layout.tmpDir),
            null as never,
          );
          await db.read();
          if (!db.data) continue; // a folder whose execution.json is not written yet
          if (options.accept && !options.accept(db.data)) continue;
          executions.push({ ...db.data, checkpointCount: countCalls(id) });
        } catch (err) {
          if ((err as { name?: string }).name === 'KitaruStoreError') errors.push(err as KitaruStoreError);
          else throw err;
        }
      }
      return { executions, errors };
    },

    async resolveId(prefix) {
      if (prefix === '' || /[\\/]/.test(prefix) || prefix.startsWith('.')) {
        throw new KitaruNotFoundError(
          `"${prefix}" is not an execution id. List executions with \`kitaru list\`.`,
        );
      }
      checkRoot();
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

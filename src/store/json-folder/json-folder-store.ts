import {
  appendFileSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
} from 'node:fs';
import { Low } from 'lowdb';
import { KitaruNotFoundError, KitaruStoreError } from '../../errors.js';
import { fsyncWanted, syncDir, writeFileAtomicSync } from '../atomic-write.js';
import type { Store } from '../store.js';
import type { CallRecord, ExecutionRecord, ExecutionSummaryRecord, LogEntry } from '../types.js';
import { createExecutionAdapter } from './execution-adapter.js';
import { createLayout } from './layout.js';
import { parseCall, parseLines } from './validate.js';

/** A reused call kept by reference: its result stays in the source execution's file. */
interface CallRef {
  seq: number;
  id: string;
  name: string;
  inputHash: string;
  sourceExecId: string;
  sourceSeq: number;
}

/** Buffered references are appended at least this often (and at every execution update). */
const REF_FLUSH_AT = 512;

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KitaruStoreError(`cannot read store file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new KitaruStoreError(`cannot read store folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

function appendDurably(file: string, text: string): void {
  if (!fsyncWanted()) {
    appendFileSync(file, text);
    return;
  }
  const fd = openSync(file, 'a');
  try {
    appendFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The local store: one folder per execution, `execution.json` kept with lowdb, one atomically
 * written file per call. Each checkpoint costs one small-file write; nothing rewrites a document
 * that grows with the number of calls. Reused calls are appended by reference, in batches.
 */
export function createJsonFolderStore(root: string): Store {
  const layout = createLayout(root);
  const docs = new Map<string, Low<ExecutionRecord>>();
  /** Per live execution: its calls folder and whether to fsync (read once, not per call). */
  const live = new Map<string, { callsDir: string; durable: boolean }>();
  const pendingRefs = new Map<string, CallRef[]>();

  function flushRefs(execId: string): void {
    const refs = pendingRefs.get(execId);
    if (!refs || refs.length === 0) return;
    pendingRefs.delete(execId);
    appendDurably(layout.refsFile(execId), refs.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  async function openDoc(id: string): Promise<Low<ExecutionRecord>> {
    const cached = docs.get(id);
    if (cached) return cached;
    const db = new Low<ExecutionRecord>(createExecutionAdapter(layout.execFile(id)), null as never);
    await db.read();
    if (!db.data)
      throw new KitaruNotFoundError(`no execution ${id} in ${root}. List executions with \`kitaru list\`.`);
    return db;
  }

  function readCallFile(file: string): CallRecord {
    const text = readText(file);
    if (text === null) throw new KitaruStoreError(`store file ${file} is missing`);
    return parseCall(file, text);
  }

  function readRefs(id: string): CallRef[] {
    const file = layout.refsFile(id);
    const text = readText(file);
    return text === null ? [] : parseLines<CallRef>(file, text);
  }

  function countCalls(id: string): number {
    const files = listDir(layout.callsDir(id)).filter((f) => f.endsWith('.json')).length;
    const refsText = readText(layout.refsFile(id));
    return files + (refsText === null ? 0 : parseLines(layout.refsFile(id), refsText).length);
  }

  return {
    kind: 'json-folder',
    location: root,

    async createExecution(record) {
      const callsDir = layout.callsDir(record.id);
      mkdirSync(callsDir, { recursive: true });
      live.set(record.id, { callsDir, durable: fsyncWanted() });
      const db = new Low<ExecutionRecord>(createExecutionAdapter(layout.execFile(record.id)), record);
      await db.write();
      if (fsyncWanted()) syncDir(layout.executions);
      docs.set(record.id, db);
    },

    async updateExecution(id, patch) {
      flushRefs(id);
      const db = await openDoc(id);
      db.data = { ...db.data, ...patch };
      await db.write();
      if (db.data.endedAt) {
        docs.delete(id);
        live.delete(id);
      } else docs.set(id, db);
    },

    async writeCall(execId, record) {
      if (record.origin === 'reused' && record.sourceExecId && record.sourceSeq !== null) {
        let refs = pendingRefs.get(execId);
        if (!refs) pendingRefs.set(execId, (refs = []));
        refs.push({
          seq: record.seq,
          id: record.id,
          name: record.name,
          inputHash: record.inputHash,
          sourceExecId: record.sourceExecId,
          sourceSeq: record.sourceSeq,
        });
        if (refs.length >= REF_FLUSH_AT) flushRefs(execId);
        return;
      }
      const at = live.get(execId);
      const name = layout.callFileName(record.seq, record.id);
      const data = JSON.stringify(record, null, 2);
      if (at) writeFileAtomicSync(`${at.callsDir}/${name}`, data, at.durable);
      else writeFileAtomicSync(layout.callFile(execId, record.seq, record.id), data);
    },

    async appendLogs(execId, entries) {
      if (entries.length === 0) return;
      appendDurably(layout.logsFile(execId), entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    },

    async getExecution(id) {
      const db = await openDoc(id);
      return structuredClone(db.data);
    },

    async getCalls(id) {
      await openDoc(id);
      const dir = layout.callsDir(id);
      const calls = listDir(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => readCallFile(`${dir}/${f}`));
      for (const ref of [...readRefs(id), ...(pendingRefs.get(id) ?? [])]) {
        const source = readCallFile(layout.callFile(ref.sourceExecId, ref.sourceSeq, ref.id));
        calls.push({
          ...source,
          seq: ref.seq,
          status: 'completed',
          origin: 'reused',
          reason: null,
          sourceExecId: ref.sourceExecId,
          sourceSeq: ref.sourceSeq,
          attempts: [],
        });
      }
      return calls.sort((a, b) => a.seq - b.seq);
    },

    async readLogs(id) {
      await openDoc(id);
      const file = layout.logsFile(id);
      const text = readText(file);
      return text === null ? [] : parseLines<LogEntry>(file, text);
    },

    async listExecutions() {
      const executions: ExecutionSummaryRecord[] = [];
      const errors: KitaruStoreError[] = [];
      const ids = listDir(layout.executions).sort().reverse();
      for (const id of ids) {
        try {
          const db = new Low<ExecutionRecord>(createExecutionAdapter(layout.execFile(id)), null as never);
          await db.read();
          if (!db.data) continue; // a folder whose execution.json is not written yet
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
      const ids = listDir(layout.executions);
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

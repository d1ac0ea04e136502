import { KitaruNotFoundError, type KitaruStoreError } from '../errors.js';
import { creationMs, newestFirst } from './creation-order.js';
import type { Store } from './store.js';
import type { CallRecord, ExecutionRecord, InputRecord, LogEntry } from './types.js';

interface Entry {
  record: ExecutionRecord;
  calls: Map<number, CallRecord>;
  logs: LogEntry[];
  inputs: Map<string, InputRecord>;
}

/** A store in memory, for tests and embedding; the same contract as the JSON-folder store. */
export function createMemoryStore(): Store {
  const executions = new Map<string, Entry>();
  /** Executions a resume has claimed (until they wait or end again). */
  const claimed = new Set<string>();
  /** Who waits for a change of each execution (`changed`). */
  const watchers = new Map<string, Set<() => void>>();

  function notify(id: string): void {
    const set = watchers.get(id);
    watchers.delete(id);
    for (const wake of set ?? []) wake();
  }

  function entry(id: string): Entry {
    const e = executions.get(id);
    if (!e) throw new KitaruNotFoundError(`no execution ${id} in the memory store`);
    return e;
  }

  return {
    location: ':memory:',
    flowFileRoot: () => null,
    async createExecution(record) {
      if (executions.has(record.id)) return false;
      executions.set(record.id, {
        record: structuredClone(record),
        calls: new Map(),
        logs: [],
        inputs: new Map(),
      });
      return true;
    },
    async updateExecution(id, patch) {
      const e = entry(id);
      e.record = { ...e.record, ...structuredClone(patch) };
      if (e.record.endedAt || e.record.status === 'waiting') claimed.delete(id);
      if (patch.status !== undefined) notify(id);
    },
    changed(id, ms) {
      return new Promise<void>((resolve) => {
        let set = watchers.get(id);
        if (!set) watchers.set(id, (set = new Set()));
        const wake = () => {
          clearTimeout(timer);
          set.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, ms);
        set.add(wake);
      });
    },
    async writeCall(execId, record) {
      entry(execId).calls.set(record.seq, structuredClone(record));
    },
    async appendLogs(execId, entries) {
      entry(execId).logs.push(...structuredClone(entries));
    },
    async getExecution(id) {
      return structuredClone(entry(id).record);
    },
    async getCalls(id) {
      return structuredClone([...entry(id).calls.values()].sort((a, b) => a.seq - b.seq));
    },
    async readLogs(id) {
      return structuredClone(entry(id).logs);
    },
    async listExecutions(options = {}) {
      const list = [...executions.values()]
        .filter((e) => !options.accept || options.accept(e.record))
        .map((e) => ({ e, id: e.record.id, ms: creationMs(e.record.id, e.record.createdAt) }))
        .sort(newestFirst)
        .slice(0, options.limit)
        .map(({ e }) => ({ ...structuredClone(e.record), checkpointCount: e.calls.size }));
      return { executions: list, errors: [] as KitaruStoreError[] };
    },
    async addInput(execId, input) {
      const inputs = entry(execId).inputs;
      const known = inputs.get(input.waitId);
      if (known) return structuredClone(known);
      inputs.set(input.waitId, structuredClone(input));
      return null;
    },
    async getInputs(execId) {
      return structuredClone([...entry(execId).inputs.values()]);
    },
    async releaseResume(execId) {
      claimed.delete(execId);
    },
    async claimResume(execId) {
      entry(execId);
      if (claimed.has(execId)) return false;
      claimed.add(execId);
      return true;
    },
    async dropInput(execId, waitId) {
      entry(execId).inputs.delete(waitId);
    },
    async deleteExecution(id) {
      entry(id);
      executions.delete(id);
      claimed.delete(id);
    },
    async reusedSources(id) {
      const sources = new Set<string>();
      for (const c of entry(id).calls.values()) {
        if (c.origin === 'reused' && c.sourceExecId !== null) sources.add(c.sourceExecId);
      }
      return [...sources];
    },
    async resolveId(prefix) {
      if (executions.has(prefix)) return prefix;
      const matches = [...executions.keys()].filter((id) => id.startsWith(prefix));
      if (matches.length === 1) return matches[0] as string;
      throw new KitaruNotFoundError(
        matches.length === 0
          ? `no execution matches "${prefix}"`
          : `"${prefix}" is ambiguous: it matches ${matches.length} executions; give more characters of the id.`,
      );
    },
  };
}

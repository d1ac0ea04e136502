import { createJsonFolderStore } from './json-folder/json-folder-store.js';
import { locateStoreDir } from './locate.js';
import { createMemoryStore } from './memory-store.js';
import { redact } from './postgres/redact.js';
import { projectRoot } from './project-root.js';
import type { Store } from './store.js';

/** One kind of store: which specs (a URL or a folder) it takes, and how it opens one. */
interface StoreDriver {
  name: 'postgres' | 'memory' | 'folder';
  accepts(spec: string): boolean;
  open(spec: string): Store;
}

/**
 * The stores kitaru knows, tried in order. The Postgres store (its driver, its SQL) loads only
 * when a `postgres://` store is opened: a project on a folder never loads it.
 */
const DRIVERS: readonly StoreDriver[] = [
  {
    name: 'postgres',
    accepts: isPostgresUrl,
    open: (url) =>
      lazyStore(redact(url), projectRoot, async () => {
        const { createPostgresStore } = await import('./postgres/postgres-store.js');
        return createPostgresStore(url);
      }),
  },
  { name: 'memory', accepts: (spec) => spec === 'memory:', open: () => createMemoryStore() },
  { name: 'folder', accepts: () => true, open: (dir) => createJsonFolderStore(dir) },
];

/** Whether a `--store` / `KITARU_STORE` value names a PostgreSQL database. */
export function isPostgresUrl(value: string | undefined): value is string {
  return value !== undefined && /^postgres(ql)?:\/\//.test(value);
}

const opened = new Map<string, Store>();

/**
 * The store to use, one instance per store in a process (so every writer in the process shares
 * its buffers and connections): `url` (a `postgres://` URL, or `memory:`) unless a folder `dir`
 * is given; else the folder `dir`, `KITARU_DIR` or the nearest `.kitaru/` locates.
 */
export function resolveStore(options: { dir?: string; url?: string } = {}): Store {
  const spec =
    options.url !== undefined && options.dir === undefined ? options.url : locateStoreDir(options.dir);
  const driver = DRIVERS.find((d) => d.accepts(spec)) as StoreDriver;
  if (driver.name === 'memory') return driver.open(spec); // each asks for its own
  let store = opened.get(spec);
  if (!store) opened.set(spec, (store = driver.open(spec)));
  return store;
}

/** The store `flow.run()` and `new KitaruClient()` use when given none: `KITARU_STORE`, else the folder. */
export function defaultStore(): Store {
  const url = process.env.KITARU_STORE;
  return resolveStore(url ? { url } : {});
}

/** A store whose code loads on first use; `location` and `flowFileRoot` are known before. */
function lazyStore(
  location: string,
  flowFileRoot: (near: string) => string | null,
  load: () => Promise<Store>,
): Store {
  let loading: Promise<Store> | undefined;
  let loaded: Store | undefined;
  const s = () =>
    (loading ??= load().then((store) => {
      loaded = store;
      return store;
    }));
  return {
    location,
    flowFileRoot,
    database: async () => {
      const store = await s();
      if (!store.database) throw new Error(`the store ${location} lives in no database`);
      return store.database();
    },
    createExecution: async (record) => (await s()).createExecution(record),
    updateExecution: async (id, patch) => (await s()).updateExecution(id, patch),
    writeCall: (execId, record) => {
      if (loaded) return loaded.writeCall(execId, record);
      // Copied now: the record may change once this returns, before the store has loaded.
      const copy = structuredClone(record);
      return s().then((store) => store.writeCall(execId, copy));
    },
    appendLogs: async (execId, entries) => (await s()).appendLogs(execId, entries),
    getExecution: async (id) => (await s()).getExecution(id),
    getCalls: async (id) => (await s()).getCalls(id),
    readLogs: async (id) => (await s()).readLogs(id),
    listExecutions: async (options) => (await s()).listExecutions(options),
    resolveId: async (prefix) => (await s()).resolveId(prefix),
    changed: async (id, ms) => {
      const store = await s();
      await (store.changed ? store.changed(id, ms) : new Promise((r) => setTimeout(r, ms)));
    },
    addInput: async (execId, input) => (await s()).addInput(execId, input),
    getInputs: async (execId) => (await s()).getInputs(execId),
    dropInput: async (execId, waitId) => (await s()).dropInput(execId, waitId),
    claimResume: async (execId) => (await s()).claimResume(execId),
    releaseResume: async (execId) => (await s()).releaseResume(execId),
    deleteExecution: async (id) => (await s()).deleteExecution(id),
    reusedSources: async (id) => (await s()).reusedSources(id),
    finishDeletions: async () => (await s()).finishDeletions?.(),
    close: async () => {
      if (loading) await (await loading).close?.();
    },
  };
}

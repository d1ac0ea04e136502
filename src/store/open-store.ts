import { createJsonFolderStore } from './json-folder/json-folder-store.js';
import { locateStoreDir } from './locate.js';
import { createPostgresStore } from './postgres/postgres-store.js';
import type { Store } from './store.js';

const cache = new Map<string, Store>();

/** Whether a `--store` / `KITARU_STORE` value names a PostgreSQL database. */
export function isPostgresUrl(value: string | undefined): value is string {
  return value !== undefined && /^postgres(ql)?:\/\//.test(value);
}

/**
 * The store to use: a PostgreSQL URL (`--store`, else `KITARU_STORE`) selects the Postgres store;
 * otherwise the JSON folder that `dir` (`--dir`) or the environment locates. One instance per
 * store in a process, so every writer in the process shares its buffers and connections.
 */
export function openStore(dir?: string, url = process.env.KITARU_STORE): Store {
  const pgUrl = isPostgresUrl(url) && dir === undefined ? url : undefined;
  const key = pgUrl ?? locateStoreDir(dir);
  let store = cache.get(key);
  if (!store) cache.set(key, (store = pgUrl ? createPostgresStore(pgUrl) : createJsonFolderStore(key)));
  return store;
}

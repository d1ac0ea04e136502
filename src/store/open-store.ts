import { createJsonFolderStore } from './json-folder/json-folder-store.js';
import { locateStoreDir } from './locate.js';
import type { Store } from './store.js';

const cache = new Map<string, Store>();

/**
 * The store for a `--dir` value (or the located default). One instance per folder in a process, so
 * every writer in the process shares its buffers.
 */
export function openStore(dir?: string): Store {
  const root = locateStoreDir(dir);
  let store = cache.get(root);
  if (!store) cache.set(root, (store = createJsonFolderStore(root)));
  return store;
}

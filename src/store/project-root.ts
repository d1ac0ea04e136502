import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Store } from './store.js';

/** The nearest folder upwards from `from` that holds a package.json (else `from` itself). */
export function projectRoot(from: string): string {
  for (let at = resolve(from); ; at = dirname(at)) {
    if (existsSync(join(at, 'package.json'))) return at;
    if (dirname(at) === at) return resolve(from);
  }
}

/**
 * The folder flow files are recorded relative to: the folder holding a `.kitaru/` store; for a
 * database store (shared by several checkouts), the project root of the file (when writing) or
 * of the current directory (when reading), so every checkout finds its own copy.
 */
function baseFor(store: Store, near: string): string | null {
  if (isAbsolute(store.location)) return dirname(store.location);
  if (store.kind === 'memory') return null;
  return projectRoot(near);
}

/** How an execution records its flow file. */
export function recordFlowFile(store: Store, file: string): string {
  const base = baseFor(store, dirname(file));
  return base === null ? file : relative(base, file);
}

/** Where a recorded flow file is now. */
export function resolveFlowFile(store: Store, file: string): string {
  if (isAbsolute(file)) return file;
  const base = baseFor(store, process.cwd());
  return base === null ? resolve(file) : resolve(base, file);
}

import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Store } from './store.js';

/** The nearest folder upwards from `from` that holds a package.json (else `from` itself). */
export function projectRoot(from: string): string {
  for (let at = resolve(from); ; at = dirname(at)) {
    if (existsSync(join(at, 'package.json'))) return at;
    if (dirname(at) === at) return resolve(from);
  }
}

/** How an execution records its flow file. */
export function recordFlowFile(store: Store, file: string): string {
  const base = store.flowFileRoot(dirname(file));
  return base === null ? file : relative(base, file);
}

/** Where a recorded flow file is now. */
export function resolveFlowFile(store: Store, file: string): string {
  const base = store.flowFileRoot(process.cwd());
  return base === null ? resolve(file) : resolve(base, file);
}

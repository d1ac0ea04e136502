import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Name of the store folder looked for from the current directory upwards. */
export const STORE_DIR_NAME = '.kitaru';

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Where the store is: `dir` (the `--dir` option), else `KITARU_DIR`, else the nearest `.kitaru/`
 * walking up from `cwd`, else `cwd/.kitaru` (created on first write).
 */
export function locateStoreDir(dir?: string, cwd = process.cwd()): string {
  if (dir) return resolve(cwd, dir);
  const env = process.env.KITARU_DIR;
  if (env) return resolve(cwd, env);
  for (let at = resolve(cwd); ; at = dirname(at)) {
    const candidate = join(at, STORE_DIR_NAME);
    if (isDir(candidate)) return candidate;
    if (dirname(at) === at) break;
  }
  return join(resolve(cwd), STORE_DIR_NAME);
}

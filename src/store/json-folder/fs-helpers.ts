import { type Dirent, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KitaruStoreError } from '../../errors.js';
import { osError } from '../os-error.js';

/** A file's text, or null if it does not exist; any other failure names the file. */
export function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KitaruStoreError(`cannot read store file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** A folder's entries, or none if it does not exist. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw osError('read store folder', dir, err);
  }
}

/** The sub-folders of a folder (other files, such as a `.DS_Store`, are not executions). */
export function listSubdirs(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw osError('read store folder', dir, err);
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) out.push(e.name);
    else if (e.isSymbolicLink() && isDir(join(dir, e.name))) out.push(e.name);
  }
  return out;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Creates a folder and its missing parents. Unlike `mkdirSync(..., { recursive: true })`, a
 * failure carries the OS's own code (a read-only disk is `EROFS`, not `ENOENT`) and names the path.
 */
export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && isDir(dir)) return;
    if (code === 'ENOENT' && dirname(dir) !== dir) {
      ensureDir(dirname(dir));
      ensureDir(dir);
      return;
    }
    throw osError('create store folder', dir, err);
  }
}

/** What tells a file's versions apart (time, size, inode), or null if it does not exist. */
export function fileStamp(file: string): string | null {
  try {
    const st = statSync(file);
    return `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch {
    return null;
  }
}

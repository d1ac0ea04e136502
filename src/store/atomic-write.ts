import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { osError } from './os-error.js';

let counter = 0;
const HOST = hostname();

/** Whether `KITARU_FSYNC=1` asks for power-loss durability. */
export function fsyncWanted(): boolean {
  return process.env.KITARU_FSYNC === '1';
}

/** A temp file name that says which process wrote it (`<host>~<pid>~<n>.tmp`), so leftovers can be swept. */
export function tempName(): string {
  return `${HOST}~${process.pid}~${++counter}.tmp`;
}

/** The host and pid that wrote a temp file, from its name; null for other files. */
export function tempOwner(name: string): { host: string; pid: number } | null {
  const m = name.match(/^(.*)~(\d+)~\d+\.tmp$/);
  return m ? { host: m[1] as string, pid: Number(m[2]) } : null;
}

/**
 * Writes `data` to `file` atomically: a temp file (in `tmpDir`, default beside the file; same
 * file system), then a rename, so readers see the old or the new content, never a torn one. With
 * `fsync`, the file is synced before the rename and its folder after. A failure removes the temp
 * file and is a `KitaruStoreError` naming the file and the OS code.
 */
export function writeFileAtomicSync(
  file: string,
  data: string,
  fsync = fsyncWanted(),
  tmpDir?: string,
): void {
  const tmp = tmpDir ? join(tmpDir, tempName()) : `${file}.${basename(tempName())}`;
  try {
    if (fsync) writeAndSync(tmp, 'w', data);
    else writeFileSync(tmp, data);
    renameSync(tmp, file);
    if (fsync) syncDir(dirname(file));
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {}
    throw osError('write store file', file, err);
  }
}

/** Writes (`flags` 'w') or appends ('a') `data` to `file` and fsyncs it before closing. */
export function writeAndSync(file: string, flags: 'w' | 'a', data: string): void {
  const fd = openSync(file, flags);
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync of a folder, so a rename in it survives power loss. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

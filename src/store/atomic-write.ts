import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

let counter = 0;

/** Whether `KITARU_FSYNC=1` asks for power-loss durability. */
export function fsyncWanted(): boolean {
  return process.env.KITARU_FSYNC === '1';
}

/**
 * Writes `data` to `file` atomically: a temp file beside it, then a rename, so readers see the old
 * or the new content, never a torn one. With `fsync`, the file is synced before the rename and
 * its folder after.
 */
export function writeFileAtomicSync(file: string, data: string, fsync = fsyncWanted()): void {
  const tmp = `${file}.${process.pid}.${++counter}.tmp`;
  if (fsync) {
    writeAndSync(tmp, 'w', data);
    renameSync(tmp, file);
    syncDir(dirname(file));
  } else {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
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

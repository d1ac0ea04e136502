import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KitaruStoreError } from '../../errors.js';
import { tempOwner } from '../atomic-write.js';
import { pidAlive } from '../liveness.js';
import { osError } from '../os-error.js';
import { sweepAside } from './delete-aside.js';
import { ensureDir } from './fs-helpers.js';

/** A store folder that is a file is named as such, not met as `ENOTDIR` deeper down. */
export function checkRoot(root: string): void {
  let isFile = false;
  try {
    isFile = !statSync(root).isDirectory();
  } catch {}
  if (isFile) {
    throw new KitaruStoreError(
      `the store ${root} is a file, not a folder: point --dir (or KITARU_DIR) at a folder.`,
    );
  }
}

/**
 * Before a process first writes to a store: the store folder must be a folder, and the temp
 * files that writers on this host left when they were killed mid-write are removed, with the
 * folders that deleters left moved aside.
 */
export function prepareForWrites(root: string, tmpDir: string): void {
  checkRoot(root);
  try {
    ensureDir(tmpDir);
    const host = hostname();
    for (const name of readdirSync(tmpDir)) {
      const owner = tempOwner(name);
      if (owner && owner.host === host && !pidAlive(owner.pid)) unlinkSync(join(tmpDir, name));
    }
    sweepAside(tmpDir);
  } catch (err) {
    throw osError('prepare store folder', root, err);
  }
}

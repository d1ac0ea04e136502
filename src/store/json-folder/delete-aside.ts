import { readdirSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KitaruNotFoundError } from '../../errors.js';
import { fsyncWanted, syncDir } from '../atomic-write.js';
import { pidAlive } from '../liveness.js';
import { osError } from '../os-error.js';

const HOST = hostname();
const ASIDE = /^([^~]+)~(\d+)~(.*)\.deleting$/;

/** `<exec-id>~<pid>~<host>.deleting`: an execution folder moved aside, and who is removing it. */
function asideName(id: string): string {
  return `${id}~${process.pid}~${HOST}.deleting`;
}

/** The execution, host and pid of a folder moved aside, from its name; null for other names. */
export function asideOwner(name: string): { id: string; pid: number; host: string } | null {
  const m = ASIDE.exec(name);
  return m ? { id: m[1] as string, pid: Number(m[2]), host: m[3] as string } : null;
}

/**
 * Deletes an execution's folder all or nothing: one rename moves it out of `executions/` into
 * the store's `tmp/` (readers see it whole until then, and not at all after), then the folder is
 * removed. A process killed between the two leaves the folder in `tmp/`, where `sweepAside`
 * (a later gc, or any writer's start) finishes removing it.
 */
export function deleteFolderAside(execDir: string, executions: string, tmpDir: string, id: string): void {
  const aside = join(tmpDir, asideName(id));
  try {
    renameSync(execDir, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new KitaruNotFoundError(`no execution ${id} to delete. List executions with \`kitaru list\`.`);
    }
    throw osError('move aside execution folder', execDir, err);
  }
  if (fsyncWanted()) {
    syncDir(executions);
    syncDir(tmpDir);
  }
  removeAside(aside);
}

function removeAside(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch (err) {
    throw osError('remove execution folder', path, err);
  }
}

/** Removes the folders that processes of this host, now gone, moved aside and did not finish removing. */
export function sweepAside(tmpDir: string): void {
  let names: string[];
  try {
    names = readdirSync(tmpDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw osError('read store folder', tmpDir, err);
  }
  for (const name of names) {
    const owner = asideOwner(name);
    if (owner && owner.host === HOST && !pidAlive(owner.pid)) removeAside(join(tmpDir, name));
  }
}

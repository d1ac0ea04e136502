import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from '../liveness.js';
import { osError } from '../os-error.js';

/** Whoever resumes an execution: a file made with `wx`, so one process wins when several try. */
export function createResumeClaims(execDir: (id: string) => string) {
  const fileOf = (id: string) => join(execDir(id), 'resume.lock');
  const host = hostname();
  /** Claims this process holds: only those are let go (a run that never claimed costs nothing). */
  const held = new Set<string>();

  /** A claim whose process is gone from this host can be taken over. */
  function stale(file: string): boolean {
    try {
      const { pid, host: owner } = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; host: string };
      return owner === host && !pidAlive(pid);
    } catch {
      return true; // unreadable: written part-way by a process that died
    }
  }

  return {
    claim(id: string): boolean {
      const file = fileOf(id);
      for (let tries = 0; tries < 2; tries++) {
        try {
          writeFileSync(file, JSON.stringify({ pid: process.pid, host }), { flag: 'wx' });
          held.add(id);
          return true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw osError('create store file', file, err);
          if (!stale(file)) return false;
          rmSync(file, { force: true });
        }
      }
      return false;
    },
    release(id: string): void {
      if (!held.delete(id)) return;
      rmSync(fileOf(id), { force: true });
    },
  };
}

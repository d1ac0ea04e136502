// The raw-fs baselines: what a hand-written loop doing the same file work costs.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

let counter = 0;

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  fsyncSync(fd);
  closeSync(fd);
}

/** One atomic small-file write: temp file + rename (+ fsyncs when `durable`). */
export function atomicWrite(file: string, data: string, durable = false): void {
  const tmp = `${file}.${process.pid}.${++counter}.tmp`;
  if (durable) {
    const fd = openSync(tmp, 'w');
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
    syncDir(join(file, '..'));
  } else {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  }
}

/** A folder laid out like an execution's, so paths have the same depth as kitaru's. */
export function rawExecDir(root: string, id: string): string {
  const dir = join(root, '.kitaru', 'executions', id, 'checkpoints');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** n atomic writes of `payload`, one file per call, named like kitaru's call files. */
export function rawCalls(dir: string, n: number, payload: string, durable = false): void {
  for (let i = 0; i < n; i++)
    atomicWrite(`${dir}/${String(i).padStart(6, '0')}-tiny_${i + 1}.json`, payload, durable);
}

/** The file work of one small flow by hand: a folder, an execution record at start and end, one file per step. */
export function rawSmallFlow(root: string, id: string, steps: number, call: string, execution: string): void {
  const dir = rawExecDir(root, id);
  const execFile = join(dir, '..', 'execution.json');
  atomicWrite(execFile, execution);
  for (let i = 0; i < steps; i++) atomicWrite(`${dir}/${String(i).padStart(6, '0')}-step${i}.json`, call);
  atomicWrite(execFile, execution);
}

/** n atomic writes issued all at once on the thread pool (what a parallel writer could do). */
export async function rawCallsConcurrent(dir: string, n: number, payload: string): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const file = `${dir}/${String(i).padStart(6, '0')}-tiny_${i + 1}.json`;
      const tmp = `${file}.${process.pid}.${++counter}.tmp`;
      await writeFile(tmp, payload);
      await rename(tmp, file);
    }),
  );
}

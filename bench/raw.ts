// The raw-fs baselines: what hand-written node:fs code doing the same durable work costs.
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
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

/** A folder laid out like an execution's (`<root>/executions/<id>`), so paths have kitaru's depth. */
export function rawExecDir(root: string, id: string): string {
  const dir = join(root, 'executions', id);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * The floor: `n` records appended to a file that is already open, one write() per record (and one
 * fdatasync per record when `durable`). Only the loop is timed: the file is opened before and
 * closed after. Returns the milliseconds the loop took.
 */
export function rawAppend(file: string, n: number, line: string, durable = false): number {
  const fd = openSync(file, 'a');
  const record = Buffer.from(`${line}\n`, 'utf8');
  try {
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      writeSync(fd, record);
      if (durable) fdatasyncSync(fd);
    }
    return performance.now() - start;
  } finally {
    closeSync(fd);
  }
}

/** The old floor: `n` atomic writes of `payload` into `dir`, one file per record. */
export function rawAtomicCalls(dir: string, n: number, payload: string): void {
  for (let i = 0; i < n; i++) atomicWrite(`${dir}/${String(i).padStart(6, '0')}-tiny_${i + 1}.json`, payload);
}

/** A 3-step run by hand: a folder per run and one atomic file per step's result. */
export function rawSmallFlow(root: string, id: string, results: string[]): void {
  const dir = rawExecDir(root, id);
  for (let i = 0; i < results.length; i++) atomicWrite(join(dir, `step${i}.json`), results[i] as string);
}

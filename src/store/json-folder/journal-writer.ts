import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { osError } from '../os-error.js';

/**
 * An execution's journal, open for appending while it runs. Lines appended in the same turn of
 * the microtask queue (a fan-out's calls ending together) go out in one write(), and with
 * `durable` one fdatasync: a group commit. Each line is written whole.
 */
export interface JournalWriter {
  /** Queues one record (a line of JSON, no newline); resolves once it is written (and synced). */
  append(line: string): Promise<void>;
  /**
   * Queues a record that can be made again for free if lost (a reused call's reference): it goes
   * out with the next group, at the latest after `LATER_LINES` such lines or one turn of the event
   * loop, so a replay that reuses everything costs a read per call, not a write.
   */
  appendLater(line: string): void;
  /** Writes what is queued, now. */
  flush(): void;
  /** Writes what is queued and closes the file. */
  close(): void;
}

/** Records that can wait (reused calls) are written at least this often. */
const LATER_LINES = 256;

/** Lines queued for the next write, and the promise they share. */
interface Group {
  lines: string[];
  /** A failure of this group is noted for the next writer (it holds lines nobody waits for). */
  watched: boolean;
  done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function newGroup(): Group {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { lines: [], watched: false, done, resolve, reject };
}

/**
 * Writes all of `text` at the end of the file (append mode) and returns its length in bytes. The
 * string goes to write() as it is (no Buffer made for it); the rest of a short write, from a
 * Buffer.
 */
function writeAll(fd: number, text: string): number {
  const n = writeSync(fd, text);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (n < bytes) {
    const buf = Buffer.from(text, 'utf8');
    for (let at = n; at < buf.length; ) at += writeSync(fd, buf, at, buf.length - at);
  }
  return bytes;
}

/**
 * Opens `file` for appending. A journal this process did not create (an execution taken up again)
 * first loses a torn last line: a crash can leave one, and a record after it would be glued to it.
 */
export function openJournal(file: string, options: { durable: boolean; create: boolean }): JournalWriter {
  let fd: number;
  try {
    fd = openSync(file, options.create ? 'ax' : 'a+');
    if (!options.create) cutTornTail(fd);
  } catch (err) {
    throw osError(options.create ? 'create store file' : 'open store file', file, err);
  }
  let group: Group | null = null;
  // Where the file's whole lines end: a write that fails part-way is cut back to it.
  let whole = options.create ? 0 : fstatSync(fd).size;
  // Once a write has failed, nothing more is appended: later records would follow a gap.
  let failed: unknown;
  let closed = false;
  const check = () => {
    if (failed) throw failed;
  };

  function flush(): void {
    check();
    const g = group;
    if (!g) return;
    group = null;
    try {
      const text = g.lines.length === 1 ? `${g.lines[0]}\n` : `${g.lines.join('\n')}\n`;
      const bytes = writeAll(fd, text);
      if (options.durable) fdatasyncSync(fd);
      whole += bytes;
      g.resolve();
    } catch (err) {
      const e = osError('append to store file', file, err);
      failed = e;
      try {
        ftruncateSync(fd, whole); // no torn group in the middle of the journal
      } catch {}
      g.reject(e);
      throw e;
    }
  }

  let soon = false;
  let later: NodeJS.Immediate | undefined;
  // Made once: a sequential run queues one per call.
  const flushSoon = () => {
    soon = false;
    try {
      flush();
    } catch {} // the group's promise carries the error
  };

  return {
    append(line) {
      check();
      group ??= newGroup();
      if (!soon) {
        soon = true;
        queueMicrotask(flushSoon);
      }
      group.lines.push(line);
      return group.done;
    },
    appendLater(line) {
      check();
      group ??= newGroup();
      group.lines.push(line);
      if (!group.watched) {
        group.watched = true;
        group.done.catch(() => {}); // `failed` keeps the error for the next writer
      }
      if (group.lines.length >= LATER_LINES) flush();
      else
        later ??= setImmediate(() => {
          later = undefined;
          try {
            flush();
          } catch {}
        });
    },
    flush,
    close() {
      if (closed) return;
      closed = true;
      if (later) clearImmediate(later);
      try {
        flush();
      } finally {
        closeSync(fd);
      }
    },
  };
}

/**
 * Cuts the file after its last complete, parsable line. Only its end is read: back from the end
 * in growing pieces until the piece holds the start of its last whole line.
 */
function cutTornTail(fd: number): void {
  const size = fstatSync(fd).size;
  for (let want = TAIL_PIECE; ; want *= 4) {
    const from = Math.max(0, size - want);
    const buf = Buffer.alloc(size - from);
    for (let at = 0; at < buf.length; ) {
      const n = readSync(fd, buf, at, buf.length - at, from + at);
      if (n === 0) break;
      at += n;
    }
    const keep = wholeLength(buf, from === 0);
    if (keep === null) continue;
    if (from + keep < size) ftruncateSync(fd, from + keep);
    return;
  }
}

/** How much of a journal's end is read first to find a torn tail. */
const TAIL_PIECE = 64 * 1024;

/**
 * The length of the part of `buf` (the end of a journal, or all of it when `whole`) made of
 * whole lines, a torn last line left out; null when `buf` does not reach back far enough to say.
 */
function wholeLength(buf: Buffer, whole: boolean): number | null {
  if (buf.length === 0) return 0;
  const lastNl = buf.lastIndexOf(0x0a);
  if (buf[buf.length - 1] !== 0x0a) return lastNl >= 0 || whole ? lastNl + 1 : null;
  const start = buf.length >= 2 ? buf.lastIndexOf(0x0a, buf.length - 2) + 1 : 0;
  if (start === 0 && !whole) return null;
  try {
    JSON.parse(buf.subarray(start, buf.length - 1).toString('utf8'));
    return buf.length;
  } catch {
    return start;
  }
}

import { closeSync, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { KitaruStoreError } from '../../errors.js';
import { emptyJournal, type JournalContent, parseLines } from './journal-reader.js';

/** Journals kept parsed: a replay's source is read once, not once per reused call. */
const KEPT = 4;

/** Bytes before the end of what was parsed, read again to check that the file still holds them. */
const CHECK_BYTES = 64;

/** A journal as this process last parsed it. */
interface Kept {
  /** The file as it was then (time, size, inode): unchanged, the content is still right. */
  stamp: string;
  ino: number;
  /** Where the whole lines parsed end (a torn piece after them is read again next time). */
  bytes: number;
  lines: number;
  /** The last bytes parsed: a journal only grows, so a file that still has them was appended to. */
  tail: Buffer;
  content: JournalContent;
}

function cannotRead(file: string, err: unknown): KitaruStoreError {
  return new KitaruStoreError(`cannot read store file ${file}: ${(err as Error).message}`, { cause: err });
}

function statOf(file: string): Stats | null {
  try {
    return statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw cannotRead(file, err);
  }
}

/** The bytes of `file` from `from` to its end, or null if it is gone. */
function readFrom(file: string, from: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw cannotRead(file, err);
  }
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(Math.max(0, size - from));
    let at = 0;
    while (at < buf.length) {
      const n = readSync(fd, buf, at, buf.length - at, from + at);
      if (n === 0) break;
      at += n;
    }
    return buf.subarray(0, at);
  } catch (err) {
    throw cannotRead(file, err);
  } finally {
    closeSync(fd);
  }
}

/**
 * Parses the whole lines of `buf` (the journal's bytes from `offset`, after `lines` lines) into
 * `into`; returns where the whole lines taken end, as a file offset.
 */
function parseFrom(
  file: string,
  id: string,
  buf: Buffer,
  offset: number,
  lines: number,
  into: JournalContent,
): { bytes: number; lines: number } {
  const text = buf.toString('utf8');
  const parsed = parseLines(file, text, id, into, lines);
  let end = buf.lastIndexOf(0x0a) + 1;
  if (parsed.tornLine) end = end >= 2 ? buf.lastIndexOf(0x0a, end - 2) + 1 : 0;
  return { bytes: offset + end, lines: lines + parsed.lines };
}

/**
 * Reads journals, keeping the last few parsed. A journal that grew since (the run that wrote it,
 * a resume, an answer) is read from where the last read stopped: only its new lines are parsed.
 */
export function createJournalCache(fileOf: (id: string) => string) {
  const kept = new Map<string, Kept>();

  function keep(id: string, k: Kept): JournalContent {
    kept.delete(id);
    kept.set(id, k);
    if (kept.size > KEPT) kept.delete(kept.keys().next().value as string);
    return k.content;
  }

  /** The new lines of a journal parsed before, or null if it is not the file it was. */
  function grown(id: string, file: string, st: Stats, hit: Kept): JournalContent | null {
    if (st.ino !== hit.ino || st.size <= hit.bytes) return null;
    const from = hit.bytes - hit.tail.length;
    const buf = readFrom(file, from);
    if (!buf || buf.length < hit.tail.length || !buf.subarray(0, hit.tail.length).equals(hit.tail))
      return null;
    const added = emptyJournal();
    const at = parseFrom(file, id, buf.subarray(hit.tail.length), hit.bytes, hit.lines, added);
    const content = hit.content;
    for (const [seq, call] of added.calls) content.calls.set(seq, call);
    for (const entry of added.logs) content.logs.push(entry);
    return keep(id, { ...track(st, buf, from, at), content });
  }

  return {
    /**
     * Keeps `content` as the parse of execution `id`'s journal as it is now (`lines` lines): what
     * this process just wrote to it, whole, so that reading it back costs no parse.
     */
    adopt(id: string, content: JournalContent, lines: number): void {
      const file = fileOf(id);
      const st = statOf(file);
      const buf = st ? readFrom(file, Math.max(0, st.size - CHECK_BYTES)) : null;
      if (!st || !buf || buf[buf.length - 1] !== 0x0a) return;
      keep(id, { ...track(st, buf, st.size - buf.length, { bytes: st.size, lines }), content });
    },
    /** The parsed journal of execution `id`, or null if it has none. */
    read(id: string): JournalContent | null {
      const file = fileOf(id);
      const st = statOf(file);
      if (st === null) return null;
      const hit = kept.get(id);
      if (hit && hit.stamp === stampOf(st)) return hit.content;
      const more = hit ? grown(id, file, st, hit) : null;
      if (more) return more;
      const buf = readFrom(file, 0);
      if (buf === null) return null;
      const content = emptyJournal();
      const at = parseFrom(file, id, buf, 0, 0, content);
      return keep(id, { ...track(st, buf, 0, at), content });
    },
  };
}

function stampOf(st: Stats): string {
  return `${st.mtimeMs}:${st.size}:${st.ino}`;
}

/**
 * What to keep of a read: the file's stamp, where the parsed lines end, and the bytes just before
 * that end (`buf` holds the file's bytes from offset `from`).
 */
function track(
  st: Stats,
  buf: Buffer,
  from: number,
  at: { bytes: number; lines: number },
): Omit<Kept, 'content'> {
  const end = at.bytes - from;
  return {
    stamp: stampOf(st),
    ino: st.ino,
    bytes: at.bytes,
    lines: at.lines,
    tail: Buffer.from(buf.subarray(Math.max(0, end - CHECK_BYTES), end)),
  };
}

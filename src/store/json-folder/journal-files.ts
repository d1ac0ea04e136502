import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { KitaruStoreError } from '../../errors.js';
import type { CallRecord, ExecutionRecord, LogEntry } from '../types.js';
import type { CallRef } from './call-index.js';
import { compactCallLine, stringText } from './call-line.js';
import { checkExecution } from './validate.js';

/** A JSON object as one journal line of type `t` (`t` last, so readers drop it cheaply). */
function line(json: string, t: string): string {
  return `${json.slice(0, -1)},"t":"${t}"}`;
}

/** The journal's first line: the execution as it started (its summary until it ends). */
export const startLine = (record: ExecutionRecord) => line(JSON.stringify(record), 'start');
/**
 * A call as it stands after an attempt (a later line of the same call supersedes it), its fields at
 * their usual value left out.
 */
export const callLine = (record: CallRecord) => compactCallLine(record, 'call');
/** A flow-level log entry. */
export const logLine = (entry: LogEntry) => line(JSON.stringify(entry), 'log');

/** A reused call: a reference to the call of the execution that really ran it. */
export function reuseLine(record: CallRecord): string {
  // Written out by hand (one per reused call on replay): numbers as they are, strings quoted.
  const q = stringText;
  return (
    `{"seq":${record.seq},"id":${q(record.id)},"name":${names.quote(record.name)},"inputHash":${q(record.inputHash)},` +
    `"sourceExecId":${sources.quote(record.sourceExecId as string)},"sourceSeq":${record.sourceSeq},"t":"reuse"}`
  );
}

/** The last string quoted, kept: a replay's reused calls mostly share their name and source. */
function lastQuoted() {
  let raw = '';
  let quoted = '""';
  return {
    quote(s: string): string {
      if (s !== raw) {
        quoted = stringText(s);
        raw = s;
      }
      return quoted;
    },
  };
}

const names = lastQuoted();
const sources = lastQuoted();

/** The first line of a file (read in chunks until its newline), or null if it has none yet. */
function firstLine(file: string): string | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KitaruStoreError(`cannot read store file ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const chunks: Buffer[] = [];
    for (let at = 0; ; ) {
      const buf = Buffer.alloc(16 * 1024);
      const n = readSync(fd, buf, 0, buf.length, at);
      const nl = buf.subarray(0, n).indexOf(0x0a);
      if (nl >= 0) {
        chunks.push(buf.subarray(0, nl));
        return Buffer.concat(chunks).toString('utf8');
      }
      if (n === 0) return null;
      chunks.push(buf.subarray(0, n));
      at += n;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The start record of an execution's journal, read alone (list reads no more of a running or
 * crashed execution). A journal without one was cut off as it was created: a `KitaruStoreError`.
 */
export function readStart(file: string, folderId: string): ExecutionRecord | null {
  const first = firstLine(file);
  const fail = (what: string) =>
    new KitaruStoreError(`corrupt store file ${file}: ${what}. Move the execution's folder away and retry.`);
  if (first === null) {
    // Created a moment ago, its start record a write away: not an execution yet, not a corrupt one.
    const age = ageMs(file);
    if (age === null || age < JUST_CREATED_MS) return null;
    throw fail('no start record (the execution was cut off as it was created)');
  }
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(first);
  } catch {
    throw fail('line 1 is not valid JSON');
  }
  if (rec.t !== 'start') throw fail('line 1 is not a start record');
  delete rec.t;
  return checkExecution(rec, folderId, (what) => fail(`line 1: ${what}`));
}

/** A journal without its start record for longer than this was cut off as it was created. */
const JUST_CREATED_MS = 2000;

function ageMs(file: string): number | null {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

export type { CallRef };

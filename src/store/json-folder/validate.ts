import { KitaruStoreError } from '../../errors.js';
import { type CallRecord, type ExecutionRecord, SCHEMA_VERSION } from '../types.js';

const STATUSES = new Set(['queued', 'running', 'completed', 'failed', 'cancelled']);

function fail(file: string, what: string, cause?: unknown): never {
  throw new KitaruStoreError(
    `corrupt store file ${file}: ${what}. Move it away (or delete its execution folder) and retry.`,
    cause === undefined ? undefined : { cause },
  );
}

function parse(file: string, text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    fail(file, text.length === 0 ? 'the file is empty' : 'not valid JSON (truncated or edited?)', cause);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail(file, 'not a JSON object');
  const d = doc as Record<string, unknown>;
  if (typeof d.schemaVersion !== 'number') fail(file, 'no schemaVersion: not a kitaru document');
  if (d.schemaVersion > SCHEMA_VERSION) {
    fail(
      file,
      `schemaVersion ${d.schemaVersion} is newer than this kitaru understands (${SCHEMA_VERSION}); upgrade kitaru`,
    );
  }
  return d;
}

/** Parses and checks `execution.json`; `KitaruStoreError` naming the file otherwise. */
export function parseExecution(file: string, text: string, folderId: string): ExecutionRecord {
  const d = parse(file, text);
  if (typeof d.id !== 'string') fail(file, 'missing id');
  if (d.id !== folderId) {
    fail(file, `it is execution ${JSON.stringify(d.id)}, but its folder is ${folderId} (copied or edited?)`);
  }
  if (typeof d.status !== 'string' || !STATUSES.has(d.status))
    fail(file, `unknown status ${JSON.stringify(d.status)}`);
  const flow = d.flow as Record<string, unknown> | undefined;
  if (typeof flow !== 'object' || flow === null || typeof flow.name !== 'string')
    fail(file, 'missing flow name');
  if (typeof d.createdAt !== 'string') fail(file, 'missing createdAt');
  return d as unknown as ExecutionRecord;
}

/** Parses and checks a call record; `KitaruStoreError` naming the file otherwise. */
export function parseCall(file: string, text: string): CallRecord {
  const d = parse(file, text);
  if (typeof d.id !== 'string' || typeof d.name !== 'string') fail(file, 'missing call id or name');
  if (typeof d.seq !== 'number') fail(file, 'missing seq');
  if (d.status !== 'completed' && d.status !== 'failed')
    fail(file, `unknown status ${JSON.stringify(d.status)}`);
  if (!Array.isArray(d.attempts)) fail(file, 'missing attempts');
  return d as unknown as CallRecord;
}

/**
 * Parses an append-only JSON-lines file. A torn last line (a crash in the middle of an append) is
 * dropped; any other bad line is corruption.
 */
export function parseLines<T>(file: string, text: string): T[] {
  const lines = text.split('\n');
  const out: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch (cause) {
      if (i === lines.length - 1) break;
      fail(file, `line ${i + 1} is not valid JSON`, cause);
    }
  }
  return out;
}

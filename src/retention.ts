import { isKitaruError, KitaruStateError, KitaruUsageError } from './errors.js';
import { type Duration, parseDuration } from './runtime/duration.js';
import { effectiveStatus } from './store/liveness.js';
import type { Store } from './store/store.js';
import type { ExecutionRecord, ExecutionStatus } from './store/types.js';

/** What gc may delete: executions that ended, and running ones whose process is gone (`crashed`). */
export const DELETABLE: readonly ExecutionStatus[] = ['completed', 'failed', 'cancelled', 'crashed'];
const LIVE: readonly string[] = ['running', 'waiting', 'queued'];

/** Options of `gc`: the filters combine, an execution goes when it matches every one given. */
export interface GcOptions {
  /** Only executions that ended longer ago than this (a crashed one: that started): ms, or `'30d'`, `'12h'`. */
  olderThan?: Duration | string;
  /** Only executions with one of these statuses (of completed, failed, cancelled, crashed). @default all four */
  status?: string[];
  /** Spares the newest n of the executions matched (alone: every ended execution but the newest n). */
  keepLast?: number;
  /** Every ended execution: needed when no other filter is given. @default false */
  all?: boolean;
  /** Reports what would go and deletes nothing. @default false */
  dryRun?: boolean;
}

/** An execution gc deleted (or, with `dryRun`, would delete). */
export interface GcEntry {
  id: string;
  flow: string;
  status: ExecutionStatus;
  createdAt: string;
}

/**
 * Why an execution that matched was kept: spared by `keepLast`; its calls `reused` by an execution
 * that stays; `resuming` (a crashed one taken up again meanwhile); `queue` (a crashed queue-mode
 * execution, which the workers resume).
 */
export type GcKeptReason = 'keep-last' | 'reused' | 'resuming' | 'queue';

/** An execution that matched the filters and was kept, with the reason. */
export interface GcKept extends GcEntry {
  reason: GcKeptReason;
  /** The reason in a sentence. */
  message: string;
  /** With `reused`: the executions that reuse its calls. */
  usedBy?: string[];
}

/** What gc did: deleted newest first, kept with their reasons, and the unreadable executions met. */
export interface GcReport {
  deleted: GcEntry[];
  kept: GcKept[];
  dryRun: boolean;
  warnings: string[];
}

interface Filter {
  statuses: readonly ExecutionStatus[];
  cutoff: number | undefined;
  keepLast: number | undefined;
}

interface Candidate extends GcEntry {
  record: ExecutionRecord;
}

const NO_FILTER =
  'gc deletes nothing without a filter: give --older-than <duration> (30d, 12h), --status <status>, ' +
  '--keep-last <n>, or --all to delete every ended execution.';

function checkStatuses(given: string[] | undefined): readonly ExecutionStatus[] {
  if (given === undefined) return DELETABLE;
  for (const s of given) {
    if (LIVE.includes(s)) {
      throw new KitaruUsageError(`gc never deletes ${s} executions: --status takes ${DELETABLE.join(', ')}.`);
    }
    if (!DELETABLE.includes(s as ExecutionStatus)) {
      throw new KitaruUsageError(`unknown status "${s}" for gc; use ${DELETABLE.join(', ')}.`);
    }
  }
  return given as ExecutionStatus[];
}

/** The options checked (a `KitaruUsageError` naming the bad one) before anything is read. */
export function gcFilter(options: GcOptions, now = Date.now()): Filter {
  const { olderThan, keepLast, all } = options;
  const statuses = checkStatuses(options.status);
  const cutoff = olderThan === undefined ? undefined : now - parseDuration(olderThan, '--older-than');
  if (keepLast !== undefined && (!Number.isInteger(keepLast) || keepLast < 0)) {
    throw new KitaruUsageError(`--keep-last must be a whole number >= 0, got ${JSON.stringify(keepLast)}.`);
  }
  if (olderThan === undefined && options.status === undefined && keepLast === undefined && !all) {
    throw new KitaruUsageError(NO_FILTER);
  }
  return { statuses, cutoff, keepLast };
}

function entryOf(record: ExecutionRecord, status: ExecutionStatus): Candidate {
  return { id: record.id, flow: record.flow.name, status, createdAt: record.createdAt, record };
}

function plain(c: Candidate): GcEntry {
  return { id: c.id, flow: c.flow, status: c.status, createdAt: c.createdAt };
}

function kept(c: Candidate, reason: GcKeptReason, message: string): GcKept {
  return { ...plain(c), reason, message };
}

/** Newest first: by start time, then id. */
function newestFirst(a: Candidate, b: Candidate): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function matches(c: Candidate, filter: Filter): boolean {
  if (!filter.statuses.includes(c.status)) return false;
  if (filter.cutoff === undefined) return true;
  return Date.parse(c.record.endedAt ?? c.record.createdAt) <= filter.cutoff;
}

/** The executions of `chain` (from `id` up its `originalExecId`s) that are in `set`. */
function ancestorsIn(id: string, parent: Map<string, string | null>, set: Map<string, Candidate>): string[] {
  const found: string[] = [];
  const seen = new Set([id]);
  for (let p = parent.get(id); p != null && !seen.has(p); p = parent.get(p)) {
    seen.add(p);
    if (set.has(p)) found.push(p);
  }
  return found;
}

/**
 * The sources among `doomed` whose calls execution `id` reuses. Only its ancestors can be (a
 * replay reuses calls of the execution it replays, or of that one's sources), so only an execution
 * with a doomed ancestor is read. One that cannot be read keeps every doomed ancestor.
 */
async function reusedAmong(
  store: Store,
  id: string,
  parent: Map<string, string | null>,
  doomed: Map<string, Candidate>,
): Promise<string[]> {
  const ancestors = ancestorsIn(id, parent, doomed);
  if (ancestors.length === 0) return [];
  try {
    return (await store.reusedSources(id)).filter((s) => doomed.has(s));
  } catch (err) {
    if (isKitaruError(err)) return ancestors;
    throw err;
  }
}

/**
 * Notes that `user` reuses the calls of `source`: a source kept as reused already gains a user; a
 * doomed one is kept. True when it was doomed (its own sources must then stay too).
 */
function keepFor(
  source: string,
  user: string,
  doomed: Map<string, Candidate>,
  keptById: Map<string, GcKept>,
) {
  const known = keptById.get(source);
  if (known?.usedBy) {
    if (!known.usedBy.includes(user)) known.usedBy.push(user);
    return false;
  }
  const c = doomed.get(source);
  if (!c) return false;
  doomed.delete(source);
  keptById.set(source, { ...kept(c, 'reused', ''), usedBy: [user] });
  return true;
}

/**
 * Moves from `doomed` to `kept` every execution whose calls a staying execution reuses, and then
 * those that the newly kept ones reuse, until none is left to move. Each kept one lists its users.
 */
async function keepReused(
  store: Store,
  all: Candidate[],
  doomed: Map<string, Candidate>,
  keptById: Map<string, GcKept>,
): Promise<void> {
  const parent = new Map(all.map((c) => [c.id, c.record.originalExecId]));
  // The doomed, and (once moved) those kept as reused: a second user of one is listed too.
  const watched = new Map(doomed);
  const pending = all.filter((c) => !doomed.has(c.id) && c.record.originalExecId !== null).map((c) => c.id);
  for (let user = pending.pop(); user !== undefined; user = pending.pop()) {
    for (const source of await reusedAmong(store, user, parent, watched)) {
      if (keepFor(source, user, doomed, keptById)) pending.push(source);
    }
  }
  for (const k of keptById.values()) {
    if (!k.usedBy) continue;
    k.message = `its calls are reused by ${k.usedBy.join(', ')}, which stay${k.usedBy.length > 1 ? '' : 's'}`;
  }
}

/** Which executions gc deletes (newest first) and which of those matched it keeps. */
async function plan(store: Store, filter: Filter) {
  const { executions, errors } = await store.listExecutions();
  const all = executions.map((r) => entryOf(r, effectiveStatus(r)));
  const matched = all.filter((c) => matches(c, filter)).sort(newestFirst);
  const keptById = new Map<string, GcKept>();
  const spared = filter.keepLast ?? 0;
  for (const c of matched.slice(0, spared)) {
    keptById.set(c.id, kept(c, 'keep-last', `one of the newest ${spared} matched (--keep-last)`));
  }
  const doomed = new Map<string, Candidate>();
  for (const c of matched.slice(spared)) {
    if (c.status === 'crashed' && c.record.queue) {
      keptById.set(c.id, kept(c, 'queue', 'a crashed queue-mode execution: a worker resumes it'));
    } else doomed.set(c.id, c);
  }
  await keepReused(store, all, doomed, keptById);
  return {
    doomed: [...doomed.values()].sort(newestFirst),
    kept: [...keptById.values()],
    warnings: errors.map((e) => e.message),
  };
}

/**
 * Deletes one execution that may go. A crashed one is claimed as a resume would claim it, so that
 * no resume starts while it goes, and read again under the claim: null once deleted, else why not.
 */
async function deleteCandidate(store: Store, c: Candidate): Promise<GcKept | null> {
  if (c.status !== 'crashed') {
    await store.deleteExecution(c.id);
    return null;
  }
  if (!(await store.claimResume(c.id))) {
    return kept(c, 'resuming', 'it is being resumed by another process');
  }
  try {
    const now = effectiveStatus(await store.getExecution(c.id));
    if (now !== 'crashed') return kept(c, 'resuming', `it was resumed meanwhile and is ${now}`);
    await store.deleteExecution(c.id);
    return null;
  } finally {
    await store.releaseResume(c.id);
  }
}

/**
 * `kitaru gc`: deletes the ended executions that match every filter given, each all or nothing,
 * newest first (so that a replay goes before the execution it reuses, and an interrupted gc never
 * leaves a reference dangling). Never a running, waiting or queued one.
 */
export async function collectGarbage(store: Store, options: GcOptions): Promise<GcReport> {
  const filter = gcFilter(options);
  const dryRun = options.dryRun === true;
  if (!dryRun) await store.finishDeletions?.();
  const { doomed, kept: keptList, warnings } = await plan(store, filter);
  const deleted: GcEntry[] = [];
  for (const c of doomed) {
    if (dryRun) {
      deleted.push(plain(c));
      continue;
    }
    try {
      const refused = await deleteCandidate(store, c);
      if (refused) keptList.push(refused);
      else deleted.push(plain(c));
    } catch (err) {
      // Deleted by someone else meanwhile (a second gc): not ours to report.
      if ((err as { name?: string }).name !== 'KitaruNotFoundError') throw err;
    }
  }
  return { deleted, kept: keptList, dryRun, warnings };
}

/** The executions that reuse calls of execution `id`. */
async function usersOf(store: Store, id: string): Promise<string[]> {
  const { executions } = await store.listExecutions();
  const all = executions.map((r) => entryOf(r, r.status));
  const self = all.find((c) => c.id === id);
  const doomed = new Map<string, Candidate>(self ? [[id, self]] : []);
  const parent = new Map(all.map((c) => [c.id, c.record.originalExecId]));
  const users: string[] = [];
  for (const c of all) {
    if (c.id !== id && (await reusedAmong(store, c.id, parent, doomed)).length > 0) users.push(c.id);
  }
  return users;
}

/**
 * Deletes one ended execution, all or nothing; resolves to its full id. A running, waiting or
 * queued one, or one whose calls another execution reuses, is a `KitaruStateError`.
 */
export async function deleteOne(store: Store, idOrPrefix: string): Promise<string> {
  const id = await store.resolveId(idOrPrefix);
  const record = await store.getExecution(id);
  const status = effectiveStatus(record);
  if (!DELETABLE.includes(status) || (status === 'crashed' && record.queue)) {
    throw new KitaruStateError(
      `execution ${id} is ${status}${record.queue ? ' (queue mode)' : ''}: only an ended execution ` +
        `(${DELETABLE.join(', ')}) can be deleted. Wait for it to end (or stop it with \`kitaru cancel ${id}\`), then delete it.`,
    );
  }
  const users = await usersOf(store, id);
  if (users.length > 0) {
    throw new KitaruStateError(
      `execution ${id} cannot be deleted: execution${users.length > 1 ? 's' : ''} ${users.join(', ')} ` +
        `reuse${users.length > 1 ? '' : 's'} its calls. Delete ${users.length > 1 ? 'those' : 'that one'} first.`,
    );
  }
  const refused = await deleteCandidate(store, entryOf(record, status));
  if (refused) throw new KitaruStateError(`execution ${id} cannot be deleted: ${refused.message}.`);
  return id;
}

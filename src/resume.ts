import { KitaruStateError } from './errors.js';
import { findFlow } from './loader.js';
import type { ExecutionHandle } from './runtime/execute-flow.js';
import type { RunObserver } from './runtime/observer.js';
import { planFromRecord } from './runtime/replay-plan.js';
import { decodeValue, encodeValue } from './serialization.js';
import { effectiveStatus } from './store/liveness.js';
import { resolveFlowFile } from './store/project-root.js';
import type { Store } from './store/store.js';
import type { ExecutionRecord, ExecutionStatus, InputRecord } from './store/types.js';

/** The ids of the waits an execution is suspended at (sleeps left out). */
export function pendingWaitIds(record: ExecutionRecord): string[] {
  return (record.waits ?? []).filter((w) => w.kind === 'wait').map((w) => w.id);
}

/**
 * Whether a queue-mode execution is queued to be resumed (answered, or asked to resume, and not yet
 * taken up by a worker): it is still suspended at its waits, which a further answer may answer.
 */
export function queuedForResume(record: ExecutionRecord): boolean {
  return record.queue === true && record.status === 'queued' && (record.waits ?? []).length > 0;
}

/**
 * Resumes a `waiting` or `crashed` execution in place, in this process: same id, the flow body
 * from the top, completed calls returning their recorded values, answered waits their answers.
 */
export async function startResume(
  store: Store,
  idOrPrefix: string,
  observer?: RunObserver,
): Promise<ExecutionHandle> {
  const record = await resumableRecord(store, idOrPrefix);
  const { id } = record;
  if (!record.flow.file) {
    throw new KitaruStateError(
      `execution ${id} does not record the file of flow "${record.flow.name}", so it cannot be resumed.`,
    );
  }
  const def = await findFlow(resolveFlowFile(store, record.flow.file), record.flow.name);
  // One resume at a time: two `kitaru input` answering two waits at once must not both run it.
  if (!(await store.claimResume(id))) {
    throw new KitaruStateError(
      `execution ${id} is being resumed by another process; follow it with \`kitaru inspect ${id}\`.`,
    );
  }
  // Read again under the claim: another resume may have ended it between the first read and now.
  let current: ExecutionRecord;
  try {
    current = await resumableRecord(store, id);
  } catch (err) {
    await store.releaseResume(id);
    throw err;
  }
  const calls = await store.getCalls(id);
  const plan = record.replay
    ? planFromRecord(record.replay, await store.getCalls(record.replay.sourceExecId), calls)
    : undefined;
  return def.start({
    args: decodeValue(record.args) as unknown[],
    store,
    resume: { record: current, calls },
    ...(plan ? { plan } : {}),
    ...(observer ? { observer } : {}),
  });
}

/** The record of a `waiting` or `crashed` execution; a `KitaruStateError` for any other. */
async function resumableRecord(store: Store, idOrPrefix: string): Promise<ExecutionRecord> {
  const id = await store.resolveId(idOrPrefix);
  const record = await store.getExecution(id);
  const status = effectiveStatus(record);
  if (status !== 'waiting' && status !== 'crashed') {
    throw new KitaruStateError(
      `execution ${id} is ${status}: only a waiting or crashed execution can be resumed. ` +
        (status === 'running' || status === 'queued'
          ? 'Wait for it to stop first.'
          : `Replay it instead: kitaru replay ${id}.`),
    );
  }
  return record;
}

/** A resume started here, or handed to the workers (a queue-mode execution). */
export type Resumed =
  | { handle: ExecutionHandle; queued?: undefined }
  | { queued: string; handle?: undefined };

/**
 * Resumes an execution in place: in this process (`startResume`), or, for a queue-mode execution,
 * by queuing a job that a worker takes (resolving to its id at once).
 */
export async function resumeOrQueue(
  store: Store,
  idOrPrefix: string,
  observer?: RunObserver,
): Promise<Resumed> {
  const id = await store.resolveId(idOrPrefix);
  const queued = await store.getExecution(id);
  // Its resume is queued already (another answer came first): the workers apply this one too.
  if (queuedForResume(queued)) return { queued: id };
  const record = await resumableRecord(store, id);
  if (!record.queue) return { handle: await startResume(store, record.id, observer) };
  // The queue loads only here: a project on a folder store never pays for it.
  const { enqueueResume } = await import('./queue/submit.js');
  await enqueueResume(store, record.id);
  return { queued: record.id };
}

/** Options of `giveInput`. */
export interface InputOptions {
  /** Keep an answer for a wait the execution has not reached yet. @default false */
  early?: boolean;
}

/**
 * Keeps an answer to a wait of a `waiting` execution (or of a queue-mode one queued to resume from
 * its waits), durably; the first answer wins. A wait that
 * is answered already, or (unless `early`) one that is not pending, is a `KitaruStateError`.
 * Resolves to the execution's full id.
 */
export async function giveInput(
  store: Store,
  idOrPrefix: string,
  waitId: string,
  value: unknown,
  options: InputOptions = {},
): Promise<string> {
  const id = await store.resolveId(idOrPrefix);
  const record = await store.getExecution(id);
  const status = effectiveStatus(record);
  // An answered wait is named as such whatever the execution went on to do (a second input given
  // at once may read it after the first one's resume has ended it).
  const answered = (await store.getCalls(id)).some((c) => c.id === waitId && c.status === 'completed');
  if (answered) throw alreadyAnswered(id, waitId, status);
  if (status !== 'waiting' && !queuedForResume(record)) {
    throw new KitaruStateError(
      `execution ${id} is ${status}, not waiting: there is nothing to answer.` +
        (status === 'crashed' ? ` Resume it first: kitaru resume ${id}.` : ''),
    );
  }
  const pending = pendingWaitIds(record);
  if (!pending.includes(waitId) && !options.early) {
    throw new KitaruStateError(
      `execution ${id} has no pending wait "${waitId}". ` +
        `${pending.length ? `Its pending waits are: ${pending.join(', ')}.` : 'It has no pending waits.'} ` +
        'To answer a wait it has not reached yet, add --early.',
    );
  }
  const input: InputRecord = {
    waitId,
    value: encodeValue(value, 'answer', `wait ${waitId}`),
    at: new Date().toISOString(),
  };
  if ((await store.addInput(id, input)) !== null) throw alreadyAnswered(id, waitId, 'kept');
  return id;
}

/**
 * `status`: what the execution is now; `kept` when the answer is kept but not yet applied (its
 * input was given with --no-resume, or killed before it resumed).
 */
function alreadyAnswered(id: string, waitId: string, status: ExecutionStatus | 'kept'): KitaruStateError {
  const then =
    status === 'kept'
      ? `The execution is still waiting: \`kitaru resume ${id}\` applies that answer.`
      : `${status === 'waiting' ? '' : `The execution is ${status}. `}See it with \`kitaru inspect ${id}\`.`;
  return new KitaruStateError(
    `wait "${waitId}" of execution ${id} is already answered (the first answer wins). ${then}`,
  );
}

import { getExecution } from '../../queries.js';
import { giveInput, type Resumed, resumeOrQueue } from '../../resume.js';
import type { Store } from '../../store/store.js';
import type { CommandResult } from '../command-result.js';
import { type CliIO, storeOf } from '../io.js';
import { parseAnswer } from '../parse-input.js';
import { createProgress } from '../render/progress.js';
import type { Interrupts } from '../signals.js';
import { announcing, finishRun } from './finish-run.js';

/** Options of `kitaru resume`. */
export interface ResumeCommandOptions {
  /** A progress line for every call, none folded into counts. */
  verbose?: boolean;
  /** At a terminal, ask the waits it stops at inline (`resume`; not `input`). @default true */
  askWaits?: boolean;
}

/** `kitaru resume <exec-id>`: continues a waiting or crashed execution in place, in this process. */
export async function resumeCommand(
  io: CliIO,
  id: string,
  options: ResumeCommandOptions,
  listen: () => Interrupts,
): Promise<CommandResult> {
  const store = storeOf(io);
  const progress = await createProgress(io, { verbose: Boolean(options.verbose) });
  const observer = announcing(io, progress.observer, () => 'resumed');
  let resumed: Resumed;
  try {
    resumed = await resumeOrQueue(store, id, observer);
  } catch (err) {
    progress.stop();
    throw err;
  }
  if (resumed.handle) {
    const verbose = Boolean(options.verbose);
    return finishRun(io, store, resumed.handle, progress, listen(), {
      askWaits: options.askWaits !== false,
      verbose,
    });
  }
  progress.stop();
  return queuedResume(io, store, resumed.queued);
}

/** A queue-mode execution's resume, handed to the workers: said, with the execution as it stands. */
async function queuedResume(io: CliIO, store: Store, execId: string): Promise<CommandResult> {
  if (io.json) return { exitCode: 0, document: { execution: await getExecution(store, execId, false) } };
  io.out(`execution ${execId} · resume queued for the workers`);
  io.err(io.color.dim(`a worker resumes it in place; follow it: kitaru inspect ${execId}`));
  return { exitCode: 0 };
}

/** Options of `kitaru input`. */
export interface InputCommandOptions {
  file?: string;
  early?: boolean;
  /** False with `--no-resume`: keep the answer, resume later. */
  resume: boolean;
  verbose?: boolean;
}

/**
 * `kitaru input <exec-id> <wait-id> [<json>]`: keeps the answer (the first answer wins), then
 * resumes the execution here unless `--no-resume`. An answer the wait's schema refuses exits 2,
 * the execution still waiting.
 */
export async function inputCommand(
  io: CliIO,
  id: string,
  waitId: string,
  json: string | undefined,
  options: InputCommandOptions,
  listen: () => Interrupts,
): Promise<CommandResult> {
  const value = parseAnswer(json, options.file);
  const store = storeOf(io);
  const execId = await giveInput(store, id, waitId, value, { early: Boolean(options.early) });
  if (!options.resume) {
    if (io.json) return { exitCode: 0, document: { execution: await getExecution(store, execId, false) } };
    io.out(`answer kept for wait ${waitId} of execution ${execId}; resume it with: kitaru resume ${execId}`);
    return { exitCode: 0 };
  }
  const result = await resumeCommand(
    io,
    execId,
    { verbose: Boolean(options.verbose), askWaits: false },
    listen,
  );
  const refused = (await store.getExecution(execId)).waits?.find((w) => w.id === waitId)?.rejected;
  if (!refused || result.exitCode !== 3) return result;
  const issues = refused.issues.map((i) => `${i.path ? `${i.path}: ` : ''}${i.message}`);
  io.err(
    io.color.red(`kitaru: the answer to wait ${waitId} was refused by its schema: ${issues.join('; ')}`),
  );
  return { exitCode: 2, document: { ...result.document, refused } };
}

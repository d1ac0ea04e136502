import { giveInput, startResume } from '../../resume.js';
import type { ExecutionHandle, ExecutionOutcome } from '../../runtime/execute-flow.js';
import type { Store } from '../../store/store.js';
import type { WaitInfo } from '../../store/types.js';
import type { CliIO } from '../io.js';
import { formatValue } from '../render/format.js';
import { createProgress, type Progress } from '../render/progress.js';

type Ask = (prompt: string, signal?: AbortSignal) => Promise<string | null>;

/** What a line typed at the prompt means: JSON, else the line itself as a string. */
export function parseTypedAnswer(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return line;
  }
}

/** Shows a wait's question (and why its last answer was refused) on stderr. */
function showQuestion(io: CliIO, w: WaitInfo): void {
  const c = io.color;
  io.err(
    `wait ${w.id}: ${w.question ?? '(no question)'}${w.deadline ? c.dim(` (deadline ${w.deadline})`) : ''}`,
  );
  if (w.metadata !== null) io.err(c.dim(`  metadata: ${formatValue(w.metadata, 500)}`));
  if (w.rejected) {
    const issues = w.rejected.issues.map((i) => `${i.path ? `${i.path}: ` : ''}${i.message}`).join('; ');
    io.err(c.yellow(`  the answer ${formatValue(w.rejected.value, 200)} was refused: ${issues}`));
  }
  io.err(c.dim('  type the answer (JSON, or text taken as a string); Ctrl-D leaves it waiting'));
}

/** Asks for one wait's answer until a line is typed; null at the end of input or once `expired`. */
async function askOne(
  io: CliIO,
  ask: Ask,
  w: WaitInfo,
  expired: AbortSignal,
): Promise<{ value: unknown } | null> {
  showQuestion(io, w);
  for (;;) {
    const line = await ask(`${w.id}> `, expired);
    if (line === null || expired.aborted) return null;
    if (line.trim() !== '') return { value: parseTypedAnswer(line.trim()) };
  }
}

/** Longest single timer Node keeps (about 24.8 days); a later deadline is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * An AbortSignal that aborts once the earliest of the waits' deadlines has passed (by the clock the
 * resume compares them with), and the function that stops its timer.
 */
function deadlineSignal(waits: WaitInfo[]): { expired: AbortSignal; stop: () => void } {
  const controller = new AbortController();
  const times = waits.map((w) => (w.deadline ? Date.parse(w.deadline) : Number.NaN)).filter(Number.isFinite);
  let timer: NodeJS.Timeout | undefined;
  if (times.length > 0) {
    const at = Math.min(...times);
    const arm = () => {
      const left = at - Date.now();
      if (left <= 0) controller.abort();
      else timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    };
    arm();
  }
  return { expired: controller.signal, stop: () => clearTimeout(timer) };
}

/** Says which deadlines passed while the prompt was open: the resume applies them. */
function sayExpired(io: CliIO, waits: WaitInfo[]): void {
  const now = Date.now();
  for (const w of waits) {
    if (w.deadline && Date.parse(w.deadline) <= now) {
      io.err(
        io.color.yellow(
          `the deadline of wait ${w.id} passed: it takes its default, or fails with KitaruWaitTimeoutError`,
        ),
      );
    }
  }
}

/**
 * Asks the waits one after another; the answers typed, or null when the input ended (Ctrl-D) or
 * `stopped` settled first. When a deadline passes at the prompt, the answers typed so far.
 */
async function askAll(
  io: CliIO,
  ask: Ask,
  waits: WaitInfo[],
  stopped: Promise<unknown>,
): Promise<[string, unknown][] | null> {
  const { expired, stop } = deadlineSignal(waits);
  const answers: [string, unknown][] = [];
  try {
    for (const w of waits) {
      const answer = await Promise.race([askOne(io, ask, w, expired), stopped.then(() => null)]);
      if (expired.aborted) {
        io.err('');
        sayExpired(io, waits);
        return answers;
      }
      if (answer === null) {
        io.err('');
        return null;
      }
      answers.push([w.id, answer.value]);
    }
    return answers;
  } finally {
    stop();
  }
}

/**
 * At a terminal, asks the person there to answer the waits a run stopped at, keeps the answers
 * and resumes the execution in this process. A deadline that passes while the question is open
 * resumes it at once too (with the answers typed so far): the wait takes its default, or fails
 * with KitaruWaitTimeoutError. Null when there is nothing to ask, or when the input ended (Ctrl-D)
 * or `stopped` settled (a signal) first: the execution stays waiting, nothing kept.
 */
export async function answerInline(
  io: CliIO,
  store: Store,
  outcome: ExecutionOutcome,
  stopped: Promise<unknown>,
  verbose: boolean,
): Promise<{ handle: ExecutionHandle; progress: Progress } | null> {
  const ask = io.ask;
  const waits = outcome.waits.filter((w) => w.kind === 'wait');
  if (!ask || waits.length === 0) return null;
  const answers = await askAll(io, ask, waits, stopped);
  if (answers === null) return null;
  for (const [waitId, value] of answers) await giveInput(store, outcome.execId, waitId, value);
  const progress = await createProgress(io, { verbose });
  const handle = await startResume(store, outcome.execId, progress.observer);
  return { handle, progress };
}

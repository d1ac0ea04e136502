import { giveInput, startResume } from '../../resume.js';
import type { ExecutionHandle, ExecutionOutcome } from '../../runtime/execute-flow.js';
import type { Store } from '../../store/store.js';
import type { WaitInfo } from '../../store/types.js';
import type { CliIO } from '../io.js';
import { formatValue } from '../render/format.js';
import { createProgress, type Progress } from '../render/progress.js';

type Ask = (prompt: string) => Promise<string | null>;

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

/** Asks for one wait's answer until a line is typed; null at the end of input. */
async function askOne(io: CliIO, ask: Ask, w: WaitInfo): Promise<{ value: unknown } | null> {
  showQuestion(io, w);
  for (;;) {
    const line = await ask(`${w.id}> `);
    if (line === null) return null;
    if (line.trim() !== '') return { value: parseTypedAnswer(line.trim()) };
  }
}

/**
 * At a terminal, asks the person there to answer the waits a run stopped at, keeps the answers
 * and resumes the execution in this process. Null when there is nothing to ask, or when the input
 * ended (Ctrl-D) or `stopped` settled (a signal) first: the execution stays waiting, nothing kept.
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
  const answers: [string, unknown][] = [];
  for (const w of waits) {
    const answer = await Promise.race([askOne(io, ask, w), stopped.then(() => null)]);
    if (answer === null) {
      io.err('');
      return null;
    }
    answers.push([w.id, answer.value]);
  }
  for (const [waitId, value] of answers) await giveInput(store, outcome.execId, waitId, value);
  const progress = await createProgress(io, { verbose });
  const handle = await startResume(store, outcome.execId, progress.observer);
  return { handle, progress };
}

import type { Ora } from 'ora';
import type { CallEndedEvent, RunObserver } from '../../runtime/observer.js';
import type { CallOrigin } from '../../store/types.js';
import type { CliIO } from '../io.js';
import { createFold } from './fold.js';
import { formatDuration } from './format.js';

/** Calls that get a line each before the others are folded into counts (failures always do). */
export const LINES_BEFORE_FOLDING = 50;
/** How often, at most, the spinner is redrawn with new counts (a few times a second). */
const REDRAW_MS = 200;

/**
 * Progress of a run or replay on stderr: one line per call as it ends for the first calls and for
 * every failure or retry, the others counted per checkpoint and printed once at the end; on a
 * terminal, a spinner naming the running calls and the counts so far.
 */
export interface Progress {
  observer: RunObserver;
  /** Stops the spinner and prints the folded counts; call it before printing the result. */
  stop(): void;
}

/** Options of `createProgress`. */
export interface ProgressOptions {
  /** A line for every call, none folded. @default false */
  verbose?: boolean;
}

/** The calls running, as the spinner names them: the first four, then how many more. */
function runningText(running: Set<string>): string {
  const names: string[] = [];
  for (const id of running) if (names.push(id) === 4) break;
  return names.join(', ') + (running.size > 4 ? ` +${running.size - 4}` : '');
}

let spinnerLibrary: Promise<typeof import('ora')> | undefined;

/**
 * Loads the spinner library when `io` shows a spinner. A command that loads a flow file awaits it
 * first: loaded after the loader registers tsx, ora and each module it imports would go through
 * tsx's hooks, a round trip to their thread each (tens of ms at every run on a terminal).
 */
export async function loadSpinner(io: CliIO): Promise<void> {
  if (io.spinner) await (spinnerLibrary ??= import('ora'));
}

/** Creates the progress reporter; in JSON mode it reports nothing. */
export async function createProgress(io: CliIO, options: ProgressOptions = {}): Promise<Progress> {
  if (io.json) return { observer: {}, stop() {} };
  const c = io.color;
  const folding = options.verbose ? Number.POSITIVE_INFINITY : LINES_BEFORE_FOLDING;
  const fold = createFold();
  const running = new Set<string>();
  const marks: Record<CallOrigin, string> = { executed: '✓', reused: '↺', overridden: '✎' };
  const painted: Record<CallOrigin, string> = {
    executed: c.green('✓'),
    reused: c.cyan('↺'),
    overridden: c.magenta('✎'),
  };
  let shown = 0;
  let spinner: Ora | undefined;
  let timer: NodeJS.Timeout | undefined;
  let changed = false;
  const redraw = () => {
    if (!spinner || !changed) return;
    changed = false;
    const counts = fold.size ? fold.text((o) => marks[o]) : '';
    const text = [runningText(running), counts].filter(Boolean).join(' · ');
    if (!text) {
      spinner.stop();
      return;
    }
    const room = Math.max((io.spinner?.columns ?? 80) - 3, 20);
    spinner.text = text.length > room ? `${text.slice(0, room - 1)}…` : text;
    if (!spinner.isSpinning) spinner.start();
  };
  if (io.spinner) {
    const { default: ora } = await (spinnerLibrary ??= import('ora'));
    spinner = ora({ stream: io.spinner.stream, discardStdin: false });
    // One timer for the whole run, not one per call: events only mark the spinner as stale.
    timer = setInterval(redraw, REDRAW_MS);
    timer.unref();
  }
  const line = (text: string) => {
    // Stop, print, restart: the spinner never has to erase lines it did not draw.
    const spinning = spinner?.isSpinning;
    if (spinning) spinner?.stop();
    io.err(text);
    if (spinning) spinner?.start();
  };
  const callLine = (e: CallEndedEvent) => {
    const type = e.type ? c.dim(` [${e.type}]`) : '';
    if (e.origin === 'reused') return `  ${painted.reused} ${e.callId}${type} ${c.dim('reused')}`;
    if (e.origin === 'overridden') return `  ${painted.overridden} ${e.callId}${type} ${c.dim('overridden')}`;
    const mark = e.status === 'completed' ? painted.executed : c.red('✗');
    const why = e.reason && e.reason !== 'new' ? c.dim(` (${e.reason})`) : '';
    const tries = e.attempts > 1 ? c.dim(` ${e.attempts} attempts`) : '';
    const error = e.error ? ` ${c.red(`${e.error.type}: ${e.error.message}`)}` : '';
    return `  ${mark} ${e.callId}${type} ${formatDuration(e.durationMs)}${tries}${why}${error}`;
  };
  return {
    observer: {
      callStarted(e) {
        running.add(e.callId);
        changed = true;
      },
      attemptFailed(e) {
        if (!e.willRetry) return; // the call's own line follows, with the error
        line(
          `  ${c.yellow('!')} ${e.callId} attempt ${e.attempt} failed: ${e.error.type}: ${e.error.message} (retrying)`,
        );
      },
      callEnded(e) {
        running.delete(e.callId);
        changed = true;
        if (shown >= folding && e.status === 'completed' && e.attempts <= 1) fold.add(e.origin, e.name);
        else {
          shown++;
          line(callLine(e));
        }
      },
      flowRetry(e) {
        line(`  ${c.yellow('↻')} flow attempt ${e.flowAttempt} after ${e.error.type}: ${e.error.message}`);
      },
    },
    stop() {
      clearInterval(timer);
      spinner?.stop();
      if (fold.size)
        io.err(`  ${fold.text((o) => painted[o])}  ${c.dim('(folded; --verbose prints every call)')}`);
    },
  };
}

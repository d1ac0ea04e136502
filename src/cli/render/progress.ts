import type { Ora } from 'ora';
import type { RunObserver } from '../../runtime/observer.js';
import type { CliIO } from '../io.js';
import { formatDuration } from './format.js';

/** Progress of a run or replay on stderr: one line per call as it ends, a spinner on a terminal. */
export interface Progress {
  observer: RunObserver;
  /** Calls that ended, by origin. */
  readonly ended: { reused: number; overridden: number; executed: number };
  stop(): void;
}

/** Creates the progress reporter; in JSON mode it reports nothing. */
export async function createProgress(io: CliIO): Promise<Progress> {
  const ended = { reused: 0, overridden: 0, executed: 0 };
  if (io.json) return { observer: {}, ended, stop() {} };
  const c = io.color;
  const running = new Set<string>();
  let spinner: Ora | undefined;
  if (io.interactive) {
    const { default: ora } = await import('ora');
    spinner = ora({ stream: process.stderr, discardStdin: false });
  }
  const refresh = () => {
    if (!spinner) return;
    if (running.size === 0) spinner.stop();
    else {
      spinner.text = [...running].slice(0, 4).join(', ') + (running.size > 4 ? ` +${running.size - 4}` : '');
      if (!spinner.isSpinning) spinner.start();
    }
  };
  const line = (text: string) => {
    // Stop, print, restart: the spinner never has to erase lines it did not draw.
    const spinning = spinner?.isSpinning;
    if (spinning) spinner?.stop();
    io.err(text);
    if (spinning) spinner?.start();
  };
  return {
    observer: {
      callStarted(e) {
        running.add(e.callId);
        refresh();
      },
      attemptFailed(e) {
        if (!e.willRetry) return; // the call's own line follows, with the error
        line(
          `  ${c.yellow('!')} ${e.callId} attempt ${e.attempt} failed: ${e.error.type}: ${e.error.message} (retrying)`,
        );
      },
      callEnded(e) {
        running.delete(e.callId);
        ended[e.origin]++;
        const type = e.type ? c.dim(` [${e.type}]`) : '';
        if (e.origin === 'reused') line(`  ${c.cyan('↺')} ${e.callId}${type} ${c.dim('reused')}`);
        else if (e.origin === 'overridden')
          line(`  ${c.magenta('✎')} ${e.callId}${type} ${c.dim('overridden')}`);
        else {
          const mark = e.status === 'completed' ? c.green('✓') : c.red('✗');
          const why = e.reason && e.reason !== 'new' ? c.dim(` (${e.reason})`) : '';
          const tries = e.attempts > 1 ? c.dim(` ${e.attempts} attempts`) : '';
          const error = e.error ? ` ${c.red(`${e.error.type}: ${e.error.message}`)}` : '';
          line(`  ${mark} ${e.callId}${type} ${formatDuration(e.durationMs)}${tries}${why}${error}`);
        }
        refresh();
      },
      flowRetry(e) {
        line(`  ${c.yellow('↻')} flow attempt ${e.flowAttempt} after ${e.error.type}: ${e.error.message}`);
      },
    },
    ended,
    stop() {
      spinner?.stop();
    },
  };
}

import { cancelLiveExecutions } from '../runtime/cancel.js';

/** Exit code for a signal: 130 for SIGINT, 143 for SIGTERM. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/** SIGINT/SIGTERM during a run: cancel and record the running executions, once. */
export interface SignalWatch {
  /** Resolves once a signal came and every running execution is recorded as cancelled. */
  readonly cancelled: Promise<NodeJS.Signals>;
  readonly signal: NodeJS.Signals | null;
  dispose(): void;
}

/** Starts watching for SIGINT/SIGTERM; a second signal exits at once. */
export function watchSignals(): SignalWatch {
  let resolve!: (s: NodeJS.Signals) => void;
  const cancelled = new Promise<NodeJS.Signals>((r) => {
    resolve = r;
  });
  let signal: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals) => {
    if (signal) process.exit(signalExitCode(s));
    signal = s;
    cancelLiveExecutions(s).then(
      () => resolve(s),
      () => resolve(s),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    cancelled,
    get signal() {
      return signal;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

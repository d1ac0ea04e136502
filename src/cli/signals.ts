import { cancelLiveExecutions } from '../runtime/cancel.js';

/** The signals a command stops on. */
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Exit code for a signal: 130 for SIGINT, 143 for SIGTERM. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/** Where SIGINT and SIGTERM come from: the process, or an EventEmitter in tests. */
export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/**
 * SIGINT/SIGTERM while a command listens, as an `AbortSignal`. While it listens the signals do
 * not end the process; before and after, they do as usual.
 */
export interface Interrupts {
  /** Aborted at the first signal; its `reason` is the signal's name (`'SIGINT'`). */
  readonly signal: AbortSignal;
  /** Resolves with the first signal's name. */
  readonly first: Promise<NodeJS.Signals>;
  /** Calls `handler` on every signal after the first (say, to stop waiting at once). */
  onRepeat(handler: (signal: NodeJS.Signals) => void): void;
  /** Ends the process at once with `code`: for a second signal when the first one is slow. */
  exitNow(code: number): void;
  /** Stops listening. */
  dispose(): void;
}

/** Options of `listenForSignals`. */
export interface ListenOptions {
  /** Where the signals come from. @default process */
  source?: SignalSource;
  /** How to end the process at once. @default process.exit */
  exitNow?: (code: number) => void;
}

/** Starts listening for SIGINT and SIGTERM. */
export function listenForSignals(options: ListenOptions = {}): Interrupts {
  const { source = process, exitNow = (code: number) => process.exit(code) } = options;
  const abort = new AbortController();
  const repeats: ((signal: NodeJS.Signals) => void)[] = [];
  let resolve!: (signal: NodeJS.Signals) => void;
  const first = new Promise<NodeJS.Signals>((r) => {
    resolve = r;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (!abort.signal.aborted) {
      abort.abort(signal);
      resolve(signal);
    } else for (const handler of repeats) handler(signal);
  };
  for (const name of SIGNALS) source.on(name, onSignal);
  return {
    signal: abort.signal,
    first,
    onRepeat: (handler) => {
      repeats.push(handler);
    },
    exitNow,
    dispose: () => {
      for (const name of SIGNALS) source.off(name, onSignal);
    },
  };
}

/** The signal that aborted `signal`, if any. */
export function signalOf(signal: AbortSignal): NodeJS.Signals | null {
  return signal.aborted ? (signal.reason as NodeJS.Signals) : null;
}

/**
 * For commands that run executions in this process (run, replay, ui): the first signal cancels
 * them, recorded as cancelled; a second one ends the process at once through `exitNow`.
 * Resolves with the first signal once every running execution is recorded.
 */
export async function cancelExecutionsOn(interrupts: Interrupts): Promise<NodeJS.Signals> {
  interrupts.onRepeat((signal) => interrupts.exitNow(signalExitCode(signal)));
  const signal = await interrupts.first;
  await cancelLiveExecutions(signal).catch(() => {});
  return signal;
}

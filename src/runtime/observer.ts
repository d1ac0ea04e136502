import type { ErrorRecord } from '../errors.js';
import type { CallOrigin, CallReason, CallStatus } from '../store/types.js';

/** A call that ended (completed, failed, reused or overridden). */
export interface CallEndedEvent {
  execId: string;
  callId: string;
  /** The checkpoint's name, shared by all its calls (`step` for `step`, `step_2`, ...). */
  name: string;
  type: string | null;
  status: CallStatus;
  origin: CallOrigin;
  reason: CallReason | null;
  attempts: number;
  durationMs: number;
  error: ErrorRecord | null;
}

/**
 * How the runtime reports progress; it never writes to the terminal itself. Every method is
 * optional and must not throw.
 */
export interface RunObserver {
  executionStarted?(event: { execId: string; flowName: string; sourceExecId: string | null }): void;
  /**
   * The id asked for names an execution that exists already: nothing runs, and the run waits for
   * that execution to stop and reports it as its own.
   */
  executionAttached?(event: { execId: string; flowName: string; status: string }): void;
  callStarted?(event: { execId: string; callId: string; attempt: number }): void;
  attemptFailed?(event: {
    execId: string;
    callId: string;
    attempt: number;
    error: ErrorRecord;
    willRetry: boolean;
  }): void;
  callEnded?(event: CallEndedEvent): void;
  flowRetry?(event: { execId: string; flowAttempt: number; error: ErrorRecord }): void;
}

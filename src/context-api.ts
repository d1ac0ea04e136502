import { KitaruContextError } from './errors.js';
import { currentScope } from './runtime/state.js';
import { encodeValue } from './serialization.js';

/**
 * Attaches structured fields to the current checkpoint attempt, or to the execution when called
 * in the flow body. Throws `KitaruContextError` outside a flow.
 * @example log({ tokens: 812, model: 'small' });
 */
export function log(fields: Record<string, unknown>): void {
  const scope = currentScope();
  if (!scope) {
    throw new KitaruContextError(
      'log() was called outside a flow; call it inside a flow body or a checkpoint.',
    );
  }
  const entry = {
    at: new Date().toISOString(),
    stream: 'log' as const,
    fields: encodeValue(fields, 'fields', 'log()'),
  };
  if (scope.kind === 'attempt') scope.logs.push({ ...entry, callId: scope.callId, attempt: scope.attempt });
  else scope.run.log(entry);
}

/**
 * The id of the execution the caller runs in, or undefined outside a flow.
 * @example log({ trace: `kitaru inspect ${currentExecutionId()}` });
 */
export function currentExecutionId(): string | undefined {
  return currentScope()?.run.execId;
}

/**
 * Whether the caller runs inside a replay (to guard side effects such as sending an email).
 * @example if (!isReplay()) await sendEmail(summary);
 */
export function isReplay(): boolean {
  return currentScope()?.run.isReplay ?? false;
}

/**
 * The current attempt's `AbortSignal`, to pass to `fetch` and SDKs: aborted when the execution is
 * cancelled (`kitaru cancel`, Ctrl-C, SIGTERM), when a stopping worker hands it back, and at the
 * checkpoint's `timeout`. In a flow body, the execution's signal (the same events but timeouts).
 * Throws `KitaruContextError` outside a flow.
 * @example const res = await fetch(url, { signal: abortSignal() });
 */
export function abortSignal(): AbortSignal {
  const scope = currentScope();
  if (!scope) {
    throw new KitaruContextError(
      'abortSignal() was called outside a flow; call it inside a checkpoint (or a flow body) and pass ' +
        'it on: fetch(url, { signal: abortSignal() }).',
    );
  }
  return scope.kind === 'attempt' ? scope.run.attemptSignal(scope) : scope.run.signal();
}

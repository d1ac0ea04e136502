import { formatWithOptions } from 'node:util';
import { state } from './state.js';

const METHODS = {
  log: 'stdout',
  info: 'stdout',
  debug: 'stdout',
  warn: 'stderr',
  error: 'stderr',
} as const;

/**
 * Patches `console.*` once per process so that output inside a checkpoint attempt is also captured
 * into that attempt's log. Outside an attempt the console behaves exactly as before.
 */
export function installConsoleCapture(): void {
  if (state.consolePatched) return;
  state.consolePatched = true;
  for (const [method, stream] of Object.entries(METHODS) as [keyof typeof METHODS, 'stdout' | 'stderr'][]) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      const scope = state.als.getStore();
      if (scope?.kind === 'attempt') {
        scope.logs.push({
          at: new Date().toISOString(),
          callId: scope.callId,
          attempt: scope.attempt,
          stream,
          text: formatWithOptions({ colors: false }, ...args),
        });
      }
      original(...args);
    };
  }
}

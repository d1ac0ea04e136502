import { state } from './state.js';

/**
 * Cancels every execution running in this process: attempts in flight are recorded as failed
 * with a `KitaruCancelledError`, executions as `cancelled`. Used by the CLI on SIGINT/SIGTERM.
 */
export async function cancelLiveExecutions(signal: string): Promise<string[]> {
  const live = [...state.live];
  await Promise.allSettled(live.map((e) => e.cancel(signal)));
  return live.map((e) => e.execId);
}

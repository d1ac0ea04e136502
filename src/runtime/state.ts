import { AsyncLocalStorage } from 'node:async_hooks';
import type { FlowDef, LiveExecution, Scope } from './types.js';

interface KitaruState {
  als: AsyncLocalStorage<Scope>;
  live: Set<LiveExecution>;
  /** Flows defined in this process, by absolute file, then name. */
  flows: Map<string, Map<string, FlowDef>>;
  ids: { lastMs: number; lastRandom: number[] };
  consolePatched: boolean;
}

const KEY = Symbol.for('kitaru.state');
const holder = globalThis as typeof globalThis & { [KEY]?: KitaruState };

/**
 * Process-wide state, kept on `globalThis` under `Symbol.for('kitaru.state')` so that a second copy
 * of the package (a flow file loading its own) shares the context, the live executions and the
 * flow registry.
 */
export const state: KitaruState = (holder[KEY] ??= {
  als: new AsyncLocalStorage<Scope>(),
  live: new Set(),
  flows: new Map(),
  ids: { lastMs: 0, lastRandom: [] },
  consolePatched: false,
});

function callUser(fn: (...args: unknown[]) => unknown, args: unknown[]): unknown {
  return fn(...args);
}

/** Calls user code (a flow body or a checkpoint function) inside `scope`. */
export function runInScope(scope: Scope, fn: (...args: never[]) => unknown, args: unknown[]): unknown {
  return state.als.run(scope, callUser, fn as (...a: unknown[]) => unknown, args);
}

/** The scope of the running flow body or checkpoint attempt, if any. */
export function currentScope(): Scope | undefined {
  return state.als.getStore();
}

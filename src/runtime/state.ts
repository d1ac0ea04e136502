import { AsyncLocalStorage } from 'node:async_hooks';
import type { LogEntry } from '../store/types.js';
import type { CheckpointDef, FlowDef } from './definitions.js';
import type { KitaruFuture } from './future.js';

/** What a checkpoint or `log()` needs from the execution it runs in (stable across package copies). */
export interface RunApi {
  readonly execId: string;
  readonly isReplay: boolean;
  /** Starts a call; `gate` (if given) is awaited before the first attempt. */
  call(def: CheckpointDef, args: unknown[], gate?: () => Promise<() => void>): KitaruFuture<unknown>;
  /** Adds a flow-level log entry. */
  log(entry: LogEntry): void;
}

/** The scope of a flow body. */
export interface FlowScope {
  kind: 'flow';
  run: RunApi;
}

/** The scope of one checkpoint attempt. */
export interface AttemptScope {
  kind: 'attempt';
  run: RunApi;
  callId: string;
  attempt: number;
  logs: LogEntry[];
}

export type Scope = FlowScope | AttemptScope;

/** An execution running in this process, as the CLI's signal handler sees it. */
export interface LiveExecution {
  execId: string;
  cancel(signal: string): Promise<void>;
  /** Stops the run without writing anything more (a worker hands the execution back). */
  abandon?(): void;
}

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

import type { ExecutionHandle, StartOptions } from './execute-flow.js';

/** Marks a flow object, so the CLI finds flows among a module's exports (from any package copy). */
export const FLOW_BRAND = Symbol.for('kitaru.flow');

/** What `checkpoint()` records about a checkpoint. */
export interface CheckpointDef {
  name: string;
  type: string | null;
  retries: number;
  retryDelayMs: number;
  backoffFactor: number;
  /** Where `checkpoint()` was called (`file:line:column`), to tell two definitions apart. */
  site: string | null;
  fn: (...args: never[]) => unknown;
}

/** What `flow()` records about a flow; `start` belongs to the package copy that defined it. */
export interface FlowDef {
  name: string;
  retries: number;
  /** Absolute path of the module that called `flow()`, when it could be told. */
  file: string | null;
  fn: (...args: never[]) => unknown;
  start(options: StartOptions): ExecutionHandle;
}

/** Finds the flow definition carried by a value, if it is a flow. */
export function flowDefOf(value: unknown): FlowDef | null {
  if ((typeof value !== 'function' && typeof value !== 'object') || value === null) return null;
  const def = (value as { [FLOW_BRAND]?: FlowDef })[FLOW_BRAND];
  return def && typeof def.start === 'function' ? def : null;
}

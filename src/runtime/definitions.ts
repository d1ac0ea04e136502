import type { FlowDef } from './types.js';

export type { CheckpointDef, FlowDef } from './types.js';

/** Marks a flow object, so the CLI finds flows among a module's exports (from any package copy). */
export const FLOW_BRAND = Symbol.for('kitaru.flow');

/** Finds the flow definition carried by a value, if it is a flow. */
export function flowDefOf(value: unknown): FlowDef | null {
  if ((typeof value !== 'function' && typeof value !== 'object') || value === null) return null;
  const def = (value as { [FLOW_BRAND]?: FlowDef })[FLOW_BRAND];
  return def && typeof def.start === 'function' ? def : null;
}

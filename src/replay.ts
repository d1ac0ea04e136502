import { relative } from 'node:path';
import { KitaruStateError } from './errors.js';
import { findFlow } from './loader.js';
import type { OnConflict } from './runtime/caller-ids.js';
import type { FlowDef } from './runtime/definitions.js';
import type { ExecutionHandle } from './runtime/execute-flow.js';
import type { RunObserver } from './runtime/observer.js';
import { createReplayPlan, type ReplayOptions, type ReplayPlan } from './runtime/replay-plan.js';
import { hashSource } from './runtime/source-hash.js';
import { decodeValue } from './serialization.js';
import { effectiveStatus } from './store/liveness.js';
import { resolveFlowFile } from './store/project-root.js';
import type { Store } from './store/store.js';

/** A replay ready to start (or to queue): its source, flow, plan and arguments. */
export interface PreparedReplay {
  sourceExecId: string;
  def: FlowDef;
  plan: ReplayPlan;
  args: unknown[];
}

/**
 * Works out a replay of `idOrPrefix` (design §3): a new execution of the same flow, from the file
 * it records, reusing every call that completed with equal inputs unless `options` say otherwise.
 * A changed source is reported to `onWarning`.
 */
export async function prepareReplay(
  store: Store,
  idOrPrefix: string,
  options: ReplayOptions,
  onWarning: (message: string) => void,
): Promise<PreparedReplay> {
  const id = await store.resolveId(idOrPrefix);
  const record = await store.getExecution(id);
  const status = effectiveStatus(record);
  if (status === 'running' || status === 'queued') {
    throw new KitaruStateError(
      `execution ${id} is ${status}${record.host ? ` (pid ${record.pid} on ${record.host})` : ''}; ` +
        'wait for it to end, or stop it, before replaying it.',
    );
  }
  const plan = createReplayPlan(id, await store.getCalls(id), options);
  if (!record.flow.file) {
    throw new KitaruStateError(
      `execution ${id} does not record the file of flow "${record.flow.name}", so it cannot be replayed.`,
    );
  }
  const file = resolveFlowFile(store, record.flow.file);
  const def = await findFlow(file, record.flow.name);
  const current = hashSource(file);
  if (record.flow.sourceHash && current && current !== record.flow.sourceHash) {
    onWarning(
      `the source of flow "${record.flow.name}" (${relative(process.cwd(), file) || file}) or a file it imports ` +
        `changed since execution ${id} ran.`,
    );
  }
  const args = options.args ?? (decodeValue(record.args) as unknown[]);
  return { sourceExecId: id, def, plan, args };
}

/** The warning for overrides that named no call of a replay, if any. */
export function unusedOverridesWarning(unused: string[]): string | null {
  if (unused.length === 0) return null;
  return `override${unused.length > 1 ? 's' : ''} never used (no such call in the replay): ${unused.join(', ')}`;
}

/** Warns, once the replay has run, of overrides that named no call. */
export function warnUnusedOverrides(plan: ReplayPlan, onWarning: (message: string) => void): void {
  const warning = unusedOverridesWarning(plan.record().unusedOverrides);
  if (warning) onWarning(warning);
}

/** Hooks of a replay started in this process, and the id it is to have. */
export interface ReplayHooks {
  observer?: RunObserver;
  onWarning: (message: string) => void;
  /** The new execution's id, checked already. @default a generated id */
  id?: string;
  /** When `id` exists: attach to it, or fail. @default 'attach' */
  onConflict?: OnConflict;
}

/** Starts a prepared replay in this process. */
export function startPreparedReplay(
  store: Store,
  { def, plan, args }: PreparedReplay,
  hooks: ReplayHooks,
): ExecutionHandle {
  const handle = def.start({
    args,
    store,
    plan,
    ...(hooks.observer ? { observer: hooks.observer } : {}),
    ...(hooks.id === undefined ? {} : { id: hooks.id }),
    ...(hooks.onConflict === undefined ? {} : { onConflict: hooks.onConflict }),
  });
  handle.done.then(() => warnUnusedOverrides(plan, hooks.onWarning));
  return handle;
}

/** Starts a replay of `idOrPrefix` in this process (see `prepareReplay`). */
export async function startReplay(
  store: Store,
  idOrPrefix: string,
  options: ReplayOptions,
  hooks: ReplayHooks,
): Promise<{ handle: ExecutionHandle; sourceExecId: string }> {
  const prepared = await prepareReplay(store, idOrPrefix, options, hooks.onWarning);
  return { handle: startPreparedReplay(store, prepared, hooks), sourceExecId: prepared.sourceExecId };
}

import { KitaruStateError, KitaruUsageError } from '../errors.js';
import { decodeValue, encodeValue, type Json } from '../serialization.js';
import type { CallReason, CallRecord, ReplayRecord } from '../store/types.js';

/** What a replay changes; the same for the CLI and `KitaruClient.executions.replay`. */
export interface ReplayOptions {
  /** Call id (as `inspect` shows it) from which every call runs again. */
  from?: string;
  /** `{ 'checkpoint.<call-id>': value }`: that call returns `value` without running. */
  overrides?: Record<string, unknown>;
  /** New positional flow arguments. */
  args?: unknown[];
}

/** How one call of a replay gets its result. */
export type Decision =
  | { kind: 'reuse'; source: CallRecord; sourceExecId: string; sourceSeq: number }
  | { kind: 'override'; value: Json }
  | { kind: 'execute'; reason: CallReason };

/** The plan a replay execution follows, decided call by call. */
export interface ReplayPlan {
  readonly sourceExecId: string;
  /** The plan as kept in the replay's `execution.json`. */
  record(): ReplayRecord;
  decide(callId: string, inputHash: string): Decision;
}

const PREFIX = 'checkpoint.';

/** Parses `checkpoint.<selector>` override keys; anything else is a `KitaruUsageError`. */
export function parseOverrideKeys(overrides: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(overrides)) {
    if (!key.startsWith(PREFIX) || key.length === PREFIX.length) {
      throw new KitaruUsageError(
        `override key "${key}" is not of the form checkpoint.<call-id> (for example checkpoint.fetchData or checkpoint.fetchData_2).`,
      );
    }
    out.set(key.slice(PREFIX.length), value);
  }
  return out;
}

/**
 * Builds the plan for replaying `sourceExecId`, whose calls (in call order, encoded) are `calls`.
 * An unknown `from` selector is a `KitaruStateError` that lists the call ids.
 */
export function createReplayPlan(
  sourceExecId: string,
  calls: CallRecord[],
  options: ReplayOptions,
  alreadyUsed: Iterable<string> = [],
): ReplayPlan {
  const byId = new Map(calls.map((c, index) => [c.id, { call: c, index }]));
  let fromIndex = Number.POSITIVE_INFINITY;
  if (options.from !== undefined) {
    const hit = byId.get(options.from);
    if (!hit) {
      const ids = calls.map((c) => c.id);
      throw new KitaruStateError(
        `--from "${options.from}" names no call of execution ${sourceExecId}. ` +
          (ids.length ? `Its calls are: ${ids.join(', ')}.` : 'It has no calls.'),
      );
    }
    fromIndex = hit.index;
  }
  const overrides = new Map<string, Json>();
  for (const [selector, value] of parseOverrideKeys(options.overrides ?? {})) {
    overrides.set(selector, encodeValue(value, `checkpoint.${selector}`, 'override'));
  }
  const used = new Set<string>(alreadyUsed);
  const args = options.args === undefined ? undefined : encodeValue(options.args, 'args', 'replay');

  return {
    sourceExecId,
    record() {
      const rec: ReplayRecord = {
        sourceExecId,
        overrides: Object.fromEntries([...overrides].map(([k, v]) => [PREFIX + k, v])),
        unusedOverrides: [...overrides.keys()].filter((k) => !used.has(k)).map((k) => PREFIX + k),
      };
      if (options.from !== undefined) rec.from = options.from;
      if (args !== undefined) rec.args = args;
      return rec;
    },
    decide(callId, inputHash) {
      const override = overrides.get(callId);
      if (override !== undefined) {
        used.add(callId);
        return { kind: 'override', value: override };
      }
      const hit = byId.get(callId);
      if (!hit) return { kind: 'execute', reason: 'new' };
      if (hit.index >= fromIndex) return { kind: 'execute', reason: 'from' };
      const { call } = hit;
      if (call.status !== 'completed') return { kind: 'execute', reason: 'not-completed' };
      if (call.inputHash !== inputHash) return { kind: 'execute', reason: 'inputs-changed' };
      return call.origin === 'reused' && call.sourceExecId && call.sourceSeq !== null
        ? { kind: 'reuse', source: call, sourceExecId: call.sourceExecId, sourceSeq: call.sourceSeq }
        : { kind: 'reuse', source: call, sourceExecId, sourceSeq: call.seq };
    },
  };
}

/** The plan a recorded replay was started with, rebuilt (a worker resuming or running it). */
export function planFromRecord(
  replay: ReplayRecord,
  sourceCalls: CallRecord[],
  ownCalls: CallRecord[] = [],
): ReplayPlan {
  const options: ReplayOptions = {
    overrides: Object.fromEntries(Object.entries(replay.overrides).map(([k, v]) => [k, decodeValue(v)])),
  };
  if (replay.from !== undefined) options.from = replay.from;
  if (replay.args !== undefined) options.args = decodeValue(replay.args) as unknown[];
  const used = ownCalls.filter((c) => c.origin === 'overridden').map((c) => c.id);
  return createReplayPlan(replay.sourceExecId, sourceCalls, options, used);
}

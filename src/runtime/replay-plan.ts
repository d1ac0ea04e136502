import { KitaruStateError, KitaruUsageError } from '../errors.js';
import { decodeValue, encodeValue, type Json, sameEncoding } from '../serialization.js';
import type { CallReason, CallRecord, ReplayRecord } from '../store/types.js';

/** What a replay changes; the same for the CLI and `KitaruClient.executions.replay`. */
export interface ReplayOptions {
  /** Call id (as `inspect` shows it) from which every call runs again. */
  from?: string;
  /**
   * `{ 'checkpoint.<call-id>': value }`: that call returns `value` without running;
   * `{ 'wait.<wait-id>': answer }`: that wait gets `answer` (validated by its schema) instead of asking.
   */
  overrides?: Record<string, unknown>;
  /** New positional flow arguments. */
  args?: unknown[];
}

/** How one call of a replay gets its result. */
export type Decision =
  | { kind: 'reuse'; source: CallRecord; sourceExecId: string; sourceSeq: number }
  | { kind: 'override'; value: Json }
  | { kind: 'execute'; reason: CallReason };

/** What a call is, for the plan: an override names a checkpoint or a wait; a sleep has none. */
export type CallKind = 'checkpoint' | 'wait' | 'sleep';

/** The plan a replay execution follows, decided call by call. */
export interface ReplayPlan {
  readonly sourceExecId: string;
  /** The plan as kept in the replay's `execution.json`. */
  record(): ReplayRecord;
  decide(callId: string, inputHash: string, kind?: CallKind): Decision;
  /**
   * The source call's input hash when `input` (encoded) is the same JSON as the source call's
   * recorded input: then it is that call's hash too, with nothing to compute. Undefined otherwise
   * (no such call, other inputs, or unsure): the caller hashes.
   */
  sameInputHash(callId: string, input: Json): string | undefined;
}

const PREFIXES = ['checkpoint.', 'wait.'];

/**
 * Checks `checkpoint.<selector>` and `wait.<selector>` override keys (kept whole, as given);
 * anything else is a `KitaruUsageError`.
 */
export function parseOverrideKeys(overrides: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(overrides)) {
    if (!PREFIXES.some((p) => key.startsWith(p) && key.length > p.length)) {
      throw new KitaruUsageError(
        `override key "${key}" is not of the form checkpoint.<call-id> or wait.<wait-id> (for example checkpoint.fetchData, checkpoint.fetchData_2 or wait.approval).`,
      );
    }
    out.set(key, value);
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
  const find = callFinder(calls);
  let fromIndex = Number.POSITIVE_INFINITY;
  if (options.from !== undefined) {
    const hit = find(options.from);
    if (hit < 0) {
      const ids = calls.map((c) => c.id);
      throw new KitaruStateError(
        `--from "${options.from}" names no call of execution ${sourceExecId}. ` +
          (ids.length ? `Its calls are: ${ids.join(', ')}.` : 'It has no calls.'),
      );
    }
    fromIndex = hit;
  }
  const overrides = new Map<string, Json>();
  for (const [key, value] of parseOverrideKeys(options.overrides ?? {})) {
    overrides.set(key, encodeValue(value, key, 'override'));
  }
  const used = new Set<string>(alreadyUsed);
  const args = options.args === undefined ? undefined : encodeValue(options.args, 'args', 'replay');

  return {
    sourceExecId,
    record() {
      const rec: ReplayRecord = {
        sourceExecId,
        overrides: Object.fromEntries(overrides),
        unusedOverrides: [...overrides.keys()].filter((k) => !used.has(k)),
      };
      if (options.from !== undefined) rec.from = options.from;
      if (args !== undefined) rec.args = args;
      return rec;
    },
    decide(callId, inputHash, kind = 'checkpoint') {
      if (overrides.size > 0 && kind !== 'sleep') {
        const key = `${kind}.${callId}`;
        const override = overrides.get(key);
        if (override !== undefined) {
          used.add(key);
          return { kind: 'override', value: override };
        }
      }
      const index = find(callId);
      const call = calls[index];
      if (!call || (call.kind ?? 'checkpoint') !== kind) return { kind: 'execute', reason: 'new' };
      if (index >= fromIndex) return { kind: 'execute', reason: 'from' };
      return fromSource(call, inputHash, sourceExecId);
    },
    sameInputHash(callId, input) {
      const call = calls[find(callId)];
      return call && sameEncoding(input, call.input) ? call.inputHash : undefined;
    },
  };
}

/**
 * Finds a source call's index by id (-1 if none). A replay makes its calls in the source's order,
 * mostly: the call after the last one found is tried first, and the index by id is built only when
 * that guess misses. Ids are unique within an execution.
 */
function callFinder(calls: CallRecord[]): (callId: string) => number {
  let next = 0;
  let byId: Map<string, number> | undefined;
  let last = -1;
  let lastId = '';
  return (callId) => {
    // sameInputHash and decide ask for the same call, one after the other.
    if (callId === lastId && last >= 0) return last;
    let index = calls[next]?.id === callId ? next : -1;
    if (index < 0) {
      byId ??= new Map(calls.map((c, i) => [c.id, i]));
      index = byId.get(callId) ?? -1;
    }
    if (index >= 0) next = index + 1;
    last = index;
    lastId = callId;
    return index;
  };
}

/** A source call before `--from`: reused when it completed with equal inputs, else run. */
function fromSource(call: CallRecord, inputHash: string, sourceExecId: string): Decision {
  if (call.status !== 'completed') return { kind: 'execute', reason: 'not-completed' };
  if (call.inputHash !== inputHash) return { kind: 'execute', reason: 'inputs-changed' };
  return call.origin === 'reused' && call.sourceExecId && call.sourceSeq !== null
    ? { kind: 'reuse', source: call, sourceExecId: call.sourceExecId, sourceSeq: call.sourceSeq }
    : { kind: 'reuse', source: call, sourceExecId, sourceSeq: call.seq };
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
  // Overrides applied before: by a call this execution recorded, or by a wait (refused) that asked.
  const unused = new Set(replay.unusedOverrides);
  const used = [
    ...ownCalls.filter((c) => c.origin === 'overridden').map((c) => `${c.kind ?? 'checkpoint'}.${c.id}`),
    ...Object.keys(replay.overrides).filter((k) => !unused.has(k)),
  ];
  return createReplayPlan(replay.sourceExecId, sourceCalls, options, used);
}

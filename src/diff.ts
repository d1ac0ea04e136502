import { KitaruStateError } from './errors.js';
import { decodeValue, type Json, stableStringify } from './serialization.js';
import type { CheckpointView, Execution } from './views.js';

/** How one call compares between two executions. */
export type CallChange = 'same' | 'changed' | 'only-a' | 'only-b';

/** One side of a compared call. */
export interface DiffSide {
  status: string;
  origin: string;
  reason: string | null;
  durationMs: number | null;
  output: unknown;
}

/** One call, by id, in two executions. */
export interface CallDiff {
  id: string;
  change: CallChange;
  a: DiffSide | null;
  b: DiffSide | null;
  /** b's duration minus a's, when both ran. */
  durationChangeMs: number | null;
}

/** The comparison of two executions of the same flow, call by call. */
export interface ExecutionDiff {
  flow: string;
  a: { id: string; status: string; output: unknown };
  b: { id: string; status: string; output: unknown };
  outputChanged: boolean;
  calls: CallDiff[];
  counts: Record<CallChange, number>;
}

/** A call's running time: first attempt's start to last attempt's end; null if it did not run. */
export function callDurationMs(c: CheckpointView): number | null {
  if (c.sleep === 'sleeping' || c.sleep === 'interrupted') return null; // it has not slept its time
  const first = c.attempts[0];
  const last = c.attempts[c.attempts.length - 1];
  return first && last ? Date.parse(last.endedAt) - Date.parse(first.startedAt) : null;
}

function side(c: CheckpointView, decode: boolean): DiffSide {
  const output = decode ? decodeValue(c.output) : c.output;
  return { status: c.status, origin: c.origin, reason: c.reason, durationMs: callDurationMs(c), output };
}

const same = (x: unknown, y: unknown) => stableStringify(x as Json) === stableStringify(y as Json);

/**
 * Compares two executions (given in the stored encoding, so equal values compare equal) call by
 * call, in a's call order then b's new calls; `decode` decodes the outputs in the result.
 * Executions of different flows are refused with `KitaruStateError`.
 */
export function diffExecutions(a: Execution, b: Execution, decode = false): ExecutionDiff {
  if (a.flow.name !== b.flow.name) {
    throw new KitaruStateError(
      `executions ${a.id} (flow "${a.flow.name}") and ${b.id} (flow "${b.flow.name}") are not of the same flow; ` +
        'diff compares runs of one flow, such as an execution and its replay.',
    );
  }
  const inB = new Map(b.checkpoints.map((c) => [c.id, c]));
  const calls: CallDiff[] = [];
  for (const ca of a.checkpoints) {
    const cb = inB.get(ca.id);
    inB.delete(ca.id);
    if (!cb) {
      calls.push({ id: ca.id, change: 'only-a', a: side(ca, decode), b: null, durationChangeMs: null });
      continue;
    }
    const sa = side(ca, decode);
    const sb = side(cb, decode);
    const changed = ca.status !== cb.status || !same(ca.output, cb.output);
    const durationChangeMs =
      sa.durationMs !== null && sb.durationMs !== null ? sb.durationMs - sa.durationMs : null;
    calls.push({ id: ca.id, change: changed ? 'changed' : 'same', a: sa, b: sb, durationChangeMs });
  }
  for (const cb of inB.values())
    calls.push({ id: cb.id, change: 'only-b', a: null, b: side(cb, decode), durationChangeMs: null });
  const counts: Record<CallChange, number> = { same: 0, changed: 0, 'only-a': 0, 'only-b': 0 };
  for (const c of calls) counts[c.change]++;
  return {
    flow: a.flow.name,
    a: { id: a.id, status: a.status, output: decode ? decodeValue(a.output) : a.output },
    b: { id: b.id, status: b.status, output: decode ? decodeValue(b.output) : b.output },
    outputChanged: a.status !== b.status || !same(a.output, b.output),
    calls,
    counts,
  };
}

import { KitaruStateError } from '../errors.js';
import { type Json, stableStringify } from '../serialization.js';
import type { ExecutionRecord } from '../store/types.js';

/** Longest shown value in a difference: the line stays one line. */
const SHOWN = 60;

/**
 * What differs between the execution an id names and a start of that id (`wanted`, the record it
 * would have written), as phrases: empty when it is the same start. An id is an idempotency key:
 * the same flow (name, and file as recorded from the project root), the same encoded arguments,
 * and for a replay the same source and options (`from`, overrides). The source hash is not
 * compared: a retried request after a deploy still attaches.
 */
export function startDifferences(existing: ExecutionRecord, wanted: ExecutionRecord): string[] {
  const out: string[] = [];
  const a = existing.flow;
  const b = wanted.flow;
  if (a.name !== b.name || a.file !== b.file) out.push(`flow ${flowText(a)}, not ${flowText(b)}`);
  if (text(existing.args) !== text(wanted.args)) {
    out.push(`arguments ${shown(existing.args)}, not ${shown(wanted.args)}`);
  }
  const replay = replayText(existing);
  const wantedReplay = replayText(wanted);
  if (replay !== wantedReplay) out.push(`${replay}, not ${wantedReplay}`);
  return out;
}

/**
 * The `KitaruStateError` of a start whose id names an execution started differently, when
 * `startDifferences` finds something; nothing otherwise.
 */
export function checkSameStart(existing: ExecutionRecord, wanted: ExecutionRecord): void {
  const diffs = startDifferences(existing, wanted);
  if (diffs.length === 0) return;
  const id = existing.id;
  throw new KitaruStateError(
    `execution ${id} exists with another start (${diffs.join('; ')}): an id starts one execution of ` +
      `one flow with the same arguments. Choose another id for this one; see that one with \`kitaru inspect ${id}\`.`,
  );
}

function flowText(flow: ExecutionRecord['flow']): string {
  return flow.file ? `${flow.name} (${flow.file})` : flow.name;
}

function text(value: unknown): string {
  return stableStringify((value ?? null) as Json);
}

function shown(value: unknown): string {
  const t = text(value);
  return t.length > SHOWN ? `${t.slice(0, SHOWN - 1)}…` : t;
}

/** A replay's source and options as one phrase; `a run` for an execution that is no replay. */
function replayText(record: ExecutionRecord): string {
  const r = record.replay;
  if (!r) return record.originalExecId ? `a replay of ${record.originalExecId}` : 'a run';
  let out = `a replay of ${r.sourceExecId}`;
  if (r.from !== undefined) out += ` from ${r.from}`;
  if (Object.keys(r.overrides).length > 0) out += ` with overrides ${shown(r.overrides)}`;
  return out;
}

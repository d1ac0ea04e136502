import { relative } from 'node:path';
import { KitaruContextError, KitaruUsageError } from '../errors.js';
import { type CallRecord, SCHEMA_VERSION } from '../store/types.js';
import type { RunState } from './run-state.js';
import type { CheckpointDef } from './types.js';

/**
 * A fresh call record. Written out field by field, not spread: object spread of these shapes costs
 * microseconds in V8, which matters at the scale of one small-file write per checkpoint.
 */
function newRecord(seq: number, callId: string, def: CheckpointDef): CallRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    seq,
    id: callId,
    name: def.name,
    type: def.type,
    status: 'failed',
    origin: 'executed',
    reason: 'new',
    sourceExecId: null,
    sourceSeq: null,
    inputHash: '',
    input: null,
    output: null,
    attempts: [],
  };
}

/**
 * The record of a new call of `def`: its id (`name`, `name_2`, ... in call order) and its
 * position (kept across flow attempts and resumes, so the same call keeps its place).
 */
export function identifyCall(run: RunState, def: CheckpointDef): CallRecord {
  // Waits reached while a suspended run drains are listed too (nothing else starts then).
  const draining = run.suspension.reached && run.phase === 'failing' && def.site === STEP_SITE;
  if (run.phase !== 'running' && !draining) {
    throw new KitaruContextError(
      `checkpoint ${def.name} was called after execution ${run.execId} had stopped; await every call inside the flow body.`,
    );
  }
  checkOneDefinition(run, def);
  const n = (run.counts.get(def.name) ?? 0) + 1;
  run.counts.set(def.name, n);
  const callId = n === 1 ? def.name : `${def.name}_${n}`;
  let seq = run.retainForRetry ? run.seqs.get(callId) : undefined;
  if (seq === undefined) {
    seq = run.nextSeq++;
    while (run.takenSeqs.has(seq)) seq = run.nextSeq++;
    if (run.retainForRetry) run.seqs.set(callId, seq);
  }
  return newRecord(seq, callId, def);
}

/** The site of the definitions that stand for `wait()` and `sleep()` calls. */
const STEP_SITE = 'kitaru:step';
const stepDefs = new Map<string, CheckpointDef>();
const noop = () => undefined;

/**
 * The definition a `wait()` or `sleep()` call is numbered under: one per name, so its calls count
 * like a checkpoint's, and a checkpoint of the same name is refused as a second definition.
 */
export function stepDef(name: string): CheckpointDef {
  let def = stepDefs.get(name);
  if (!def) {
    def = {
      name,
      type: null,
      retries: 0,
      retryDelayMs: 0,
      backoffFactor: 2,
      timeoutMs: null,
      retryIf: null,
      site: STEP_SITE,
      fn: noop,
    };
    stepDefs.set(name, def);
  }
  return def;
}

function displaySite(site: string | null): string {
  if (site === null) return 'an unknown place';
  const at = site.replace(/:\d+$/, '');
  const rel = relative(process.cwd(), at);
  return rel.startsWith('..') ? at : rel;
}

/**
 * Call ids come from names, so two different checkpoints under one name would get each other's
 * results on replay. The same definition made again (a loop, a flow retry) has the same site.
 */
function checkOneDefinition(run: RunState, def: CheckpointDef): void {
  const known = run.defs.get(def.name);
  if (known === undefined) {
    run.defs.set(def.name, def);
    return;
  }
  if (known === def || known.fn === def.fn || (known.site !== null && known.site === def.site)) return;
  throw new KitaruUsageError(
    `two different checkpoints are named "${def.name}" in execution ${run.execId}: one defined at ` +
      `${displaySite(known.site)}, the other at ${displaySite(def.site)}. Call ids come from names, so a ` +
      'replay could give one the result of the other: give each checkpoint a name of its own.',
  );
}

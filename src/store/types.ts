import type { ErrorRecord } from '../errors.js';
import type { Json } from '../serialization.js';

/** Version of every document the store writes. */
export const SCHEMA_VERSION = 2;

/** Status of an execution; `crashed` is never written, it is worked out when read. */
export type ExecutionStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'crashed';
/** Status of a call or an attempt. */
export type CallStatus = 'completed' | 'failed';
/** Where a call's result came from. */
export type CallOrigin = 'executed' | 'reused' | 'overridden';
/** Why an executed call ran. */
export type CallReason = 'new' | 'from' | 'inputs-changed' | 'not-completed';

/** The replay plan an execution was started with. */
export interface ReplayRecord {
  sourceExecId: string;
  from?: string;
  overrides: Record<string, Json>;
  args?: Json;
  unusedOverrides: string[];
}

/** `execution.json`. Values (`args`, `output`) are in the store encoding. */
export interface ExecutionRecord {
  schemaVersion: number;
  id: string;
  flow: { name: string; file: string | null; sourceHash: string | null };
  status: ExecutionStatus;
  args: Json;
  output: Json;
  error: ErrorRecord | null;
  originalExecId: string | null;
  replay: ReplayRecord | null;
  pid: number;
  host: string;
  createdAt: string;
  endedAt: string | null;
  flowAttempts: number;
  /** How many calls the execution recorded, written with its summary when it ends (folder store). */
  callCount?: number;
}

/** One captured log line or structured `log()` entry. */
export interface LogEntry {
  at: string;
  callId?: string;
  attempt?: number;
  stream: 'stdout' | 'stderr' | 'log';
  text?: string;
  fields?: Json;
}

/** One attempt of a call. */
export interface AttemptRecord {
  attempt: number;
  status: CallStatus;
  startedAt: string;
  endedAt: string;
  error: ErrorRecord | null;
  logs: LogEntry[];
}

/** `checkpoints/<seq>-<call-id>.json`: one call of an execution. */
export interface CallRecord {
  schemaVersion: number;
  seq: number;
  id: string;
  name: string;
  type: string | null;
  status: CallStatus;
  origin: CallOrigin;
  reason: CallReason | null;
  /** For reused and overridden calls: the execution whose result this is. */
  sourceExecId: string | null;
  /** For reused calls: the call's position in `sourceExecId`. */
  sourceSeq: number | null;
  inputHash: string;
  input: Json;
  output: Json;
  attempts: AttemptRecord[];
}

/** An execution record with its number of calls, as `list` shows it. */
export interface ExecutionSummaryRecord extends ExecutionRecord {
  checkpointCount: number;
}

import { callDurationMs } from '../../diff.js';
import { getExecution, type LogLine } from '../../queries.js';
import type { CheckpointView, Execution } from '../../views.js';
import type { CommandResult } from '../command-result.js';
import { type CliIO, storeOf } from '../io.js';
import {
  formatDuration,
  formatInput,
  formatValue,
  paintStatus,
  parkedSleepHint,
  replayCommand,
  table,
  waitLines,
} from '../render/format.js';

/** Stack frames of Node itself and of kitaru's runtime, left out of `--attempts`. */
const INTERNAL_FRAME = /\(node:|at node:|callUser|[\\/]dist[\\/](?:index|cli)\.js|[\\/]dist[\\/]chunks[\\/]/;

function origin(c: CheckpointView): string {
  if (c.origin === 'executed') return c.reason && c.reason !== 'new' ? `executed (${c.reason})` : 'executed';
  return c.sourceExecId ? `${c.origin} (${c.sourceExecId.slice(0, 12)})` : c.origin;
}

/** A log entry (or a failed attempt's error) on one line. */
export function formatLog(e: LogLine): string {
  const who = e.callId ? `${e.callId}#${e.attempt}` : 'flow';
  const body = e.stream === 'error' ? e.text : (e.text ?? JSON.stringify(e.fields));
  return `${e.at.slice(11, 23)} ${who} ${e.stream}: ${body.replace(/\n$/, '')}`;
}

/** What a replay was asked to do, and the overrides it did not use. */
function replayLines(io: CliIO, replay: NonNullable<Execution['replay']>): string[] {
  const c = io.color;
  const overrides = Object.keys(replay.overrides);
  const plan = [
    replay.from ? `from ${replay.from}` : '',
    overrides.length ? `overrides ${overrides.join(', ')}` : '',
    replay.args !== undefined ? 'new args' : '',
  ].filter(Boolean);
  const lines = [`${c.bold('replay of')} ${replay.sourceExecId}${plan.length ? `  ${plan.join(', ')}` : ''}`];
  if (replay.unusedOverrides.length)
    lines.push(c.yellow(`unused overrides: ${replay.unusedOverrides.join(', ')}`));
  return lines;
}

function header(io: CliIO, ex: Execution): string[] {
  const c = io.color;
  const lines = [
    `${c.bold('execution')} ${ex.id}  ${paintStatus(ex.status, c)}`,
    `${c.bold('flow')}      ${ex.flow.name}${ex.flow.file ? c.dim(` (${ex.flow.file})`) : ''}`,
    `${c.bold('started')}   ${ex.createdAt}  ${formatDuration(ex.durationMs)}` +
      `${ex.flowAttempts > 1 ? `  ${ex.flowAttempts} flow attempts` : ''}  ${c.dim(`host ${ex.host}`)}`,
    `${c.bold('args')}      ${formatValue(ex.args)}`,
  ];
  if (ex.replay) lines.push(...replayLines(io, ex.replay));
  if (ex.status === 'completed') lines.push(`${c.bold('output')}    ${formatValue(ex.output)}`);
  if (ex.error) {
    lines.push(
      `${c.bold('error')}     ${c.red(`${ex.error.type}: ${ex.error.message}`)}${ex.error.callId ? ` (call ${ex.error.callId})` : ''}`,
    );
  }
  return lines;
}

function attemptLines(io: CliIO, c: CheckpointView): string[] {
  const k = io.color;
  const lines = [
    `${k.bold(c.id)}${c.type ? k.dim(` [${c.type}]`) : ''}  ${paintStatus(c.status, k)}  ${origin(c)}`,
    `  input ${formatInput(c.input)}`,
  ];
  if (c.origin !== 'executed') lines.push(`  output ${formatValue(c.output)}`);
  for (const a of c.attempts) {
    lines.push(
      `  attempt ${a.attempt}  ${paintStatus(a.status, k)}  ${formatDuration(a.durationMs)}  ${a.startedAt}`,
    );
    if (a.error) {
      lines.push(`    ${k.red(`${a.error.type}: ${a.error.message}`)}`);
      const frames = (a.error.stack ?? '')
        .split('\n')
        .filter((l) => l.trim().startsWith('at ') && !INTERNAL_FRAME.test(l))
        .slice(0, 3);
      const cwd = `${process.cwd()}/`;
      for (const f of frames) lines.push(k.dim(`      ${f.trim().replaceAll(cwd, '')}`));
    }
    for (const log of a.logs) lines.push(k.dim(`    ${formatLog(log)}`));
    if (a.status === 'completed') lines.push(`    output ${formatValue(c.output)}`);
  }
  return lines;
}

/** A sleep on one line: done, interrupted, or still sleeping (and who wakes it). */
function sleepLine(io: CliIO, ex: Execution, c: CheckpointView): string {
  const until = c.wakeAt ?? '-';
  if (c.sleep === 'interrupted')
    return `sleep ${c.id}: ${io.color.red('interrupted')} (it was to sleep until ${until})`;
  if (c.sleep !== 'sleeping') return `sleep ${c.id}: slept until ${until}`;
  const parked = ex.waits.some((w) => w.id === c.id);
  const then = parked || ex.queue ? `; ${parkedSleepHint(ex.id, ex.queue)}` : '';
  return `sleep ${c.id}: ${io.color.yellow('sleeping')} until ${until}${then}`;
}

/** A recorded wait or sleep on one line: its answer (and how it came), or its wake time. */
function stepLine(io: CliIO, ex: Execution, c: CheckpointView): string {
  if (c.kind === 'sleep') return sleepLine(io, ex, c);
  const how =
    c.resolution === 'timeout'
      ? io.color.red('timed out')
      : c.resolution === 'default'
        ? `default ${formatValue(c.output)}`
        : `answered ${formatValue(c.output)}`;
  const q = (c.input as { question?: string | null } | null)?.question;
  return `wait ${c.id}: ${q ? `${q} ` : ''}${how}${c.deadline ? io.color.dim(` (deadline ${c.deadline})`) : ''}`;
}

/** The waits and sleeps of an execution: those recorded, then those it waits at, with the commands. */
function waitsSection(io: CliIO, ex: Execution): string[] {
  const steps = ex.checkpoints.filter((c) => c.kind !== 'checkpoint').map((c) => stepLine(io, ex, c));
  // A parked sleep is recorded when reached: its line above says so already.
  const recorded = new Set(ex.checkpoints.map((c) => c.id));
  // Queued to resume: the workers apply the answers given (the queued line says so), nobody is asked.
  const waits =
    ex.status === 'queued' ? [] : ex.waits.filter((w) => !(w.kind === 'sleep' && recorded.has(w.id)));
  const pending = waitLines(ex.id, waits, io.dir, io.color, ex.queue).map((l) =>
    l.startsWith('wait ') ? l.replace(/^wait (\S+): /, `wait $1: ${io.color.yellow('pending')} `) : l,
  );
  const lines = [...steps, ...pending];
  return lines.length ? ['', io.color.bold('waits and sleeps'), ...lines] : [];
}

/** Who takes a queued execution up: a worker starts it, or resumes it in place (answered, handed back). */
function queuedLine(ex: Execution): string {
  const resumed = ex.resumes > 0 || ex.checkpoints.length > 0 || ex.waits.length > 0;
  return resumed
    ? 'queued: the workers resume it in place (its recorded calls and answers kept) when one is free'
    : 'queued: a worker starts it when one is free';
}

/** `kitaru inspect <exec-id> [--attempts]`. Exit 0 whatever the execution's status. */
export async function inspectCommand(
  io: CliIO,
  id: string,
  options: { attempts?: boolean },
): Promise<CommandResult> {
  const ex = await getExecution(storeOf(io), id, false);
  if (io.json) return { exitCode: 0, document: { execution: ex } };
  const out = header(io, ex);
  out.push('');
  if (ex.checkpoints.length === 0) out.push(io.color.dim('no calls'));
  else if (options.attempts) for (const c of ex.checkpoints) out.push(...attemptLines(io, c));
  else {
    const rows = ex.checkpoints.map((c) => [
      c.id,
      c.type ?? (c.kind === 'checkpoint' ? '-' : c.kind),
      paintStatus(c.sleep === 'sleeping' || c.sleep === 'interrupted' ? c.sleep : c.status, io.color),
      origin(c),
      String(c.attempts.length),
      formatDuration(callDurationMs(c)),
      formatInput(c.input, io.width),
    ]);
    const headers = ['call', 'type', 'status', 'origin', 'attempts', 'duration', 'input'];
    out.push(table(headers, rows, io.color, io.width));
  }
  out.push(...waitsSection(io, ex));
  if (ex.status === 'queued') out.push('', queuedLine(ex));
  if (ex.status === 'crashed') out.push('', `resume it in place: kitaru resume ${ex.id}`);
  if (ex.status === 'failed' || ex.status === 'crashed' || ex.status === 'cancelled') {
    out.push('', `replay it (completed calls are reused): ${replayCommand(ex.id, io.dir)}`);
  }
  io.out(out.join('\n'));
  return { exitCode: 0 };
}

import { KitaruUsageError } from '../../errors.js';
import { projectRoot } from '../../store/project-root.js';
import type { CommandResult } from '../command-result.js';
import { type CliIO, storeOf } from '../io.js';
import { type Interrupts, signalExitCode } from '../signals.js';

/** Options of `kitaru worker`. */
export interface WorkerCommandOptions {
  concurrency: string;
  lease: string;
  grace: string;
  parkAfter: string;
}

function seconds(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min)
    throw new KitaruUsageError(`${flag} takes a number of seconds >= ${min}, got "${value}".`);
  return n;
}

function concurrencyOf(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new KitaruUsageError(`--concurrency takes a whole number >= 1, got "${value}".`);
  return n;
}

/** The schedules of the project's `kitaru.crontab`, if it has one. */
async function crontabOf(near: string) {
  const { readCrontab } = await import('../../queue/crontab.js');
  const root = projectRoot(near);
  const crontab = await readCrontab(root);
  return crontab && { root, schedules: crontab.schedules };
}

/**
 * `kitaru worker`: runs queued executions from the flow files of this checkout until SIGINT or
 * SIGTERM; then finishes what it runs within the grace period and hands the rest back. A second
 * signal hands them back at once.
 */
export async function workerCommand(
  io: CliIO,
  options: WorkerCommandOptions,
  listen: () => Interrupts,
): Promise<CommandResult> {
  const concurrency = concurrencyOf(options.concurrency);
  const leaseMs = seconds(options.lease, '--lease', 1) * 1000;
  const graceMs = seconds(options.grace, '--grace', 0) * 1000;
  const parkAfterMs = seconds(options.parkAfter, '--park-after', 0) * 1000;
  const store = storeOf(io);
  // The queue loads only here: a project on a folder store never pays for it.
  const { queueDatabase, openQueue } = await import('../../queue/submit.js');
  const { startWorker } = await import('../../queue/worker.js');
  // A bad line stops the worker before it connects.
  const crontab = await crontabOf(process.cwd());
  const db = await queueDatabase(store, 'kitaru worker');
  const say = (line: string) => io.err(`${new Date().toISOString()} ${line}`);
  // The store's idle connection does not hold the process open; the worker does, until it stops.
  const keepAlive = setInterval(() => {}, 1 << 30);
  // Listening before the worker starts: a signal right after its first line (which says it has
  // started) stops it as gracefully as a later one, instead of ending the process unhandled.
  const interrupts = listen();
  try {
    const queue = await openQueue(db, (m) => say(`queue: ${m}`));
    const worker = await startWorker({
      store,
      db,
      queue,
      concurrency,
      leaseMs,
      parkAfterMs,
      ...(crontab ? { crontab } : {}),
      onEvent: say,
    });
    const signal = await interrupts.first;
    const running = worker.running.size;
    say(
      `${signal}: taking no more executions${running ? `; finishing ${running} (up to ${graceMs / 1000}s, a second signal hands them back now)` : ''}`,
    );
    interrupts.onRepeat(() => {
      interrupts.dispose(); // a third signal ends the process as usual
      worker.stop(0).catch(() => {}); // the first stop reports any failure
    });
    await worker.stop(graceMs);
    await store.close?.();
    say('worker stopped');
    return { exitCode: signalExitCode(signal), document: { worker: { name: worker.name, signal } } };
  } finally {
    interrupts.dispose();
    clearInterval(keepAlive);
  }
}

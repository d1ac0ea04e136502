import type { Runner, WorkerUtils } from 'graphile-worker';
import type { JobQueue } from './job-queue.js';

/** The task name of kitaru's jobs in graphile-worker's tables. */
const TASK = 'kitaru_execution';

/**
 * A JobQueue on graphile-worker (its own `graphile_worker` schema in the same database). Chosen
 * over pg-boss after a spike here: jobs start in milliseconds (LISTEN/NOTIFY) where pg-boss 10
 * polls; see the README. graphile-worker loads only when a queue is used.
 */
export async function createGraphileQueue(
  url: string,
  onError: (message: string) => void,
): Promise<JobQueue> {
  const gw = await import('graphile-worker');
  const logger = new gw.Logger(() => (level, message) => {
    if (level === 'error') onError(message);
  });
  let utils: WorkerUtils | undefined;
  let runner: Runner | undefined;
  const utilsReady = (async () => {
    utils = await gw.makeWorkerUtils({ connectionString: url, logger });
    await utils.migrate();
    return utils;
  })();
  await utilsReady;
  return {
    async enqueue(execId) {
      // A job whose handler throws (the database went away) is tried again with backoff.
      await (await utilsReady).addJob(TASK, { execId }, { maxAttempts: 10 });
    },
    async work(concurrency, handler) {
      runner = await gw.run({
        connectionString: url,
        concurrency,
        noHandleSignals: true,
        pollInterval: 2000,
        logger,
        taskList: {
          [TASK]: async (payload) => handler((payload as { execId: string }).execId),
        },
      });
    },
    async stop() {
      await runner?.stop();
      await utils?.release();
    },
  };
}

// Enqueue-to-start latency on an idle worker (issue 16): from the `enqueue` call to the first
// attempt of the queued execution starting on a `kitaru worker` that had nothing to do.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enqueueExecution } from '../src/queue/submit.js';
import { flowDefOf } from '../src/runtime/definitions.js';
import { awaitStopped } from '../src/store/await-stop.js';
import { createPostgresStore } from '../src/store/postgres/postgres-store.js';
import three from './flows/three.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'bin', 'kitaru.js');

/**
 * Starts one worker, then `count` times: enqueues an execution of the 3-step flow (the queue made
 * ready by a first, unmeasured one), waits for it to end, and notes the time from the enqueue call
 * to its first attempt's start, as the worker recorded it. Resolves to the median, in ms.
 */
export async function measureEnqueueToStart(url: string, count: number): Promise<number> {
  const store = createPostgresStore(url);
  const def = flowDefOf(three);
  if (!def) throw new Error('bench flow is not a flow');
  const worker = spawn(process.execPath, [bin, 'worker', '--store', url, '--concurrency', '4'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let err = '';
      worker.stderr?.on('data', (d) => {
        err += d;
        if (/worker .* concurrency/.test(err)) resolve();
      });
      worker.on('exit', () => reject(new Error(`the worker exited:\n${err}`)));
    });
    const latencies: number[] = [];
    for (let i = 0; i <= count; i++) {
      const asked = Date.now();
      const execId = await enqueueExecution(store, { def, args: [i] });
      await awaitStopped(store, execId, { timeoutMs: 30_000 });
      const [first] = await store.getCalls(execId);
      const started = Date.parse(first?.attempts[0]?.startedAt ?? '');
      if (i > 0) latencies.push(started - asked); // the first readies the queue (migrations, the flow file)
    }
    latencies.sort((a, b) => a - b);
    return latencies[Math.floor(latencies.length / 2)] as number;
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.on('close', r));
    await store.close();
  }
}

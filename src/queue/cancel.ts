import { hostname } from 'node:os';
import { type Canceller, cancelledPatch } from '../cancel.js';
import type { Store } from '../store/store.js';
import { createCancelRequests } from './cancels.js';
import { createLeases } from './leases.js';
import { queueDatabase } from './submit.js';

/** How long the lease a cancel takes lasts if its process dies holding it, in ms. */
const CANCEL_LEASE_MS = 30_000;

function noJobs(): string {
  throw new Error('a cancel queues no jobs');
}

/**
 * Cancels a queue-mode execution. Nobody holding its lease (queued, waiting, or its worker lost):
 * this process takes the lease, so no worker can start it meanwhile, and records it cancelled. A
 * worker holding it (or a lost worker's lease not yet lapsed): a cancel request that the worker
 * reads at its next heartbeat.
 */
export async function createQueueCanceller(store: Store): Promise<Canceller> {
  const db = await queueDatabase(store, 'cancelling a queue-mode execution');
  const owner = `cancel:${hostname()}:${process.pid}`;
  const leases = createLeases(db, owner, CANCEL_LEASE_MS, noJobs);
  const requests = createCancelRequests(db);
  let asked = false;
  return {
    async step(record) {
      const token = await leases.claim(record.id);
      if (!token) {
        if (!asked) await requests.request(record.id);
        asked = true;
        return false;
      }
      try {
        // Read again under the lease: a worker may have ended it between the first read and now.
        const current = await store.getExecution(record.id);
        if (current.status === 'cancelled') return true;
        if (current.status !== record.status) return false;
        await store.updateExecution(record.id, cancelledPatch('kitaru cancel'));
        await requests.forget(record.id);
        return true;
      } finally {
        await leases.release(record.id, token);
      }
    },
    close: async () => {},
  };
}

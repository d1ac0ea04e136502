import assert from 'node:assert/strict';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkpoint, createJsonFolderStore, flow, KitaruClient, log } from '../../src/index.js';
import { startReplay } from '../../src/replay.js';
import { tempDir } from '../helpers.js';

const store = createJsonFolderStore(join(tempDir(), '.kitaru'));
const client = new KitaruClient({ store, onWarning: () => {} });

const step = checkpoint(function step(n: number) {
  log({ n });
  return n + 1;
});
const slow = checkpoint(async function slowStep(n: number) {
  await new Promise((r) => setTimeout(r, 30));
  return n * 10;
});
const five = flow(async function five() {
  let last = 0;
  for (let i = 0; i < 5; i++) last = await step(i);
  await new Promise((r) => setTimeout(r, 20)); // the flow body still works after its calls
  return last;
});
const mixed = flow(async function mixedFaults() {
  const late = [slow.submit(1), slow.submit(2)];
  const first = await step(0);
  return [first, ...(await Promise.all(late.map((f) => f.result())))];
});

/** Makes `fs.writeSync` fail (as a full disk) for the writes `when` picks, while `body` runs. */
async function failingWrites<T>(when: (text: string) => boolean, body: () => Promise<T>, partial = false) {
  const { writeSync } = fs;
  let failures = 0;
  fs.writeSync = ((fd: number, buf: Buffer, offset?: number, length?: number) => {
    const text = Buffer.isBuffer(buf) ? buf.toString('utf8', offset ?? 0) : String(buf);
    if (when(text) && failures++ === 0) {
      if (partial) writeSync(fd, buf, offset ?? 0, Math.floor((length ?? buf.length) / 2));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    return writeSync(fd, buf, offset, length);
  }) as typeof writeSync;
  syncBuiltinESMExports();
  try {
    return await body();
  } finally {
    fs.writeSync = writeSync;
    syncBuiltinESMExports();
  }
}

describe('journal writes that fail', () => {
  it('a failed write of reused calls fails the replay with the store error, not a completed replay without calls', async () => {
    const h = five.with({ store }).run();
    await h.wait();
    const outcome = await failingWrites(
      (text) => text.includes('"t":"reuse"'),
      async () => {
        const { handle } = await startReplay(store, h.execId, {}, { onWarning: () => {} });
        return handle.done;
      },
    );
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.storeFailed, true);
    assert.match(String((outcome.cause as Error).message), /ENOSPC/);
  });

  it('a group written in part is cut back, and nothing is appended after a failed write', async () => {
    const h = mixed.with({ store }).run();
    await failingWrites(
      (text) => text.includes('"id":"step"'),
      () => assert.rejects(h.wait(), { name: 'KitaruExecutionError' }),
      true,
    );
    // No half line in the middle: the journal reads, every line of it whole.
    const text = fs.readFileSync(join(store.location, 'executions', h.execId, 'journal.jsonl'), 'utf8');
    for (const line of text.trimEnd().split('\n')) JSON.parse(line);
    const ex = await client.executions.get(h.execId);
    assert.deepEqual(
      ex.checkpoints.map((c) => c.id),
      [],
      'the failed group and what came after it are not on disk',
    );
  });

  it('reading the logs twice gives the same logs', async () => {
    const h = five.with({ store }).run();
    await h.wait();
    const first = await client.executions.logs(h.execId);
    const second = await client.executions.logs(h.execId);
    assert.equal(first.length, 5);
    assert.deepEqual(second, first);
  });
});

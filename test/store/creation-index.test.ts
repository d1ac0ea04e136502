import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createJsonFolderStore } from '../../src/store/json-folder/json-folder-store.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers.js';
import { execution, generatedId } from './contract.js';

const BASE = Date.parse('2026-05-01T08:00:00.000Z');
const at = (s: number) => new Date(BASE + s * 1000).toISOString();

/** A folder store holding zzz-1, a generated id, aaa-2 and another generated id, made in that order. */
async function fourExecutions(): Promise<{ dir: string; store: Store; newest: string[] }> {
  const dir = join(tempDir(), '.kitaru');
  const store = createJsonFolderStore(dir);
  const made = ['zzz-1', generatedId(BASE + 1000), 'aaa-2', generatedId(BASE + 3000)];
  for (const [i, id] of made.entries()) {
    await store.createExecution(execution(id, { createdAt: at(i) }));
    await store.updateExecution(id, { status: 'completed', endedAt: at(i) });
  }
  return { dir, store, newest: made.reverse() };
}

const idsOf = async (store: Store, limit?: number) =>
  (await store.listExecutions({ limit })).executions.map((e) => e.id);

const lines = (dir: string) =>
  readFileSync(join(dir, 'created.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('the creation index of the folder store (created.jsonl)', () => {
  it('names each execution whose id does not carry its time, with its createdAt, and only those', async () => {
    const { dir } = await fourExecutions();
    assert.deepEqual(lines(dir), [
      { id: 'zzz-1', createdAt: at(0) },
      { id: 'aaa-2', createdAt: at(2) },
    ]);
  });

  it('a store without it (written before it existed) lists newest first from the records', async () => {
    const { dir, newest } = await fourExecutions();
    rmSync(join(dir, 'created.jsonl'));
    const store = createJsonFolderStore(dir);
    assert.deepEqual(await idsOf(store), newest);
    assert.deepEqual(await idsOf(store, 2), newest.slice(0, 2));
    assert.ok(!existsSync(join(dir, 'created.jsonl')), 'list writes nothing');
  });

  it('a line torn or lost in a crash, and a line of an execution deleted, change nothing', async () => {
    const { dir, newest } = await fourExecutions();
    // aaa-2's line lost, a torn line, and a line naming an execution no longer there.
    writeFileSync(
      join(dir, 'created.jsonl'),
      `{"id":"zzz-1","createdAt":"${at(0)}"}\n{"id":"gone-9","createdAt":"${at(9)}"}\n{"id":"aa`,
    );
    assert.deepEqual(await idsOf(createJsonFolderStore(dir)), newest);
  });

  it('a deletion is noted; gc rewrites the index as the folders stand (deleted ones out, missed ones in)', async () => {
    const { dir, store, newest } = await fourExecutions();
    await store.deleteExecution('zzz-1');
    assert.deepEqual(lines(dir).at(-1), { id: 'zzz-1', deleted: true });
    appendFileSync(join(dir, 'created.jsonl'), '{"id":"aaa-2","crea'); // torn
    await store.finishDeletions?.();
    assert.deepEqual(lines(dir), [{ id: 'aaa-2', createdAt: at(2) }]);
    assert.deepEqual(await idsOf(store), newest.slice(0, 3));
    const before = readFileSync(join(dir, 'created.jsonl'), 'utf8');
    await store.finishDeletions?.();
    assert.equal(
      readFileSync(join(dir, 'created.jsonl'), 'utf8'),
      before,
      'nothing to change: not rewritten',
    );
  });

  it('is no execution: prefixes resolve as before, and an unreadable chosen-id execution is reported, last', async () => {
    const { dir, store, newest } = await fourExecutions();
    assert.equal(await store.resolveId('aaa'), 'aaa-2');
    await assert.rejects(store.resolveId('created'), { name: 'KitaruNotFoundError' });
    writeFileSync(join(dir, 'executions', 'aaa-2', 'execution.json'), '{"trunc');
    rmSync(join(dir, 'created.jsonl'));
    const { executions, errors } = await createJsonFolderStore(dir).listExecutions();
    assert.deepEqual(
      executions.map((e) => e.id),
      newest.filter((id) => id !== 'aaa-2'),
    );
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? '', /aaa-2/);
  });
});

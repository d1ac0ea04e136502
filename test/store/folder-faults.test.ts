import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkpoint, createJsonFolderStore, flow, KitaruClient } from '../../src/index.js';
import { tempDir } from '../helpers.js';

const dir = join(tempDir(), '.kitaru');
const store = createJsonFolderStore(dir);

const double = checkpoint(function double(n: number) {
  return n * 2;
});
const many = flow(async function manyFaults(n: number) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await double(i));
  return out;
});
const execDir = (id: string) => join(dir, 'executions', id);

function listWith(warnings: string[]) {
  return new KitaruClient({ store, onWarning: (m) => warnings.push(m) }).executions.list();
}

describe('what else sits in the store', () => {
  it('a stray file among the executions is skipped by list and by id lookups', async () => {
    const h = many.with({ store }).run(2);
    await h.wait();
    writeFileSync(join(dir, 'executions', '.DS_Store'), 'junk');
    writeFileSync(join(dir, 'executions', 'notes.txt'), 'my notes');
    const warnings: string[] = [];
    assert.ok((await listWith(warnings)).some((e) => e.id === h.execId));
    assert.deepEqual(
      warnings.filter((w) => /DS_Store|notes\.txt|ENOTDIR/.test(w)),
      [],
    );
    await assert.rejects(new KitaruClient({ store }).executions.get('notes'), {
      name: 'KitaruNotFoundError',
    });
  });

  it('an execution.json whose id is not its folder name is a KitaruStoreError', async () => {
    const a = many.with({ store }).run(1);
    await a.wait();
    const file = join(execDir(a.execId), 'execution.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...doc, id: 'someone-else' }));
    await assert.rejects(new KitaruClient({ store }).executions.get(a.execId), {
      name: 'KitaruStoreError',
      message: /someone-else.*folder/,
    });
    const warnings: string[] = [];
    assert.ok(!(await listWith(warnings)).some((e) => e.id === a.execId));
    assert.equal(warnings.filter((w) => w.includes(a.execId)).length, 1);
  });

  it("a replay whose source was deleted says which source is missing and that its reused calls can't be shown", async () => {
    const h = many.with({ store }).run(3);
    await h.wait();
    const client = new KitaruClient({ store });
    const replay = await client.executions.replay(h.execId);
    rmSync(execDir(h.execId), { recursive: true });
    await assert.rejects(client.executions.get(replay.id), {
      name: 'KitaruStoreError',
      message: new RegExp(`source execution ${h.execId} is missing.*reused calls cannot be shown`),
    });
  });
});

describe('temp files', () => {
  it('a failed write removes its temp file', async () => {
    const h = many.with({ store }).run(1);
    await h.wait();
    // A folder where execution.json should be: the rename fails after the temp file was written.
    const file = join(execDir(h.execId), 'execution.json');
    rmSync(file);
    mkdirSync(join(file, 'in-the-way'), { recursive: true });
    const { writeFileAtomicSync } = await import('../../src/store/atomic-write.js');
    assert.throws(() => writeFileAtomicSync(file, '{}'), {
      name: 'KitaruStoreError',
      message: /EISDIR|ENOTEMPTY|EEXIST/,
    });
    const leftovers = readdirSync(execDir(h.execId)).filter((f) => f.endsWith('.tmp'));
    assert.deepEqual(leftovers, []);
  });
});

import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkpoint, createJsonFolderStore, flow, KitaruClient, wait } from '../../src/index.js';
import { tempDir } from '../helpers.js';

// A store keeps the journals it read parsed, and reads only what was appended to them since.
const dir = join(tempDir(), '.kitaru');
const store = createJsonFolderStore(dir);
const client = new KitaruClient({ store, onWarning: () => {} });

const triple = checkpoint(function triple(n: number) {
  return n * 3;
});
const many = flow(async function tripled(n: number) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await triple(i));
  return out;
});

const journalOf = (execId: string) => join(dir, 'executions', execId, 'journal.jsonl');
const outputs = async (execId: string) =>
  (await client.executions.get(execId)).checkpoints.map((c) => [c.id, c.output]);

/** A call line of the journal, made into the line of call `seq` returning `output`. */
function callLineFor(file: string, seq: number, output: number): string {
  const line = readFileSync(file, 'utf8').split('\n')[1] as string;
  return line
    .replace(/"seq":\d+/, `"seq":${seq}`)
    .replace(/"id":"[^"]*"/, `"id":"triple_${seq + 1}"`)
    .replace(/"output":\d+/, `"output":${output}`);
}

describe('journals read again', () => {
  it('lines appended since a read (by another process) are read, and a torn piece once it is whole', async () => {
    const h = many.with({ store }).run(2);
    await h.wait();
    const file = journalOf(h.execId);
    assert.deepEqual(await outputs(h.execId), [
      ['triple', 0],
      ['triple_2', 3],
    ]);
    appendFileSync(file, `${callLineFor(file, 2, 60)}\n`);
    assert.deepEqual((await outputs(h.execId)).at(-1), ['triple_3', 60]);
    const next = callLineFor(file, 3, 90);
    appendFileSync(file, next.slice(0, 25));
    assert.equal((await outputs(h.execId)).length, 3, 'a torn piece is left out');
    appendFileSync(file, `${next.slice(25)}\n`);
    assert.deepEqual((await outputs(h.execId)).at(-1), ['triple_4', 90], 'and read once whole');
  });

  it('a journal rewritten in place since a read is read whole again, not glued to what was read', async () => {
    const h = many.with({ store }).run(3);
    await h.wait();
    const file = journalOf(h.execId);
    assert.equal((await outputs(h.execId)).length, 3);
    const ino = statSync(file).ino;
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    lines[1] = (lines[1] as string).replace('"output":0', '"output":1000');
    writeFileSync(file, `${[...lines, callLineFor(file, 3, 9)].join('\n')}\n`);
    assert.equal(statSync(file).ino, ino, 'the same file, longer');
    assert.deepEqual(await outputs(h.execId), [
      ['triple', 1000],
      ['triple_2', 3],
      ['triple_3', 6],
      ['triple_4', 9],
    ]);
  });

  it('a resume after a read parses only what was added: the store sees the resumed calls and the answer', async () => {
    const f = flow(async function waitsAfter(n: number) {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(await triple(i));
      return [...out, await wait<number>({ name: 'last' })];
    });
    const h = f.with({ store }).run(3);
    await h.settled();
    assert.equal((await client.executions.get(h.execId)).status, 'waiting');
    const ex = await client.executions.input(h.execId, 'last', 7);
    assert.equal(ex.status, 'completed');
    assert.deepEqual(ex.output, [0, 3, 6, 7]);
    assert.deepEqual(
      ex.checkpoints.map((c) => [c.id, c.output]),
      [
        ['triple', 0],
        ['triple_2', 3],
        ['triple_3', 6],
        ['last', 7],
      ],
    );
    // A second store reads the file from the start: the same calls.
    const fresh = new KitaruClient({ store: createJsonFolderStore(dir) });
    assert.deepEqual((await fresh.executions.get(h.execId)).checkpoints, ex.checkpoints);
  });
});

describe('a torn tail cut when an execution is taken up again', () => {
  const big = checkpoint(function bigStep(n: number) {
    return String(n).repeat(150_000);
  });
  const f = flow(async function bigThenWait() {
    const a = await big(1);
    const b = await big(2);
    const answer = await wait<number>({ name: 'go' });
    return [a.length, b.length, answer];
  });
  // Each tail is longer than the first piece of the journal read back to find it.
  const tails: Array<[string, (file: string) => void]> = [
    [
      'a torn piece without a newline',
      (file) => appendFileSync(file, `{"seq":3,"output":"${'z'.repeat(100_000)}`),
    ],
    [
      'a whole last line that is not JSON',
      (file) => appendFileSync(file, `{"seq":3,"output":"${'z'.repeat(100_000)}\n`),
    ],
  ];
  for (const [what, tear] of tails) {
    it(`${what}, longer than the piece read first, is cut; the lines before it stay`, async () => {
      const h = f.with({ store }).run();
      await h.settled();
      const file = journalOf(h.execId);
      const whole = readFileSync(file, 'utf8');
      tear(file);
      const ex = await client.executions.input(h.execId, 'go', 5);
      assert.equal(ex.status, 'completed');
      assert.deepEqual(ex.output, [150_000, 150_000, 5]);
      const after = readFileSync(file, 'utf8');
      assert.ok(after.startsWith(whole), 'the whole lines before the tail are kept');
      for (const line of after.trimEnd().split('\n')) JSON.parse(line);
      assert.ok(after.endsWith('\n'));
    });
  }
});

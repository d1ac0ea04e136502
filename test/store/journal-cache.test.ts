import assert from 'node:assert/strict';
import fs, { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkpoint, createJsonFolderStore, flow, KitaruClient, log, wait } from '../../src/index.js';
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

/** How many bytes of journals `body` reads (the store reads them with `fs.readSync`). */
async function bytesRead<T>(body: () => Promise<T>): Promise<{ value: T; bytes: number }> {
  const { readSync } = fs;
  let bytes = 0;
  fs.readSync = ((...args: unknown[]) => {
    const n = (readSync as (...a: unknown[]) => number)(...args);
    if (new Error().stack?.includes('json-folder/journal-cache.ts')) bytes += n;
    return n;
  }) as typeof readSync;
  syncBuiltinESMExports();
  try {
    return { value: await body(), bytes };
  } finally {
    fs.readSync = readSync;
    syncBuiltinESMExports();
  }
}

describe('a replay read back as it ends', () => {
  const step = checkpoint(function mirroredStep(n: number) {
    return { n, text: 'x'.repeat(n) };
  });
  const f = flow(async function mirrored(n: number, size: number) {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i === 2) log({ at: i });
      out.push((await step(i < 3 ? i : size)).n);
    }
    return out;
  });

  it('is read from what the replay wrote, not parsed again, and reads as a fresh store reads it', async () => {
    const h = f.with({ store }).run(6, 5);
    await h.wait();
    await client.executions.get(h.execId); // the source, read once and kept
    const { value: replayed, bytes } = await bytesRead(() =>
      client.executions.replay(h.execId, {
        from: 'mirroredStep_5',
        overrides: { 'checkpoint.mirroredStep_4': { n: 40, text: '' } },
      }),
    );
    assert.ok(bytes <= 64, `the journal the replay wrote is not read again (${bytes} bytes read)`);
    const again = await client.executions.get(replayed.id);
    const fresh = new KitaruClient({ store: createJsonFolderStore(dir) });
    assert.deepEqual(again, await fresh.executions.get(replayed.id));
    assert.deepEqual(
      await store.readLogs(replayed.id),
      await createJsonFolderStore(dir).readLogs(replayed.id),
    );
    assert.deepEqual(
      again.checkpoints.map((c) => [c.id, c.origin, (c.output as { n: number }).n]),
      [
        ['mirroredStep', 'reused', 0],
        ['mirroredStep_2', 'reused', 1],
        ['mirroredStep_3', 'reused', 2],
        ['mirroredStep_4', 'overridden', 40],
        ['mirroredStep_5', 'executed', 5],
        ['mirroredStep_6', 'executed', 5],
      ],
    );
  });

  it('past 1 MB of lines to parse, it is read from the file, the same', async () => {
    const h = f.with({ store }).run(8, 300_000);
    await h.wait();
    await client.executions.get(h.execId);
    const { value: replayed, bytes } = await bytesRead(() =>
      client.executions.replay(h.execId, { from: 'mirroredStep_4' }),
    );
    assert.ok(bytes >= statSync(journalOf(replayed.id)).size, 'read from the file');
    const again = await client.executions.get(replayed.id);
    assert.deepEqual(
      again,
      await new KitaruClient({ store: createJsonFolderStore(dir) }).executions.get(replayed.id),
    );
    assert.equal(again.checkpoints.length, 8);
  });
});

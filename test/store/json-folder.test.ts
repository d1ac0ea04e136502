import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs, { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  checkpoint,
  createJsonFolderStore,
  currentExecutionId,
  flow,
  KitaruClient,
} from '../../src/index.js';
import { writeFileAtomicSync } from '../../src/store/atomic-write.js';
import { locateStoreDir } from '../../src/store/locate.js';
import { tempDir } from '../helpers.js';

const root = tempDir();
const dir = join(root, '.kitaru');
const store = createJsonFolderStore(dir);
const client = new KitaruClient({ store, onWarning: () => {} });

const double = checkpoint(function double(n: number) {
  return n * 2;
});
const pipeline = flow(async function layoutFlow(n: number) {
  return double(await double(n));
});
const many = flow(async function manyCalls(n: number) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await double(i));
  return out;
});

function readLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

/** Runs `body` counting `fs.writeSync` calls (patched, and the change pushed to ESM exports). */
async function countingWrites<T>(body: () => Promise<T>): Promise<{ writes: number; result: T }> {
  const { writeSync } = fs;
  let writes = 0;
  fs.writeSync = ((...a: Parameters<typeof writeSync>) => {
    writes++;
    return writeSync(...a);
  }) as typeof writeSync;
  syncBuiltinESMExports();
  try {
    const result = await body();
    return { writes, result };
  } finally {
    fs.writeSync = writeSync;
    syncBuiltinESMExports();
  }
}

describe('the .kitaru folder', () => {
  it('holds execution.json (the summary, written when it ends) and journal.jsonl (a line per record)', async () => {
    const h = pipeline.with({ store }).run(3);
    await h.wait();
    const execDir = join(dir, 'executions', h.execId);
    assert.deepEqual(readdirSync(execDir).sort(), ['execution.json', 'journal.jsonl']);
    const doc = JSON.parse(readFileSync(join(execDir, 'execution.json'), 'utf8'));
    assert.equal(doc.schemaVersion, 2);
    assert.equal(doc.status, 'completed');
    assert.deepEqual(doc.args, [3]);
    assert.equal(doc.output, 12);
    assert.equal(doc.callCount, 2);
    assert.equal(doc.flow.name, 'layoutFlow');
    assert.ok(!isAbsolute(doc.flow.file), 'the flow file is relative to the folder holding .kitaru');
    assert.equal(resolve(root, doc.flow.file), fileURLToPath(import.meta.url));
    assert.equal(typeof doc.flow.sourceHash, 'string');
    assert.equal(doc.pid, process.pid);
    const journal = readLines(join(execDir, 'journal.jsonl'));
    assert.deepEqual(
      journal.map((r) => [r.t, r.id]),
      [
        ['start', h.execId],
        ['call', 'double'],
        ['call', 'double_2'],
      ],
    );
    const call = journal[2] as Record<string, unknown>;
    assert.deepEqual([call.input, call.output, (call.attempts as unknown[]).length], [[6], 12, 1]);
    assert.equal(typeof call.inputHash, 'string');
    // Fields at their usual value are left out of a call's line, and put back when read.
    assert.deepEqual(Object.keys(call).sort(), [
      'attempts',
      'id',
      'input',
      'inputHash',
      'output',
      'seq',
      't',
    ]);
    const [read] = (await store.getCalls(h.execId)).slice(1);
    assert.deepEqual(
      [
        read?.schemaVersion,
        read?.name,
        read?.type,
        read?.status,
        read?.origin,
        read?.reason,
        read?.sourceSeq,
      ],
      [2, 'double', null, 'completed', 'executed', 'new', null],
    );
    assert.deepEqual(Object.keys(read?.attempts[0] ?? {}).sort(), [
      'attempt',
      'endedAt',
      'error',
      'logs',
      'startedAt',
      'status',
    ]);
  });

  it('reads call lines written whole (before lines left out their usual fields) as they are', async () => {
    const h = many.with({ store }).run(3);
    await h.wait();
    const file = join(dir, 'executions', h.execId, 'journal.jsonl');
    const calls = await store.getCalls(h.execId);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    // The same journal as kitaru wrote it before: every field of every call on its line.
    const whole = [lines[0], ...calls.map((c) => JSON.stringify({ ...c, output: c.seq * 100, t: 'call' }))];
    writeFileSync(file, `${whole.join('\n')}\n`);
    const again = await createJsonFolderStore(dir).getCalls(h.execId);
    assert.deepEqual(
      again,
      calls.map((c) => ({ ...c, output: c.seq * 100 })),
    );
  });

  it('a running execution is its start record until its summary is written', async () => {
    let seen: { files: string[]; status: string } | undefined;
    const peek = checkpoint(async function peek() {
      const id = currentExecutionId() as string;
      const files = readdirSync(join(dir, 'executions', id)).sort();
      // Another process (here, another store on the same folder) reads it from the journal.
      const status = (await createJsonFolderStore(dir).getExecution(id)).status;
      seen = { files, status };
      return 1;
    });
    await flow(async function running() {
      return peek();
    })
      .with({ store })
      .run()
      .wait();
    assert.deepEqual(seen, { files: ['journal.jsonl'], status: 'running' });
  });

  it('keeps a fully reused replay by reference: a reuse line per call', async () => {
    const h = many.with({ store }).run(20);
    await h.wait();
    const ex = await client.executions.replay(h.execId);
    const journal = readLines(join(dir, 'executions', ex.id, 'journal.jsonl'));
    assert.equal(journal.length, 21);
    assert.deepEqual(
      journal.slice(1, 3).map((e) => [e.t, e.sourceExecId, e.sourceSeq]),
      [
        ['reuse', h.execId, 0],
        ['reuse', h.execId, 1],
      ],
    );
    assert.deepEqual(
      ex.checkpoints.map((c) => c.output),
      Array.from({ length: 20 }, (_, i) => i * 2),
    );
  });

  it('a fan-out of slow synchronous calls still shares its writes (one event-loop turn per 50 ms, not one per call)', async () => {
    const busy = checkpoint(function busy(n: number) {
      const until = Date.now() + 1;
      while (Date.now() < until) {} // a millisecond of CPU: 120 of them pass the 50 ms yield mark
      return n;
    });
    const fan = flow(async function slowFan(n: number) {
      return busy.map(Array.from({ length: n }, (_, i) => i));
    });
    const { writes, result } = await countingWrites(() => fan.with({ store }).run(120).wait());
    assert.equal(result.length, 120);
    assert.ok(writes <= 10, `${writes} writes for a fan-out of 120`);
  });

  it('a replay that reuses everything costs a read per call, not a write: reuse lines go out in groups', async () => {
    const h = many.with({ store }).run(600);
    await h.wait();
    const { writes, result } = await countingWrites(() => client.executions.replay(h.execId));
    const id = result.id;
    // The start record, a write per 256 references (or per turn), the end: far below 600.
    assert.ok(writes <= 8, `${writes} writes for 600 reused calls`);
    const journal = readLines(join(dir, 'executions', id, 'journal.jsonl'));
    assert.equal(journal.filter((r) => r.t === 'reuse').length, 600, 'every reference is on disk at the end');
  });

  it('leaves no temp files behind: runs, a replay and durable writes all rename theirs away', async () => {
    const own = join(tempDir(), '.kitaru');
    const store = createJsonFolderStore(own);
    const h = many.with({ store }).run(20);
    await h.wait();
    await new KitaruClient({ store, onWarning: () => {} }).executions.replay(h.execId);
    process.env.KITARU_FSYNC = '1';
    try {
      await pipeline.with({ store }).run(4).wait();
    } finally {
      delete process.env.KITARU_FSYNC;
    }
    // Temp files are written in .kitaru/tmp/ (or beside their target): look everywhere.
    const files = (readdirSync(own, { recursive: true }) as string[]).map((f) => f.replaceAll('\\', '/'));
    assert.ok(files.includes('tmp'), 'the temp folder is there');
    assert.equal(files.filter((f) => f.endsWith('journal.jsonl')).length, 3, 'three executions written');
    assert.deepEqual(
      files.filter((f) => f.startsWith('tmp/') || f.endsWith('.tmp')),
      [],
    );
  });

  it('writes atomically: a write that fails before its rename leaves the old content and no temp file', () => {
    for (const where of ['in a temp folder', 'beside the file'] as const) {
      const folder = tempDir();
      const tmp = where === 'in a temp folder' ? join(folder, 'tmp') : undefined;
      if (tmp) mkdirSync(tmp);
      const file = join(folder, 'atomic.json');
      writeFileAtomicSync(file, '{"a":1}', true, tmp);
      // The rename fails: patch node:fs and push the change to the ESM named exports.
      const original = fs.renameSync;
      fs.renameSync = () => {
        throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
      };
      syncBuiltinESMExports();
      try {
        assert.throws(() => writeFileAtomicSync(file, '{"a":2}', true, tmp), {
          name: 'KitaruStoreError',
          message: /atomic\.json: EIO/,
        });
      } finally {
        fs.renameSync = original;
        syncBuiltinESMExports();
      }
      assert.equal(readFileSync(file, 'utf8'), '{"a":1}', where);
      assert.deepEqual(readdirSync(tmp ?? folder), tmp ? [] : ['atomic.json'], where);
      writeFileAtomicSync(file, '{"a":2}', true, tmp);
      assert.equal(readFileSync(file, 'utf8'), '{"a":2}', where);
    }
  });

  it('group commit: a fan-out of 200 calls is a few writes, and with KITARU_FSYNC=1 as few fdatasyncs', async () => {
    // Count the calls: patch node:fs and push the change to the ESM named exports.
    const counts = { writes: 0, datasyncs: 0, fsyncs: 0 };
    const { writeSync, fdatasyncSync, fsyncSync } = fs;
    fs.writeSync = ((...a: Parameters<typeof writeSync>) => {
      counts.writes++;
      return writeSync(...a);
    }) as typeof writeSync;
    fs.fdatasyncSync = (fd: number) => {
      counts.datasyncs++;
      fdatasyncSync(fd);
    };
    fs.fsyncSync = (fd: number) => {
      counts.fsyncs++;
      fsyncSync(fd);
    };
    syncBuiltinESMExports();
    const fan = flow(async function fan(n: number) {
      return double.map(Array.from({ length: n }, (_, i) => i));
    });
    try {
      await fan.with({ store }).run(200).wait();
      assert.ok(counts.writes <= 6, `200 calls without fsync took ${counts.writes} writes`);
      assert.deepEqual([counts.datasyncs, counts.fsyncs], [0, 0], 'no fsync without KITARU_FSYNC=1');
      process.env.KITARU_FSYNC = '1';
      Object.assign(counts, { writes: 0, datasyncs: 0, fsyncs: 0 });
      assert.equal((await fan.with({ store }).run(200).wait()).length, 200);
      assert.ok(counts.writes <= 6, `200 calls took ${counts.writes} writes`);
      assert.ok(counts.datasyncs >= 2 && counts.datasyncs <= 6, `${counts.datasyncs} fdatasyncs`);
      // The new folder and its parent when the journal is created, execution.json and its folder.
      assert.ok(counts.fsyncs >= 4, `${counts.fsyncs} fsyncs`);
      Object.assign(counts, { writes: 0, datasyncs: 0, fsyncs: 0 });
      await pipeline.with({ store }).run(5).wait();
      assert.equal(counts.datasyncs, 3, 'sequential calls: the start record, then one per call');
    } finally {
      delete process.env.KITARU_FSYNC;
      Object.assign(fs, { writeSync, fdatasyncSync, fsyncSync });
      syncBuiltinESMExports();
    }
  });
});

describe('corrupt and foreign files', () => {
  it('a truncated execution.json is a KitaruStoreError naming the file, and list shows the others', async () => {
    const good = pipeline.with({ store }).run(1);
    await good.wait();
    const bad = pipeline.with({ store }).run(2);
    await bad.wait();
    const file = join(dir, 'executions', bad.execId, 'execution.json');
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 40));
    await assert.rejects(client.executions.get(bad.execId), {
      name: 'KitaruStoreError',
      message: new RegExp(`${bad.execId}/execution\\.json: not valid JSON`),
    });
    const warnings: string[] = [];
    const list = await new KitaruClient({ store, onWarning: (m) => warnings.push(m) }).executions.list();
    assert.ok(list.some((e) => e.id === good.execId));
    assert.ok(!list.some((e) => e.id === bad.execId));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /execution\.json/);
  });

  it('a torn last journal line is ignored; a bad line before it is a KitaruStoreError naming the line', async () => {
    const h = many.with({ store }).run(3);
    await h.wait();
    const file = join(dir, 'executions', h.execId, 'journal.jsonl');
    const whole = readFileSync(file, 'utf8');
    const outputs = async () => (await client.executions.get(h.execId)).checkpoints.map((c) => c.output);
    writeFileSync(file, `${whole}{"seq":3,"id":"double_4","t":"ca`);
    assert.deepEqual(await outputs(), [0, 2, 4], 'no newline at the end: torn');
    writeFileSync(file, `${whole}{"seq":3, not json\n`);
    assert.deepEqual(await outputs(), [0, 2, 4], 'a last line that is not JSON: torn');
    const lines = whole.split('\n');
    lines[2] = '{"seq":1, garbled';
    writeFileSync(file, lines.join('\n'));
    await assert.rejects(client.executions.get(h.execId), {
      name: 'KitaruStoreError',
      message: new RegExp(`${h.execId}/journal\\.jsonl: line 3 is not valid JSON`),
    });
    lines[2] = '{"seq":1,"t":"wait-for-it"}';
    writeFileSync(file, lines.join('\n'));
    await assert.rejects(client.executions.get(h.execId), { message: /line 3 has an unknown record type/ });
  });

  it('a journal without its start record (a crash at creation) is named; list shows the others', async () => {
    const good = pipeline.with({ store }).run(1);
    await good.wait();
    const id = '01zzzzzzzzzzzzzzzzzzzz'; // no run makes this id: newest of all
    mkdirSync(join(dir, 'executions', id));
    writeFileSync(join(dir, 'executions', id, 'journal.jsonl'), '');
    // Just created, it is not an execution yet; a while later, it was cut off as it was created.
    assert.deepEqual(
      (await client.executions.list()).filter((e) => e.id === id),
      [],
    );
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'executions', id, 'journal.jsonl'), past, past);
    await assert.rejects(client.executions.get(id), { name: 'KitaruStoreError', message: /no start record/ });
    const warnings: string[] = [];
    const list = await new KitaruClient({ store, onWarning: (m) => warnings.push(m) }).executions.list();
    assert.ok(list.some((e) => e.id === good.execId));
    assert.ok(warnings.some((w) => w.includes(id) && /no start record/.test(w)));
    rmSync(join(dir, 'executions', id), { recursive: true });
  });

  it('a call file with a wrong field deep inside says which field, and what it should be', async () => {
    // Call files are format 1: a copy of the fixture store written by kitaru 0.1.
    const copy = join(tempDir(), '.kitaru');
    cpSync(fileURLToPath(new URL('../fixtures/format1/store', import.meta.url)), copy, { recursive: true });
    const id = '01m8paqxzr0g4kkpz5m9sr';
    const file = join(copy, 'executions', id, 'checkpoints', '000001-fetchTopic_2.json');
    const call = JSON.parse(readFileSync(file, 'utf8'));
    call.attempts[0].status = 'exploded';
    delete call.inputHash;
    writeFileSync(file, JSON.stringify(call));
    await assert.rejects(new KitaruClient({ store: createJsonFolderStore(copy) }).executions.get(id), {
      name: 'KitaruStoreError',
      message:
        /000001-fetchTopic_2\.json: missing inputHash; attempts\[0\]\.status is "exploded", expected \("completed" \| "failed"\)\./,
    });
  });

  it('a document from a newer kitaru says so', async () => {
    const h = pipeline.with({ store }).run(8);
    await h.wait();
    const file = join(dir, 'executions', h.execId, 'execution.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...doc, schemaVersion: 99 }));
    await assert.rejects(client.executions.get(h.execId), { name: 'KitaruStoreError', message: /newer/ });
  });
});

describe('crashed executions', () => {
  it('a running record whose pid is gone on this host reads as crashed; another host stays running', async () => {
    const h = pipeline.with({ store }).run(9);
    await h.wait();
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    const file = join(dir, 'executions', h.execId, 'execution.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...doc, status: 'running', endedAt: null, pid: Number(dead) }));
    assert.equal((await client.executions.get(h.execId)).status, 'crashed');
    const crashed = await client.executions.list({ status: 'crashed' });
    assert.deepEqual(
      crashed.map((e) => e.id),
      [h.execId],
    );
    writeFileSync(
      file,
      JSON.stringify({ ...doc, status: 'running', endedAt: null, pid: 1, host: 'elsewhere' }),
    );
    const ex = await client.executions.get(h.execId);
    assert.equal(ex.status, 'running');
    assert.equal(ex.host, 'elsewhere');
    await assert.rejects(client.executions.replay(h.execId), {
      name: 'KitaruStateError',
      message: /running/,
    });
  });
});

describe('finding the store', () => {
  it('uses --dir, then KITARU_DIR, then the nearest .kitaru upwards, then ./.kitaru', () => {
    const base = tempDir();
    const deep = join(base, 'a', 'b');
    mkdirSync(deep, { recursive: true });
    const saved = process.env.KITARU_DIR;
    delete process.env.KITARU_DIR;
    try {
      assert.equal(locateStoreDir(undefined, deep), join(deep, '.kitaru'));
      mkdirSync(join(base, '.kitaru'));
      assert.equal(locateStoreDir(undefined, deep), join(base, '.kitaru'));
      process.env.KITARU_DIR = 'env-store';
      assert.equal(locateStoreDir(undefined, deep), join(deep, 'env-store'));
      assert.equal(locateStoreDir('given', deep), join(deep, 'given'));
    } finally {
      if (saved === undefined) delete process.env.KITARU_DIR;
      else process.env.KITARU_DIR = saved;
    }
  });

  it('reads a folder that does not exist yet as an empty store', async () => {
    const empty = new KitaruClient({ dir: join(tempDir(), 'nothing-here') });
    assert.deepEqual(await empty.executions.list(), []);
    await assert.rejects(empty.executions.get('01abc'), { name: 'KitaruNotFoundError' });
  });
});

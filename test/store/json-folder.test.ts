import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs, { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkpoint, createJsonFolderStore, flow, KitaruClient } from '../../src/index.js';
import { writeFileAtomicSync } from '../../src/store/atomic-write.js';
import { locateStoreDir } from '../../src/store/locate.js';
import { tempDir } from '../helpers.js';

const root = tempDir();
const dir = join(root, '.kitaru');
process.env.KITARU_DIR = dir;
const client = new KitaruClient({ onWarning: () => {} });

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

describe('the .kitaru folder', () => {
  it('holds execution.json and one readable file per call, named <seq>-<call-id>.json', async () => {
    const h = pipeline.run(3);
    await h.wait();
    const execDir = join(dir, 'executions', h.execId);
    assert.deepEqual(readdirSync(join(execDir, 'checkpoints')), [
      '000000-double.json',
      '000001-double_2.json',
    ]);
    const doc = JSON.parse(readFileSync(join(execDir, 'execution.json'), 'utf8'));
    assert.equal(doc.schemaVersion, 1);
    assert.equal(doc.status, 'completed');
    assert.deepEqual(doc.args, [3]);
    assert.equal(doc.output, 12);
    assert.equal(doc.flow.name, 'layoutFlow');
    assert.ok(!isAbsolute(doc.flow.file), 'the flow file is relative to the folder holding .kitaru');
    assert.equal(resolve(root, doc.flow.file), fileURLToPath(import.meta.url));
    assert.equal(typeof doc.flow.sourceHash, 'string');
    assert.equal(doc.pid, process.pid);
    const call = JSON.parse(readFileSync(join(execDir, 'checkpoints', '000001-double_2.json'), 'utf8'));
    assert.equal(call.schemaVersion, 1);
    assert.deepEqual([call.id, call.input, call.output, call.attempts.length], ['double_2', [6], 12, 1]);
    assert.equal(typeof call.inputHash, 'string');
    assert.ok(!existsSync(join(execDir, 'calls.jsonl')), 'a small execution has no index');
  });

  it('gathers the calls of a larger execution in calls.jsonl when it ends', async () => {
    const h = many.run(20);
    await h.wait();
    const execDir = join(dir, 'executions', h.execId);
    const index = readLines(join(execDir, 'calls.jsonl'));
    assert.deepEqual(index.pop(), { end: true, count: 20 }, 'a closing line says how many calls it holds');
    assert.equal(index.length, 20);
    assert.deepEqual(
      index.slice(0, 2).map((c) => [c.seq, c.id, c.output]),
      [
        [0, 'double', 0],
        [1, 'double_2', 2],
      ],
    );
    assert.deepEqual(
      index[5],
      JSON.parse(readFileSync(join(execDir, 'checkpoints', '000005-double_6.json'), 'utf8')),
    );
  });

  it('keeps a fully reused replay by reference: no call file written', async () => {
    const h = many.run(20);
    await h.wait();
    const ex = await client.executions.replay(h.execId);
    const execDir = join(dir, 'executions', ex.id);
    assert.deepEqual(readdirSync(join(execDir, 'checkpoints')), []);
    assert.equal(readLines(join(execDir, 'reused.jsonl')).length, 20);
    const index = readLines(join(execDir, 'calls.jsonl'));
    assert.deepEqual(
      index.slice(0, 2).map((e) => [e.ref, e.sourceExecId, e.sourceSeq]),
      [
        [true, h.execId, 0],
        [true, h.execId, 1],
      ],
    );
    assert.deepEqual(
      ex.checkpoints.map((c) => c.output),
      Array.from({ length: 20 }, (_, i) => i * 2),
    );
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
    assert.equal(files.filter((f) => f.endsWith('execution.json')).length, 3, 'three executions written');
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

  it('fsyncs every file and its folder with KITARU_FSYNC=1, and nothing without', async () => {
    // Count fsync calls: patch node:fs and push the change to the ESM named exports.
    const original = fs.fsyncSync;
    let fsyncs = 0;
    fs.fsyncSync = (fd: number) => {
      fsyncs++;
      original(fd);
    };
    syncBuiltinESMExports();
    try {
      await pipeline.run(5).wait();
      assert.equal(fsyncs, 0);
      process.env.KITARU_FSYNC = '1';
      const h = pipeline.run(5);
      assert.equal(await h.wait(), 20);
      // execution.json twice (start, end) and two call files: each the file and its folder.
      assert.ok(fsyncs >= 8, `expected at least 8 fsyncs, saw ${fsyncs}`);
    } finally {
      delete process.env.KITARU_FSYNC;
      fs.fsyncSync = original;
      syncBuiltinESMExports();
    }
  });
});

describe('corrupt and foreign files', () => {
  it('a truncated execution.json is a KitaruStoreError naming the file, and list shows the others', async () => {
    const good = pipeline.run(1);
    await good.wait();
    const bad = pipeline.run(2);
    await bad.wait();
    const file = join(dir, 'executions', bad.execId, 'execution.json');
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 40));
    await assert.rejects(client.executions.get(bad.execId), {
      name: 'KitaruStoreError',
      message: new RegExp(`${bad.execId}/execution\\.json: not valid JSON`),
    });
    const warnings: string[] = [];
    const list = await new KitaruClient({ onWarning: (m) => warnings.push(m) }).executions.list();
    assert.ok(list.some((e) => e.id === good.execId));
    assert.ok(!list.some((e) => e.id === bad.execId));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /execution\.json/);
  });

  it('a corrupt call file is a KitaruStoreError naming it when the calls are read from their files', async () => {
    const h = many.run(16);
    await h.wait();
    const execDir = join(dir, 'executions', h.execId);
    // A corrupt calls.jsonl is never trusted: the call files are read instead, and they are fine.
    writeFileSync(join(execDir, 'calls.jsonl'), '{"seq": 0, "id": "double", trunc');
    assert.deepEqual(
      (await client.executions.get(h.execId)).checkpoints.map((c) => c.output),
      Array.from({ length: 16 }, (_, i) => i * 2),
    );
    // Without the index (as after a crash), a corrupt call file is reported by name.
    rmSync(join(execDir, 'calls.jsonl'));
    writeFileSync(join(execDir, 'checkpoints', '000000-double.json'), '{"schemaVersion": 1, "id": 3}');
    await assert.rejects(client.executions.get(h.execId), {
      name: 'KitaruStoreError',
      message: /000000-double\.json/,
    });
  });

  it('a call file with a wrong field deep inside says which field, and what it should be', async () => {
    const h = many.run(3);
    await h.wait();
    const file = join(dir, 'executions', h.execId, 'checkpoints', '000001-double_2.json');
    const call = JSON.parse(readFileSync(file, 'utf8'));
    call.attempts[0].status = 'exploded';
    delete call.inputHash;
    writeFileSync(file, JSON.stringify(call));
    await assert.rejects(client.executions.get(h.execId), {
      name: 'KitaruStoreError',
      message:
        /000001-double_2\.json: missing inputHash; attempts\[0\]\.status is "exploded", expected \("completed" \| "failed"\)\./,
    });
  });

  it('a document from a newer kitaru says so', async () => {
    const h = pipeline.run(8);
    await h.wait();
    const file = join(dir, 'executions', h.execId, 'execution.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...doc, schemaVersion: 99 }));
    await assert.rejects(client.executions.get(h.execId), { name: 'KitaruStoreError', message: /newer/ });
  });
});

describe('crashed executions', () => {
  it('a running record whose pid is gone on this host reads as crashed; another host stays running', async () => {
    const h = pipeline.run(9);
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
      process.env.KITARU_DIR = saved;
    }
  });

  it('reads a folder that does not exist yet as an empty store', async () => {
    const empty = new KitaruClient({ dir: join(tempDir(), 'nothing-here') });
    assert.deepEqual(await empty.executions.list(), []);
    await assert.rejects(empty.executions.get('01abc'), { name: 'KitaruNotFoundError' });
  });
});

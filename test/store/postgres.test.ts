import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import type { Json } from '../../src/serialization.js';
import { createPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { MIGRATIONS, migrate, PG_SCHEMA_VERSION } from '../../src/store/postgres/schema.js';
import type { CallRecord, ExecutionRecord } from '../../src/store/types.js';
import { startPostgres } from '../pg-cluster.js';
import { generatedId, storeContract } from './contract.js';
import { retentionSuite } from './retention-suite.js';

const url = await startPostgres();
const stores: { close(): Promise<void> }[] = [];
after(() => Promise.all(stores.map((s) => s.close())));

storeContract('postgres', () => {
  const store = createPostgresStore(url);
  stores.push(store);
  return store;
});

let databases = 0;
retentionSuite('postgres', async () => {
  // gc sees every execution of its store: each test gets a database of its own.
  const name = `retention_${++databases}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const store = createPostgresStore(url.replace(/\/postgres$/, `/${name}`));
  stores.push(store);
  return store;
});

function execution(id: string, args: Json): ExecutionRecord {
  return {
    schemaVersion: 1,
    id,
    flow: { name: 'f', file: null, sourceHash: null },
    status: 'running',
    args,
    output: null,
    error: null,
    originalExecId: null,
    replay: null,
    pid: 1,
    host: 'h',
    createdAt: new Date().toISOString(),
    endedAt: null,
    flowAttempts: 1,
  };
}

/** A call record of call `c_<seq>` (seq 0 is `a`), for the write tests. */
function callRecord(seq: number, status: 'completed' | 'failed', output: number): CallRecord {
  return {
    schemaVersion: 1,
    seq,
    id: seq === 0 ? 'a' : `c_${seq}`,
    name: 'c',
    type: null,
    status,
    origin: 'executed',
    reason: 'new',
    sourceExecId: null,
    sourceSeq: null,
    inputHash: 'h',
    input: [seq],
    output,
    attempts: [],
  };
}

describe('the postgres store', () => {
  it('orders the executions of a database made by an older kitaru by creation time once migrated', async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('create database older_store');
    await admin.end();
    const older = url.replace(/\/postgres$/, '/older_store');
    const client = new pg.Client({ connectionString: older });
    await client.connect();
    const base = Date.parse('2026-03-01T10:00:00.000Z');
    const made = ['zzz-1', generatedId(base + 1000), 'aaa-2', generatedId(base + 3000)];
    try {
      await migrate(client, 'kitaru_schema', MIGRATIONS.slice(0, 3)); // the schema of version 3
      for (const [i, id] of made.entries()) {
        const doc = { ...execution(id, []), createdAt: new Date(base + i * 1000).toISOString() };
        await client.query('insert into kitaru_executions (id, doc) values ($1, $2)', [
          id,
          JSON.stringify(doc),
        ]);
      }
    } finally {
      await client.end();
    }
    const s = createPostgresStore(older);
    stores.push(s);
    const ids = async (limit?: number) => (await s.listExecutions({ limit })).executions.map((e) => e.id);
    assert.deepEqual(await ids(), made.slice().reverse());
    assert.deepEqual(await ids(2), made.slice(2).reverse());
  });

  it('creates its schema once, versioned, even when several stores start at once', async () => {
    const many = Array.from({ length: 4 }, () => createPostgresStore(url));
    stores.push(...many);
    await Promise.all(many.map((s) => s.listExecutions()));
    const client = new pg.Client(url);
    await client.connect();
    try {
      const { rows } = await client.query('select version from kitaru_schema');
      assert.deepEqual(rows, [{ version: PG_SCHEMA_VERSION }]);
      assert.equal(PG_SCHEMA_VERSION, 4);
    } finally {
      await client.end();
    }
  });

  it('keeps the first completed record of a call when a later write races it', async () => {
    const s = createPostgresStore(url);
    stores.push(s);
    const rec = (status: 'completed' | 'failed', output: number) => callRecord(0, status, output);
    await s.createExecution(execution('race0001', []));
    await s.writeCall('race0001', rec('failed', 0));
    await s.writeCall('race0001', rec('completed', 1));
    await s.writeCall('race0001', rec('completed', 2));
    await s.writeCall('race0001', rec('failed', 3));
    const calls = await s.getCalls('race0001');
    assert.deepEqual(
      calls.map((c) => [c.status, c.output]),
      [['completed', 1]],
    );
  });

  it('writes calls that end together in one statement, with the same first-completed rule', async () => {
    const s = createPostgresStore(url);
    stores.push(s);
    const rec = (seq: number, status: 'completed' | 'failed', output: number) =>
      callRecord(seq, status, output);
    await s.createExecution(execution('batch001', []));
    // Not awaited one by one: all but the first wait behind it and go out as one batch.
    const writes = Array.from({ length: 300 }, (_, i) => s.writeCall('batch001', rec(i, 'completed', i * 2)));
    writes.push(s.writeCall('batch001', rec(7, 'failed', -1))); // the same call again, in the batch
    writes.push(s.writeCall('batch001', rec(8, 'completed', -2)));
    await Promise.all(writes);
    const calls = await s.getCalls('batch001');
    assert.equal(calls.length, 300);
    assert.deepEqual(
      calls.map((c) => c.output),
      Array.from({ length: 300 }, (_, i) => i * 2),
      'every call once, in order, the first completed record kept',
    );
  });

  it('keeps the key order of stored values', async () => {
    const s = createPostgresStore(url);
    stores.push(s);
    await s.createExecution(execution('order001', [{ zebra: 1, apple: 2, mango: { b: 1, a: 2 } }]));
    await s.updateExecution('order001', { status: 'completed', output: { z: 1, a: 2 } });
    const doc = await s.getExecution('order001');
    assert.equal(JSON.stringify(doc.args), '[{"zebra":1,"apple":2,"mango":{"b":1,"a":2}}]');
    assert.equal(JSON.stringify(doc.output), '{"z":1,"a":2}');
  });
});

describe('the database under the store, as the queue uses it', () => {
  it('gives the queue its own tables and version row, beside the store', async () => {
    const { queueDatabase } = await import('../../src/queue/submit.js');
    const store = createPostgresStore(url);
    stores.push(store);
    const db = await queueDatabase(store, 'the test');
    const { rows } = await db.query<{ version: number }>('read', 'select version from kitaru_queue_schema');
    assert.deepEqual(rows, [{ version: 3 }]);
    const tables = await db.query<{ n: number }>(
      'tables',
      "select count(*)::int as n from information_schema.tables where table_name in ('kitaru_leases', 'kitaru_inflight', 'kitaru_cancels', 'kitaru_workers')",
    );
    assert.equal(tables.rows[0]?.n, 4);
    // Opening it again (another worker) changes nothing.
    await queueDatabase(createPostgresStore(url), 'the test');
  });

  it('runs store writes and its own statements in one transaction: all or nothing', async () => {
    const store = createPostgresStore(url);
    stores.push(store);
    assert.ok(store.database, 'a Postgres store lives in a database');
    const db = await store.database();
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.createExecution(execution('tx-rolled-back', []));
        await tx.query('fail', 'select 1/0');
      }),
      { name: 'KitaruStoreError', message: /division by zero/ },
    );
    await assert.rejects(store.getExecution('tx-rolled-back'), { name: 'KitaruNotFoundError' });
    await db.transaction(async (tx) => {
      await tx.createExecution(execution('tx-committed', []));
      await tx.updateExecution('tx-committed', { status: 'queued' });
    });
    assert.equal((await store.getExecution('tx-committed')).status, 'queued');
  });

  it('a folder or memory store offers no database: queue mode says it needs Postgres', async () => {
    const { queueDatabase } = await import('../../src/queue/submit.js');
    const { createMemoryStore } = await import('../../src/store/memory-store.js');
    await assert.rejects(queueDatabase(createMemoryStore(), '--queue'), {
      name: 'KitaruUsageError',
      message: /--queue needs a Postgres store/,
    });
  });
});

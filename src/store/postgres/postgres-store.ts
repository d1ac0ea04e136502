import type pg from 'pg';
import { KitaruNotFoundError, KitaruStoreError } from '../../errors.js';
import { creationMs } from '../creation-order.js';
import type { Database, Query, Transaction } from '../database.js';
import { projectRoot } from '../project-root.js';
import type { Store } from '../store.js';
import type { CallRecord, ExecutionRecord, ExecutionSummaryRecord, InputRecord, LogEntry } from '../types.js';
import { loadPeer } from './load-peer.js';
import { redact } from './redact.js';
import { MIGRATIONS, migrate } from './schema.js';

/** `pg.Client` keeps its socket from holding the process open with `unref()` (not in its types). */
type Client = pg.Client & { ref(): void; unref(): void };

/**
 * A Store on PostgreSQL, for many processes and machines: the same records as the JSON-folder
 * store (same encoding), one row per execution and per call. One round trip per checkpoint; a
 * completed call is never overwritten (the first completed record wins).
 */
/** The first key of the advisory locks that claim resumes (the second is the execution's). */
const RESUME_LOCKS = 7402118;
/** The channel that `updateExecution` notifies, with the execution's id, when a status is written. */
const CHANGES = 'kitaru_execution_status';

export function createPostgresStore(url: string): Store & { close(): Promise<void> } {
  let client: Client | undefined;
  /** Executions this process has claimed to resume (advisory locks are per session, re-entrant). */
  const claimed = new Set<string>();
  let ready: Promise<Client> | undefined;

  const fail = (what: string, err: unknown): never => {
    if ((err as { name?: string }).name?.startsWith('Kitaru')) throw err;
    throw new KitaruStoreError(`postgres store ${redact(url)}: ${what}: ${(err as Error).message}`, {
      cause: err,
    });
  };

  // One statement at a time on the connection, in call order (the driver no longer wants to queue
  // them itself); call writes that wait their turn go out together as one statement.
  let tail: Promise<unknown> = Promise.resolve();
  function serially<T>(task: () => Promise<T>): Promise<T> {
    const run = tail.then(task, task);
    tail = run.catch(() => {});
    return run;
  }

  function query<R extends pg.QueryResultRow>(what: string, text: string, values: unknown[] = []) {
    return serially(() => send<R>(what, text, values));
  }

  /**
   * The store's one connection, opened (and the store's tables migrated) on first use: a
   * checkpoint costs one round trip on it, with no pool to check out from.
   */
  function connection(): Promise<Client> {
    ready ??= (async () => {
      const { default: driver } = await loadPeer('pg');
      const c = new driver.Client({ connectionString: url }) as Client;
      c.on('error', () => {
        ready = undefined; // a lost connection is opened again on next use
        if (client === c) client = undefined;
      });
      c.on('notification', (m) => {
        if (m.channel === CHANGES && m.payload) wake(m.payload);
      });
      await c.connect();
      await migrate(c, 'kitaru_schema', MIGRATIONS);
      // An idle connection must not keep a finished process alive; one with a query in flight must.
      c.unref();
      client = c;
      return c;
    })();
    ready.catch(() => {
      ready = undefined;
    });
    return ready;
  }

  let active = 0;
  /** Runs `fn` on the connection, which holds the process open meanwhile. */
  async function holding<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const c = await connection();
    if (active++ === 0) c.ref();
    try {
      return await fn(c);
    } finally {
      if (--active === 0) c.unref();
    }
  }

  async function send<R extends pg.QueryResultRow>(what: string, text: string, values: unknown[] = []) {
    try {
      // Named: each connection parses and plans a statement once, not on every checkpoint.
      return await holding((c) => c.query<R>({ name: `kitaru ${what}`, text, values }));
    } catch (err) {
      return fail(what, err);
    }
  }

  interface CallRow {
    execId: string;
    seq: number;
    completed: boolean;
    doc: string;
  }
  let waiting: CallRow[] = [];
  let flushing: Promise<void> | undefined;

  /** Writes every call waiting: one row as one statement, several (calls that ended together) as one. */
  async function flushWrites(): Promise<void> {
    const rows = waiting;
    waiting = [];
    flushing = undefined;
    const upsert = `on conflict (exec_id, seq) do update set completed = excluded.completed, doc = excluded.doc
       where not kitaru_calls.completed`;
    if (rows.length === 1) {
      const r = rows[0] as CallRow;
      await send(
        'write call',
        `insert into kitaru_calls (exec_id, seq, completed, doc) values ($1, $2, $3, $4) ${upsert}`,
        [r.execId, r.seq, r.completed, r.doc],
      );
      return;
    }
    // One row per call in a statement: a later write of a call replaces an earlier one, unless the
    // earlier one completed (the first completed record wins, as between statements).
    const byCall = new Map<string, CallRow>();
    for (const r of rows) {
      const key = `${r.execId}\0${r.seq}`;
      if (!byCall.get(key)?.completed) byCall.set(key, r);
    }
    const batch = [...byCall.values()];
    await send(
      'write calls',
      `insert into kitaru_calls (exec_id, seq, completed, doc)
       select * from unnest($1::text[], $2::integer[], $3::boolean[], $4::json[]) ${upsert}`,
      [
        batch.map((r) => r.execId),
        batch.map((r) => r.seq),
        batch.map((r) => r.completed),
        batch.map((r) => r.doc),
      ],
    );
  }

  type Send = <R extends pg.QueryResultRow>(
    what: string,
    text: string,
    values?: unknown[],
  ) => Promise<pg.QueryResult<R>>;

  async function getDoc(id: string, on: Send = query): Promise<ExecutionRecord> {
    const { rows } = await on<{ doc: ExecutionRecord }>(
      'read execution',
      'select doc from kitaru_executions where id = $1',
      [id],
    );
    const doc = rows[0]?.doc;
    if (!doc)
      throw new KitaruNotFoundError(
        `no execution ${id} in ${redact(url)}. List executions with \`kitaru list\`.`,
      );
    return doc;
  }

  /** The documents of an execution's rows (calls or logs); `KitaruNotFoundError` for an unknown id. */
  async function docsOf<T>(id: string, what: string, sql: string): Promise<T[]> {
    await getDoc(id);
    const { rows } = await query<{ doc: T }>(what, sql, [id]);
    return rows.map((r) => r.doc);
  }

  /** Execution documents with their call counts, newest first: all of them, or the newest `limit`. */
  async function newestRows(limit: number | undefined) {
    const select = `select e.doc, (select count(*) from kitaru_calls c where c.exec_id = e.id) as calls
         from kitaru_executions e order by e.created_ms desc, e.id desc`;
    type Row = { doc: ExecutionRecord; calls: string };
    const { rows } =
      limit === undefined
        ? await query<Row>('list executions', select)
        : await query<Row>('list newest executions', `${select} limit $1`, [limit]);
    return rows;
  }

  async function createOn(on: Send, record: ExecutionRecord): Promise<boolean> {
    // The primary key decides between creators of one id: the others insert nothing.
    const { rows } = await on(
      'create execution',
      `insert into kitaru_executions (id, doc, created_ms) values ($1, $2, $3)
       on conflict (id) do nothing returning id`,
      [record.id, JSON.stringify(record), creationMs(record.id, record.createdAt)],
    );
    return rows.length > 0;
  }

  async function updateOn(on: Send, id: string, patch: Partial<ExecutionRecord>): Promise<void> {
    // Merged in JS (not with jsonb ||), so nested values keep their key order.
    const doc = Object.assign({}, await getDoc(id, on), patch);
    const values = [id, JSON.stringify(doc)];
    if (patch.status === undefined) {
      await on('update execution', 'update kitaru_executions set doc = $2 where id = $1', values);
      return;
    }
    // A new status is announced in the same statement (so the same transaction) that writes it:
    // waiters hear of it exactly when it is committed.
    await on(
      'update execution status',
      `with u as (update kitaru_executions set doc = $2 where id = $1 returning id)
       select pg_notify('${CHANGES}', id) from u`,
      values,
    );
  }

  /** One transaction, in turn with every other statement: inside it, statements go straight out. */
  function transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return serially(() =>
      holding(async (c) => {
        // Every statement on the one connection the transaction began on: if it is lost midway,
        // the rest fails instead of running outside the transaction on a new one.
        const on: Send = async <R extends pg.QueryResultRow>(
          what: string,
          text: string,
          values: unknown[] = [],
        ) => {
          if (client !== c)
            throw new KitaruStoreError(
              `postgres store ${redact(url)}: ${what}: the connection was lost mid-transaction`,
            );
          try {
            return await c.query<R>({ name: `kitaru ${what}`, text, values });
          } catch (err) {
            return fail(what, err);
          }
        };
        await on('begin', 'begin');
        try {
          const out = await fn({
            query: on as Query,
            createExecution: (record) => createOn(on, record),
            updateExecution: (id, patch) => updateOn(on, id, patch),
          });
          await on('commit', 'commit');
          return out;
        } catch (err) {
          await c.query('rollback').catch(() => {});
          throw err;
        }
      }),
    );
  }

  /** Who waits for a change of each execution (`changed`), and the connection that LISTENs. */
  const waiters = new Map<string, Set<() => void>>();
  let listeningOn: Client | undefined;

  function wake(id: string): void {
    const set = waiters.get(id);
    waiters.delete(id);
    for (const w of set ?? []) w();
  }

  /** LISTENs on the store's connection, once per connection; queued before any later statement. */
  function listen(): void {
    if (client && listeningOn === client) return;
    serially(() =>
      holding(async (c) => {
        if (listeningOn === c) return;
        await c.query(`listen ${CHANGES}`);
        listeningOn = c;
      }),
    ).catch(() => {}); // no LISTEN: waiters fall back on their timers
  }

  function changed(id: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = waiters.get(id);
      if (!set) waiters.set(id, (set = new Set()));
      const w = () => {
        clearTimeout(timer);
        set.delete(w);
        resolve();
      };
      const timer = setTimeout(w, ms);
      set.add(w);
      listen();
    });
  }

  const database: Database = {
    url,
    query: query as Query,
    transaction,
    async migrate(versionTable, migrations) {
      await serially(async () => {
        try {
          await holding((c) => migrate(c, versionTable, migrations));
        } catch (err) {
          fail(`migrate ${versionTable}`, err);
        }
      });
    },
  };

  return {
    location: redact(url),
    flowFileRoot: (near) => projectRoot(near),
    database: async () => {
      try {
        await connection();
      } catch (err) {
        fail('connect', err);
      }
      return database;
    },

    createExecution: (record) => createOn(query, record),
    changed,
    async updateExecution(id, patch) {
      await updateOn(query, id, patch);
      if (claimed.has(id) && (patch.endedAt || patch.status === 'waiting')) {
        claimed.delete(id);
        await query('release resume', `select pg_advisory_unlock(${RESUME_LOCKS}, hashtext($1))`, [id]);
      }
    },

    writeCall(execId, record) {
      const doc = record.origin === 'reused' ? { ...record, attempts: [] } : record;
      // Serialized now: the record may change once this returns.
      waiting.push({
        execId,
        seq: record.seq,
        completed: record.status === 'completed',
        doc: JSON.stringify(doc),
      });
      flushing ??= serially(flushWrites);
      return flushing;
    },

    async appendLogs(execId, entries) {
      if (entries.length === 0) return;
      await query(
        'append logs',
        'insert into kitaru_logs (exec_id, doc) select $1, value from json_array_elements($2::json)',
        [execId, JSON.stringify(entries)],
      );
    },

    async getExecution(id) {
      return getDoc(id);
    },

    getCalls: (id) =>
      docsOf<CallRecord>(id, 'read calls', 'select doc from kitaru_calls where exec_id = $1 order by seq'),

    readLogs: (id) =>
      docsOf<LogEntry>(id, 'read logs', 'select doc from kitaru_logs where exec_id = $1 order by n'),

    async listExecutions(options = {}) {
      const executions: ExecutionSummaryRecord[] = [];
      // Without a filter, the limit goes to the database (the newest n rows, n counts).
      const limit = options.accept === undefined ? options.limit : undefined;
      const rows = await newestRows(limit);
      const accept = options.accept ?? (() => true);
      const max = options.limit ?? Number.POSITIVE_INFINITY;
      for (const { doc, calls } of rows) {
        if (executions.length >= max) break;
        if (accept(doc)) executions.push({ ...doc, checkpointCount: Number(calls) });
      }
      return { executions, errors: [] };
    },

    async addInput(execId, input) {
      await getDoc(execId);
      const added = await query(
        'add input',
        `insert into kitaru_inputs (exec_id, wait_id, doc) values ($1, $2, $3)
         on conflict (exec_id, wait_id) do nothing returning wait_id`,
        [execId, input.waitId, JSON.stringify(input)],
      );
      if (added.rows.length > 0) return null;
      // A statement of its own: it sees the row of the answer that won, committed by then.
      const { rows } = await query<{ doc: InputRecord }>(
        'read input',
        'select doc from kitaru_inputs where exec_id = $1 and wait_id = $2',
        [execId, input.waitId],
      );
      return rows[0]?.doc ?? input;
    },

    getInputs: (id) =>
      docsOf<InputRecord>(id, 'read inputs', 'select doc from kitaru_inputs where exec_id = $1'),

    async releaseResume(execId) {
      if (!claimed.delete(execId)) return;
      await query('release resume', `select pg_advisory_unlock(${RESUME_LOCKS}, hashtext($1))`, [execId]);
    },

    async claimResume(execId) {
      await getDoc(execId);
      if (claimed.has(execId)) return false;
      claimed.add(execId); // before the round trip: a second ask from this process waits for none
      try {
        // A session lock: held while this process runs the resume, let go if it dies.
        const { rows } = await query<{ ok: boolean }>(
          'claim resume',
          `select pg_try_advisory_lock(${RESUME_LOCKS}, hashtext($1)) as ok`,
          [execId],
        );
        if (rows[0]?.ok === true) return true;
      } catch (err) {
        claimed.delete(execId);
        throw err;
      }
      claimed.delete(execId);
      return false;
    },

    async dropInput(execId, waitId) {
      await query('drop input', 'delete from kitaru_inputs where exec_id = $1 and wait_id = $2', [
        execId,
        waitId,
      ]);
    },

    async deleteExecution(id) {
      // One statement, so one transaction: the calls, logs and answers go with the row (their
      // foreign keys cascade), and so do the queue's lease and attempts in flight.
      const { rowCount } = await query('delete execution', 'delete from kitaru_executions where id = $1', [
        id,
      ]);
      if (rowCount !== 1) {
        throw new KitaruNotFoundError(
          `no execution ${id} in ${redact(url)} to delete. List executions with \`kitaru list\`.`,
        );
      }
    },

    async reusedSources(id) {
      await getDoc(id);
      const { rows } = await query<{ source: string }>(
        'read reused sources',
        `select distinct doc->>'sourceExecId' as source from kitaru_calls
         where exec_id = $1 and doc->>'origin' = 'reused' and doc->>'sourceExecId' is not null`,
        [id],
      );
      return rows.map((r) => r.source);
    },

    async resolveId(prefix) {
      const { rows } = await query<{ id: string }>(
        'find execution',
        "select id from kitaru_executions where id = $1 or id like $2 || '%' order by id = $1 desc, id limit 6",
        [prefix, prefix.replace(/[\\%_]/g, '\\$&')],
      );
      const exact = rows.find((r) => r.id === prefix);
      if (exact) return exact.id;
      if (rows.length === 1) return (rows[0] as { id: string }).id;
      if (rows.length === 0) {
        throw new KitaruNotFoundError(
          `no execution matches "${prefix}" in ${redact(url)}. List executions with \`kitaru list\`.`,
        );
      }
      throw new KitaruNotFoundError(
        `"${prefix}" is ambiguous: it matches ${rows.length > 5 ? 'more than 5' : rows.length} executions ` +
          `(${rows
            .slice(0, 5)
            .map((r) => r.id)
            .join(', ')}). Give more characters of the id.`,
      );
    },

    async close() {
      await tail; // statements already asked for go out first
      if (!client) return;
      client.ref(); // the goodbye must finish before the process may exit
      await client.end();
    },
  };
}

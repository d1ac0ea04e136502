import type pg from 'pg';

/**
 * Versioned schema migrations, applied in order inside one transaction under an advisory lock
 * (several processes may start at once). Documents are `json`, not `jsonb`, so values come back
 * with their keys in the order they were written, exactly as in the JSON-folder store.
 */
const MIGRATIONS: string[] = [
  `create table kitaru_executions (
     id text primary key,
     doc json not null
   );
   create table kitaru_calls (
     exec_id text not null references kitaru_executions (id) on delete cascade,
     seq integer not null,
     completed boolean not null,
     doc json not null,
     primary key (exec_id, seq)
   );
   create table kitaru_logs (
     exec_id text not null references kitaru_executions (id) on delete cascade,
     n bigserial,
     doc json not null,
     primary key (exec_id, n)
   );`,
  // Queue mode: the worker holding an execution and until when, and the attempts in flight
  // (so that a worker taking over can record an interrupted attempt as failed).
  `create table kitaru_leases (
     exec_id text primary key references kitaru_executions (id) on delete cascade,
     owner text not null,
     expires_at timestamptz not null
   );
   create table kitaru_inflight (
     exec_id text not null references kitaru_executions (id) on delete cascade,
     seq integer not null,
     attempt integer not null,
     started_at text not null,
     owner text not null,
     doc json not null,
     primary key (exec_id, seq)
   );`,
];

/** The schema version this kitaru writes. */
export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database's kitaru tables up to `PG_SCHEMA_VERSION`. */
export async function migrate(client: pg.ClientBase): Promise<void> {
  await client.query('begin');
  try {
    await client.query('select pg_advisory_xact_lock(7402117)');
    await client.query('create table if not exists kitaru_schema (version integer not null)');
    const { rows } = await client.query<{ version: number }>('select version from kitaru_schema');
    let version = rows[0]?.version ?? 0;
    if (version > PG_SCHEMA_VERSION) {
      throw new Error(
        `the database's kitaru schema is version ${version}, newer than this kitaru (${PG_SCHEMA_VERSION}); upgrade kitaru`,
      );
    }
    if (rows.length === 0) await client.query('insert into kitaru_schema (version) values (0)');
    for (; version < PG_SCHEMA_VERSION; version++) {
      await client.query(MIGRATIONS[version] as string);
      await client.query('update kitaru_schema set version = $1', [version + 1]);
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback');
    throw err;
  }
}

import type pg from 'pg';

/**
 * Versioned schema migrations, applied in order inside one transaction under an advisory lock
 * (several processes may start at once). Documents are `json`, not `jsonb`, so values come back
 * with their keys in the order they were written, exactly as in the JSON-folder store.
 */
export const MIGRATIONS: readonly string[] = [
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
  // Version 2 made the queue's tables here; they belong to the queue now (src/queue/schema.ts),
  // which creates them when missing. Kept as a step so that version numbers keep their meaning.
  'select 1',
  // Answers to waits: the primary key makes the first answer win between processes.
  `create table kitaru_inputs (
     exec_id text not null references kitaru_executions (id) on delete cascade,
     wait_id text not null,
     doc json not null,
     primary key (exec_id, wait_id)
   );`,
  // Newest first by creation time, whatever the ids: created_ms is creation-order.ts's creationMs
  // (the time in a generated id, else createdAt), worked out here for the rows there already.
  `alter table kitaru_executions add column created_ms bigint;
   update kitaru_executions set created_ms = case
     when id ~ '^[0-9abcdefghjkmnpqrstvwxyz]{22}$' then (
       select sum((strpos('0123456789abcdefghjkmnpqrstvwxyz', substr(id, i, 1)) - 1) * power(32, 10 - i))
       from generate_series(1, 10) as i)::bigint
     else round(extract(epoch from (doc->>'createdAt')::timestamptz) * 1000)::bigint
   end;
   alter table kitaru_executions alter column created_ms set not null;
   create index kitaru_executions_newest on kitaru_executions (created_ms desc, id desc);`,
];

/** The schema version this kitaru writes. */
export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings a set of tables up to date: `migrations[i]` takes it from version i to i + 1, the version
 * kept in the one-row table `versionTable`. One transaction, under an advisory lock shared by every
 * set (several processes may start at once).
 */
export async function migrate(
  client: pg.ClientBase,
  versionTable: string,
  migrations: readonly string[],
): Promise<void> {
  if (!/^[a-z_]+$/.test(versionTable)) throw new Error(`bad version table name ${versionTable}`);
  await client.query('begin');
  try {
    await client.query('select pg_advisory_xact_lock(7402117)');
    await client.query(`create table if not exists ${versionTable} (version integer not null)`);
    const { rows } = await client.query<{ version: number }>(`select version from ${versionTable}`);
    let version = rows[0]?.version ?? 0;
    if (version > migrations.length) {
      throw new Error(
        `the database's ${versionTable} is at version ${version}, newer than this kitaru (${migrations.length}); upgrade kitaru`,
      );
    }
    if (rows.length === 0) await client.query(`insert into ${versionTable} (version) values (0)`);
    for (; version < migrations.length; version++) {
      await client.query(migrations[version] as string);
      await client.query(`update ${versionTable} set version = $1`, [version + 1]);
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback');
    throw err;
  }
}

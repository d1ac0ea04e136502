/**
 * The queue's own tables, beside the store's in the same database, with their own version row
 * (`kitaru_queue_schema`): the worker holding each execution and until when, and the attempts in
 * flight (so that a worker taking over can record an interrupted attempt as failed), the cancel
 * requests that workers read at their heartbeats, and the workers' own heartbeats (so that the
 * jobs of a worker that died are released). The job queue
 * itself is graphile-worker's, in its `graphile_worker` schema.
 */
export const QUEUE_MIGRATIONS: readonly string[] = [
  // `if not exists`: databases set up by kitaru 0.1 have these from the store's version 2.
  `create table if not exists kitaru_leases (
     exec_id text primary key references kitaru_executions (id) on delete cascade,
     owner text not null,
     expires_at timestamptz not null
   );
   create table if not exists kitaru_inflight (
     exec_id text not null references kitaru_executions (id) on delete cascade,
     seq integer not null,
     attempt integer not null,
     started_at text not null,
     owner text not null,
     doc json not null,
     primary key (exec_id, seq)
   );`,
  // Cancel requests (`kitaru cancel` of an execution a worker runs), read at each heartbeat.
  `create table kitaru_cancels (
     exec_id text primary key references kitaru_executions (id) on delete cascade,
     requested_at timestamptz not null default now()
   );`,
  // Worker heartbeats: the id under which each worker's job queue locks its jobs, until when it
  // answers; a lapsed one's jobs are released for others (see worker-beats.ts).
  `create table kitaru_workers (
     locker_id text primary key,
     worker text not null,
     expires_at timestamptz not null
   );`,
];

/** The table holding the queue's schema version. */
export const QUEUE_VERSION_TABLE = 'kitaru_queue_schema';

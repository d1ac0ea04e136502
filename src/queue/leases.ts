import type { Database } from '../store/database.js';
import type { CallRecord } from '../store/types.js';

/**
 * Leases on executions, kept in the queue's `kitaru_leases` beside the store's tables. A worker holds an
 * execution while its lease is renewed (heartbeats); once it lapses, any worker may take it.
 */
export interface Leases {
  /** Takes the execution if nobody holds a live lease on it: the lease's token, or null. */
  claim(execId: string): Promise<string | null>;
  /** Renews the lease; false if this claim no longer holds it. */
  renew(execId: string, token: string): Promise<boolean>;
  release(execId: string, token: string): Promise<void>;
  /**
   * Releases the lease of an execution that is now waiting, and queues a job at each of `times`
   * (ISO; its wake times and deadlines), in one statement.
   */
  park(execId: string, token: string, times: string[]): Promise<void>;
  /**
   * Hands the execution back: recorded `queued` again, the lease released and a job queued, in
   * one transaction.
   */
  handBack(execId: string, token: string): Promise<void>;
  /**
   * Deletes lapsed leases and queues a job for each of their executions, in one statement; returns
   * their ids (each reaped by one caller).
   */
  reap(): Promise<string[]>;
  /** Records that an attempt is starting (the record holds the call's earlier attempts). */
  attemptStarted(execId: string, record: CallRecord, attempt: number, startedAt: string): Promise<void>;
  /** Attempts recorded as started whose end never reached the store. */
  interrupted(execId: string, calls: CallRecord[]): Promise<InterruptedAttempt[]>;
  /** Forgets this worker's attempts in flight (with `everyone`, those of lost workers too). */
  clearInflight(execId: string, everyone?: boolean): Promise<void>;
}

/** An attempt a lost worker started and never finished. */
export interface InterruptedAttempt {
  record: CallRecord;
  attempt: number;
  startedAt: string;
  owner: string;
}

/** Leases for `owner` (a worker's name) lasting `leaseMs`. */
export function createLeases(
  db: Database,
  owner: string,
  leaseMs: number,
  jobSql: (execId: string, runAt?: string) => string,
): Leases {
  const seconds = leaseMs / 1000;
  let claims = 0;
  return {
    async claim(execId) {
      // The lease row names this claim, not just the worker: a later claim of the same execution
      // by the same worker is a different lease.
      const token = `${owner}#${++claims}`;
      const { rowCount } = await db.query(
        'claim lease',
        `insert into kitaru_leases (exec_id, owner, expires_at)
         values ($1, $2, now() + make_interval(secs => $3))
         on conflict (exec_id) do update set owner = excluded.owner, expires_at = excluded.expires_at
         where kitaru_leases.expires_at < now()`,
        [execId, token, seconds],
      );
      return rowCount === 1 ? token : null;
    },
    async renew(execId, token) {
      const { rowCount } = await db.query(
        'renew lease',
        `update kitaru_leases set expires_at = now() + make_interval(secs => $3)
         where exec_id = $1 and owner = $2`,
        [execId, token, seconds],
      );
      return rowCount === 1;
    },
    async release(execId, token) {
      await db.query('release lease', 'delete from kitaru_leases where exec_id = $1 and owner = $2', [
        execId,
        token,
      ]);
    },
    async park(execId, token, times) {
      await db.query(
        'park',
        `with d as (delete from kitaru_leases where exec_id = $1 and owner = $2)
         select ${jobSql('$1', 't.at')} from unnest($3::timestamptz[]) as t(at)`,
        [execId, token, times],
      );
    },
    async handBack(execId, token) {
      await db.transaction(async (tx) => {
        await tx.updateExecution(execId, { status: 'queued' });
        await tx.query(
          'hand back',
          `with d as (delete from kitaru_leases where exec_id = $1 and owner = $2) select ${jobSql('$1')}`,
          [execId, token],
        );
      });
    },
    async reap() {
      const { rows } = await db.query<{ exec_id: string }>(
        'reap leases',
        `with r as (delete from kitaru_leases where expires_at < now() returning exec_id)
         select r.exec_id, ${jobSql('r.exec_id')} from r`,
      );
      return rows.map((r) => r.exec_id);
    },
    async attemptStarted(execId, record, attempt, startedAt) {
      await db.query(
        'attempt started',
        `insert into kitaru_inflight (exec_id, seq, attempt, started_at, owner, doc)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (exec_id, seq) do update set attempt = excluded.attempt,
           started_at = excluded.started_at, owner = excluded.owner, doc = excluded.doc`,
        [execId, record.seq, attempt, startedAt, owner, JSON.stringify(record)],
      );
    },
    async interrupted(execId, calls) {
      const { rows } = await db.query<{
        attempt: number;
        started_at: string;
        owner: string;
        doc: CallRecord;
      }>(
        'read inflight',
        'select attempt, started_at, owner, doc from kitaru_inflight where exec_id = $1 order by seq',
        [execId],
      );
      const bySeq = new Map(calls.map((c) => [c.seq, c]));
      const out: InterruptedAttempt[] = [];
      for (const row of rows) {
        // An attempt whose record reached the store ended; only the others were interrupted.
        const stored = bySeq.get(row.doc.seq);
        if (stored && (stored.status === 'completed' || stored.attempts.length >= row.attempt)) continue;
        out.push({
          record: stored ?? row.doc,
          attempt: row.attempt,
          startedAt: row.started_at,
          owner: row.owner,
        });
      }
      return out;
    },
    async clearInflight(execId, everyone = false) {
      await db.query(
        'clear inflight',
        'delete from kitaru_inflight where exec_id = $1 and (owner = $2 or $3)',
        [execId, owner, everyone],
      );
    },
  };
}

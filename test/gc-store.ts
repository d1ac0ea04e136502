import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { newExecutionId } from '../src/runtime/ids.js';
import { creationMs } from '../src/store/creation-order.js';

const DAY = 86_400_000;

/**
 * Ids for `count` copies of a group of executions, started `daysAgo` days ago, one millisecond
 * apart (time-sortable like kitaru's own).
 */
function copyIds(count: number, daysAgo: number): { id: string; at: string }[] {
  const start = Date.now() - daysAgo * DAY;
  return Array.from({ length: count }, (_, i) => ({
    id: newExecutionId(start + i),
    at: new Date(start + i).toISOString(),
  }));
}

/**
 * Fills a folder store with `count` copies of each execution of `group` (ids of executions run for
 * real, oldest first: a source and its replays), written as files (a folder, `journal.jsonl`,
 * `execution.json`), far faster than running them. Copies of a replay reuse the copy of its source.
 * Resolves to the copies' ids, a row per copy of the group.
 */
export function copyFolderExecutions(
  root: string,
  group: string[],
  count: number,
  daysAgo: number,
): string[][] {
  const dir = (id: string) => join(root, 'executions', id);
  const files = group.map((id) => ({
    summary: JSON.parse(readFileSync(join(dir(id), 'execution.json'), 'utf8')) as Record<string, unknown>,
    journal: readFileSync(join(dir(id), 'journal.jsonl'), 'utf8'),
  }));
  const ids = copyIds(count * group.length, daysAgo);
  const rows: string[][] = [];
  for (let i = 0; i < count; i++) {
    const row = group.map((_, g) => ids[i * group.length + g] as { id: string; at: string });
    const rename = (text: string) => group.reduce((t, id, g) => t.replaceAll(id, row[g]?.id as string), text);
    row.forEach(({ id, at }, g) => {
      const f = files[g] as (typeof files)[number];
      mkdirSync(dir(id));
      writeFileSync(join(dir(id), 'journal.jsonl'), rename(f.journal));
      const summary = { ...f.summary, createdAt: at, endedAt: at };
      writeFileSync(join(dir(id), 'execution.json'), rename(JSON.stringify(summary)));
    });
    rows.push(row.map((r) => r.id));
  }
  return rows;
}

/** The same on a Postgres store: one statement per table for all the copies. */
export async function copyPostgresExecutions(
  url: string,
  group: string[],
  count: number,
  daysAgo: number,
): Promise<string[][]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const docs = new Map<string, string>();
    for (const { id, doc } of (
      await client.query<{ id: string; doc: string }>(
        'select id, doc::text as doc from kitaru_executions where id = any($1)',
        [group],
      )
    ).rows)
      docs.set(id, doc);
    const calls = (
      await client.query<{ exec_id: string; seq: number; completed: boolean; doc: string }>(
        'select exec_id, seq, completed, doc::text as doc from kitaru_calls where exec_id = any($1)',
        [group],
      )
    ).rows;
    const ids = copyIds(count * group.length, daysAgo);
    const rows: string[][] = [];
    const ex = { id: [] as string[], doc: [] as string[], ms: [] as number[] };
    const cs = { id: [] as string[], seq: [] as number[], completed: [] as boolean[], doc: [] as string[] };
    for (let i = 0; i < count; i++) {
      const row = group.map((_, g) => ids[i * group.length + g] as { id: string; at: string });
      const rename = (text: string) =>
        group.reduce((t, id, g) => t.replaceAll(id, row[g]?.id as string), text);
      row.forEach(({ id, at }, g) => {
        const doc = JSON.parse(docs.get(group[g] as string) as string) as Record<string, unknown>;
        ex.id.push(id);
        ex.doc.push(rename(JSON.stringify({ ...doc, createdAt: at, endedAt: at })));
        ex.ms.push(creationMs(id, at));
        for (const c of calls.filter((c) => c.exec_id === group[g])) {
          cs.id.push(id);
          cs.seq.push(c.seq);
          cs.completed.push(c.completed);
          cs.doc.push(rename(c.doc));
        }
      });
      rows.push(row.map((r) => r.id));
    }
    await client.query(
      `insert into kitaru_executions (id, doc, created_ms)
       select * from unnest($1::text[], $2::json[], $3::bigint[])`,
      [ex.id, ex.doc, ex.ms],
    );
    await client.query(
      `insert into kitaru_calls (exec_id, seq, completed, doc)
       select * from unnest($1::text[], $2::integer[], $3::boolean[], $4::json[])`,
      [cs.id, cs.seq, cs.completed, cs.doc],
    );
    return rows;
  } finally {
    await client.end();
  }
}

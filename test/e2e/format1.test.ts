import assert from 'node:assert/strict';
import { cpSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execIdOf, json, kitaru, makeProject } from '../e2e-project.js';

// Written by kitaru 0.1 (format 1: one file per call), kept as it was.
const FIXTURE = fileURLToPath(new URL('../fixtures/format1/', import.meta.url));
const FAILED = '01m8paqxzr0g4kkpz5m9sr'; // digest: publish failed (5 calls, flow logs)
const REPLAYED = '01m8paqy9mgmy5ewsvbv8n'; // its replay: 4 reused by reference, no index
const MANY = '01m8par0zj84eeq1q7xjzh'; // 20 calls, with calls.jsonl
const MANY_REPLAY = '01m8paz1pzqp2rrkx02mth'; // its replay: 20 reused, reused.jsonl and calls.jsonl

interface Call {
  id: string;
  status: string;
  origin: string;
  output: unknown;
  attempts: { status: string; error: { message: string } | null }[];
}
interface Ex {
  id: string;
  status: string;
  output: unknown;
  checkpoints: Call[];
}

/** A project holding a copy of the format-1 store as its `.kitaru`. */
function format1Project(): string {
  const dir = makeProject();
  cpSync(join(FIXTURE, 'flow.ts'), join(dir, 'flow.ts'));
  cpSync(join(FIXTURE, 'store'), join(dir, '.kitaru'), { recursive: true });
  return dir;
}

const inspect = (dir: string, id: string) =>
  json<{ execution: Ex }>(kitaru(dir, ['inspect', id, '--json'])).execution;
const squares = Array.from({ length: 20 }, (_, i) => i * i);

describe('a store written in format 1 (kitaru 0.1)', () => {
  it('lists, inspects, shows logs and diffs as before', () => {
    const dir = format1Project();
    const list = json<{ executions: { id: string; status: string; checkpointCount: number }[] }>(
      kitaru(dir, ['list', '--json']),
    );
    assert.deepEqual(
      list.executions.map((e) => [e.id, e.status, e.checkpointCount]),
      [
        [MANY_REPLAY, 'completed', 20],
        [MANY, 'completed', 20],
        [REPLAYED, 'completed', 5],
        [FAILED, 'failed', 5],
      ],
    );
    const failed = inspect(dir, FAILED);
    assert.deepEqual(
      failed.checkpoints.map((c) => [c.id, c.status]),
      [
        ['fetchTopic', 'completed'],
        ['fetchTopic_2', 'completed'],
        ['fetchTopic_3', 'completed'],
        ['summarize', 'completed'],
        ['publish', 'failed'],
      ],
    );
    assert.match(failed.checkpoints[4]?.attempts[0]?.error?.message ?? '', /ready\.txt/);
    const replayed = inspect(dir, REPLAYED);
    assert.deepEqual(
      replayed.checkpoints.map((c) => c.origin),
      ['reused', 'reused', 'reused', 'reused', 'executed'],
    );
    assert.match(kitaru(dir, ['logs', FAILED]).stdout, /fetching owls/);
    assert.deepEqual(
      inspect(dir, MANY_REPLAY).checkpoints.map((c) => c.output),
      squares,
    );
    const diff = kitaru(dir, ['diff', FAILED, REPLAYED, '--json']);
    assert.equal(diff.code, 0, diff.stderr);
  });

  it('replays a format-1 execution into a format-2 one, reusing every call it completed', () => {
    const dir = format1Project();
    writeFileSync(join(dir, 'ready.txt'), '');
    const r = kitaru(dir, ['replay', FAILED]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /reused 4, overridden 0, executed 1 of 5 calls/);
    const id = execIdOf(r);
    const ex = inspect(dir, id);
    assert.equal(ex.output, 'published owls:40, rag:30, agents:60');
    assert.match(
      readFileSync(join(dir, '.kitaru', 'executions', id, 'journal.jsonl'), 'utf8'),
      /"t":"reuse"/,
    );
    // A replay of a format-1 replay reuses the calls of the execution that ran them.
    const again = kitaru(dir, ['replay', MANY_REPLAY]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /reused 20/);
    assert.equal(
      inspect(dir, execIdOf(again)).output,
      squares.reduce((a, b) => a + b, 0),
    );
  });

  for (const [what, damage] of [
    ['emptied', (file: string) => truncateSync(file, 0)],
    [
      'cut to 10 of its lines',
      (file: string) => {
        const lines = readFileSync(file, 'utf8').split('\n');
        writeFileSync(file, `${lines.slice(0, 10).join('\n')}\n`);
      },
    ],
  ] as const) {
    it(`ignores a calls.jsonl ${what}: every call is shown and a replay reuses them all`, () => {
      const dir = format1Project();
      damage(join(dir, '.kitaru', 'executions', MANY, 'calls.jsonl'));
      assert.deepEqual(
        inspect(dir, MANY).checkpoints.map((c) => c.output),
        squares,
      );
      const list = json<{ executions: { id: string; checkpointCount: number }[] }>(
        kitaru(dir, ['list', '--json']),
      );
      assert.equal(list.executions.find((e) => e.id === MANY)?.checkpointCount, 20);
      const r = kitaru(dir, ['replay', MANY]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /reused 20, overridden 0, executed 0 of 20 calls/);
    });
  }

  it('a garbled line in reused.jsonl: the whole index answers, or every reader names the line', () => {
    const dir = format1Project();
    const garble = (id: string, line: number) => {
      const file = join(dir, '.kitaru', 'executions', id, 'reused.jsonl');
      const lines = readFileSync(file, 'utf8').split('\n');
      lines[line] = '{"ref":true,garbled';
      writeFileSync(file, lines.join('\n'));
    };
    garble(MANY_REPLAY, 4);
    garble(REPLAYED, 1);
    const list = kitaru(dir, ['list', '--json']);
    const listed = json<{ executions: { id: string; checkpointCount: number }[] }>(list).executions;
    // With its calls.jsonl whole, MANY_REPLAY reads from it everywhere.
    assert.equal(listed.find((e) => e.id === MANY_REPLAY)?.checkpointCount, 20);
    assert.equal(inspect(dir, MANY_REPLAY).checkpoints.length, 20);
    // Without one, REPLAYED is refused by every reader, naming the file and the line.
    assert.ok(!listed.some((e) => e.id === REPLAYED));
    assert.match(list.stderr, /reused\.jsonl: line 2/);
    for (const args of [
      ['inspect', REPLAYED],
      ['replay', REPLAYED],
      ['logs', REPLAYED, '--checkpoint', 'publish'],
    ]) {
      const r = kitaru(dir, args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /reused\.jsonl: line 2/);
    }
  });
});

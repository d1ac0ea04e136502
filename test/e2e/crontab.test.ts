import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json, kitaru, makeProject, write } from '../e2e-project.js';

const FLOW = `import { flow } from 'kitaru';
export default flow(async function report(to: string) { return to; });
`;

/** A project whose kitaru.crontab is `crontab`. */
function project(crontab: string): string {
  const dir = makeProject();
  write(dir, { 'report.ts': FLOW, 'flows/other.ts': FLOW, 'kitaru.crontab': crontab });
  return dir;
}

const NOW = { KITARU_NOW: '2025-01-03T23:58:30.000Z' }; // a Friday

interface Listed {
  name: string;
  cron: string;
  file: string;
  flow: string | null;
  args: unknown[];
  backfillMs: number;
  line: number;
  next: string[];
}

describe('kitaru schedules', () => {
  const dir = project(`# nightly report, weekdays
0 3 * * 1-5 report.ts --args '{"to": "ops team"}'

*/20 * * * * flows/other.ts --flow report --name every-20 --backfill 1h --args ["a"]
0 0 29 2 * report.ts --name leap
`);

  it('lists each schedule with its next three times (UTC), in JSON', () => {
    const r = kitaru(dir, ['schedules', '--json'], NOW);
    assert.equal(r.code, 0, r.stderr);
    const doc = json<{ command: string; count: number; schedules: Listed[] }>(r);
    assert.equal(doc.command, 'schedules');
    assert.equal(doc.count, 3);
    assert.deepEqual(doc.schedules[0], {
      name: 'report',
      cron: '0 3 * * 1-5',
      file: 'report.ts',
      flow: null,
      args: [{ to: 'ops team' }],
      backfillMs: 0,
      line: 2,
      // Saturday and Sunday are skipped.
      next: ['2025-01-06T03:00:00.000Z', '2025-01-07T03:00:00.000Z', '2025-01-08T03:00:00.000Z'],
    });
    const every20 = doc.schedules[1] as Listed;
    assert.equal(every20.name, 'every-20');
    assert.equal(every20.flow, 'report');
    assert.deepEqual(every20.args, ['a']);
    assert.equal(every20.backfillMs, 3_600_000);
    assert.deepEqual(every20.next, [
      '2025-01-04T00:00:00.000Z',
      '2025-01-04T00:20:00.000Z',
      '2025-01-04T00:40:00.000Z',
    ]);
    assert.deepEqual(doc.schedules[2]?.next, ['2028-02-29T00:00:00.000Z']);
  });

  it('lists them as a table on stdout', () => {
    const r = kitaru(dir, ['schedules'], NOW);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^schedule\s+cron \(UTC\)\s+flow\s+next 3 \(UTC\)$/);
    assert.match(
      lines[1] ?? '',
      /^report\s+0 3 \* \* 1-5\s+report\.ts\s+2025-01-06 03:00, 2025-01-07 03:00, 2025-01-08 03:00$/,
    );
    assert.match(
      lines[2] ?? '',
      /^every-20\s+\*\/20 \* \* \* \*\s+flows\/other\.ts · report\s+2025-01-04 00:00, 2025-01-04 00:20, /,
    );
    assert.match(lines[3] ?? '', /^leap\s+0 0 29 2 \*\s+report\.ts\s+2028-02-29 00:00$/);
    assert.match(r.stderr, /kitaru\.crontab/);
  });

  it('finds kitaru.crontab at the project root from a folder inside it', () => {
    const r = kitaru(`${dir}/flows`, ['schedules', '--json'], NOW);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json<{ count: number }>(r).count, 3);
  });

  it('says so when the project has no kitaru.crontab', () => {
    const empty = makeProject();
    const r = kitaru(empty, ['schedules']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no schedules: there is no kitaru\.crontab in /);
    const j = json<{ schedules: unknown[]; file: null }>(kitaru(empty, ['schedules', '--json']));
    assert.deepEqual(j.schedules, []);
    assert.equal(j.file, null);
  });
});

describe('a bad kitaru.crontab line', () => {
  const cases: [string, string, RegExp][] = [
    ['61 * * * * report.ts', 'a minute out of range', /Too large value '61' in minutes range/],
    ['* * * * report.ts', 'four fields', /expected <minute> <hour> <day> <month> <weekday> <flow file>/],
    ['@daily report.ts', 'a macro graphile-worker does not know', /expected <minute>|Invalid cron pattern/],
    ['* * * * * gone.ts', 'a missing flow file', /flow file not found: gone\.ts/],
    ['* * * * * report.ts --flw x', 'an unknown option', /unknown option "--flw"/],
    ['* * * * * report.ts --flow', 'an option without its value', /--flow needs a value/],
    ['* * * * * report.ts --args {x}', 'arguments that are not JSON', /--args is not valid JSON/],
    ["* * * * * report.ts --args '[1", 'an unclosed quote', /a single quote is not closed/],
    ['* * * * * report.ts --name a/b', 'a bad name', /--name "a\/b" is not a schedule name/],
    ['* * * * * report.ts --backfill soon', 'a bad duration', /--backfill: "soon" is not a duration/],
    ['0 * * * * report.ts --name n --name m', 'an option given twice', /--name is given twice/],
  ];
  for (const [line, what, message] of cases) {
    it(`is one error naming the line and exit 2: ${what}`, () => {
      const dir = project(`# fine\n0 3 * * * report.ts\n${line}\n`);
      const r = kitaru(dir, ['schedules']);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0]?.startsWith(`kitaru: error: kitaru.crontab line 3 (${line}): `), lines[0]);
      assert.match(lines[0] ?? '', message);
    });
  }

  it('is a duplicate schedule name, naming the line that has it', () => {
    const dir = project('0 3 * * * report.ts\n0 4 * * * report.ts\n');
    const r = kitaru(dir, ['schedules', '--json']);
    assert.equal(r.code, 2);
    const { error } = json<{ error: { type: string; message: string } }>(r);
    assert.equal(error.type, 'KitaruUsageError');
    assert.equal(
      error.message,
      'kitaru.crontab line 2 (0 4 * * * report.ts): schedule name "report" is taken by line 1; give this line --name <name>',
    );
  });

  it('stops kitaru worker before it starts (exit 2, one line)', () => {
    const dir = project('0 3 * * * report.ts --flw x\n');
    // The database is never reached: the line is refused first.
    const r = kitaru(dir, ['worker', '--store', 'postgres://kitaru@127.0.0.1:1/none']);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr.trim(),
      'kitaru: error: kitaru.crontab line 1 (0 3 * * * report.ts --flw x): unknown option "--flw" (the options are --flow, --args, --name, --backfill)',
    );
  });
});

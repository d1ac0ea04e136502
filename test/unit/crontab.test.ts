import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { graphileCronParser } from '../../src/queue/crontab.js';
import { tokenize } from '../../src/queue/crontab-tokens.js';
import { nextTicks } from '../../src/queue/next-ticks.js';

const parser = await graphileCronParser();
const next = (cron: string, from: string, count = 3) =>
  nextTicks(parser.matcher(cron), new Date(from), count).map((d) => d.toISOString());

describe('next ticks of a cron expression (UTC, as graphile-worker matches them)', () => {
  it('counts the current minute when "now" is exactly on it, else starts at the next minute', () => {
    assert.deepEqual(next('* * * * *', '2025-05-05T10:00:00.000Z', 2), [
      '2025-05-05T10:00:00.000Z',
      '2025-05-05T10:01:00.000Z',
    ]);
    assert.deepEqual(next('* * * * *', '2025-05-05T10:00:00.001Z', 1), ['2025-05-05T10:01:00.000Z']);
  });

  it('takes a day of the month or a day of the week when both are given, as cron does', () => {
    // 13th of the month, or any Friday (2025-06-06 and 2025-06-13 are Fridays).
    assert.deepEqual(next('0 12 13 * 5', '2025-06-01T00:00:00Z'), [
      '2025-06-06T12:00:00.000Z',
      '2025-06-13T12:00:00.000Z',
      '2025-06-20T12:00:00.000Z',
    ]);
  });

  it('reads 7 as Sunday, lists and steps, and crosses a year', () => {
    assert.deepEqual(next('30 23 * 12 7', '2025-12-25T00:00:00Z', 2), [
      '2025-12-28T23:30:00.000Z',
      '2026-12-06T23:30:00.000Z',
    ]);
    assert.deepEqual(next('5,35 */12 * * *', '2025-01-01T00:06:00Z'), [
      '2025-01-01T00:35:00.000Z',
      '2025-01-01T12:05:00.000Z',
      '2025-01-01T12:35:00.000Z',
    ]);
  });

  it('finds none for a date that never comes', () => {
    assert.deepEqual(next('0 0 30 2 *', '2025-01-01T00:00:00Z'), []);
  });
});

describe('the words of a crontab line', () => {
  it('splits at whitespace, keeps single-quoted parts whole and double quotes as they are', () => {
    assert.deepEqual(tokenize(`0  3 * * *\tf.ts --args '{"to": "ops team"}' --name "x"`), [
      '0',
      '3',
      '*',
      '*',
      '*',
      'f.ts',
      '--args',
      '{"to": "ops team"}',
      '--name',
      '"x"',
    ]);
    assert.deepEqual(tokenize(`a'b c'd ''`), ['ab cd', '']);
  });
});

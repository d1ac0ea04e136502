import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Chalk } from 'chalk';
import * as cli from '../../src/cli/render/format.js';
import type { ExecutionStatus } from '../../src/store/types.js';
import * as shared from '../../ui/format.js';

describe('the format module shared by the CLI and the page', () => {
  it('prints durations in ms, s, m and h, rounding into the next unit where it carries', () => {
    const table: [number | null, string][] = [
      [null, '-'],
      [0, '0ms'],
      [12.4, '12ms'],
      [830, '830ms'],
      [999.4, '999ms'],
      [999.6, '1.00s'],
      [2414, '2.41s'],
      [12_345, '12.35s'],
      [59_994, '59.99s'],
      [59_996, '1m00s'],
      [185_000, '3m05s'],
      [119_700, '2m00s'],
      [3_599_400, '59m59s'],
      [3_723_000, '1h02m03s'],
      [36_000_000, '10h00m00s'],
      [-2414, '-2.41s'],
      [-185_000, '-3m05s'],
    ];
    for (const [ms, text] of table) assert.equal(shared.formatDuration(ms), text, `formatDuration(${ms})`);
  });

  it('is the very module the CLI formats with', () => {
    assert.equal(cli.formatDuration, shared.formatDuration);
    assert.equal(cli.formatTime, shared.formatTime);
  });

  it('knows every execution status, in order, and colours them by tone in the terminal', () => {
    const all: ExecutionStatus[] = [
      'queued',
      'running',
      'waiting',
      'completed',
      'failed',
      'cancelled',
      'crashed',
    ];
    assert.deepEqual(shared.STATUSES, all);
    assert.equal(shared.statusTone('completed'), 'ok');
    assert.equal(shared.statusTone('crashed'), 'bad');
    assert.equal(shared.statusTone('something-new'), 'info');
    assert.equal(shared.statusTone('constructor'), 'info');
    const color = new Chalk({ level: 1 });
    assert.equal(cli.paintStatus('failed', color), color.red('failed'));
    assert.equal(cli.paintStatus('cancelled', color), color.yellow('cancelled'));
    assert.equal(cli.paintStatus('queued', color), color.cyan('queued'));
    assert.equal(cli.paintStatus('waiting', color), color.yellow('waiting'));
  });

  it('prints times to the second, and cuts long text with an ellipsis', () => {
    assert.equal(shared.formatTime('2025-01-31T14:05:09.123Z'), '2025-01-31 14:05:09');
    assert.equal(shared.formatTime(null), '-');
    assert.equal(shared.clip('abcdef', 4), 'abc…');
    assert.equal(shared.clip('abc', 4), 'abc');
  });
});

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCount, parseFlowArgs, parseOverrides } from '../../src/cli/parse-input.js';
import { runCli } from '../../src/cli/program.js';
import { tempDir } from '../helpers.js';

/** Runs the CLI in this process and captures what it writes. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((chunk: string) => {
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => {
    stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await runCli(['node', 'kitaru', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe('argument parsing', () => {
  it('spreads a JSON array and wraps any other value', () => {
    assert.deepEqual(parseFlowArgs('[1,"a"]', undefined), {
      values: [1, 'a'],
      spread: true,
      option: '--args',
    });
    assert.deepEqual(parseFlowArgs('{"x":9}', undefined)?.values, [{ x: 9 }]);
    assert.deepEqual(parseFlowArgs('null', undefined), { values: [null], spread: false, option: '--args' });
    assert.equal(parseFlowArgs(undefined, undefined), undefined);
    const file = join(tempDir(), 'args.json');
    writeFileSync(file, '[[1,2]]');
    assert.deepEqual(parseFlowArgs(undefined, file), {
      values: [[1, 2]],
      spread: true,
      option: `--args-file ${file}`,
    });
    assert.throws(() => parseFlowArgs('[1', undefined), {
      name: 'KitaruUsageError',
      message: /--args is not valid JSON/,
    });
    assert.throws(() => parseFlowArgs('1', file), { message: /not both/ });
  });

  it('merges --overrides with repeated --override, splitting at the first =', () => {
    assert.deepEqual(parseOverrides(['checkpoint.a={"k":"x=y"}'], '{"checkpoint.b":2}'), {
      'checkpoint.b': 2,
      'checkpoint.a': { k: 'x=y' },
    });
    assert.throws(() => parseOverrides(['checkpoint.a'], undefined), { name: 'KitaruUsageError' });
    assert.throws(() => parseOverrides([], '"x"'), { message: /must be a JSON object/ });
  });

  it('accepts only whole numbers for counts', () => {
    assert.equal(parseCount('7', '--limit'), 7);
    assert.throws(() => parseCount('-1', '--limit'), { name: 'KitaruUsageError' });
    assert.throws(() => parseCount('2.5', '--limit'), { name: 'KitaruUsageError' });
  });
});

describe('runCli in process', () => {
  it('prints the version and help with exit 0', async () => {
    const v = await cli('--version');
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
    const h = await cli('list', '--help');
    assert.equal(h.code, 0);
    assert.match(h.stdout, /--status <status>/);
  });

  it('lists an empty store as one JSON document', async () => {
    const r = await cli('list', '--dir', join(tempDir(), '.kitaru'), '--json');
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), { command: 'list', executions: [], count: 0 });
  });

  it('turns usage errors into exit 2 and a JSON error in --json mode', async () => {
    const r = await cli('list', '--limit', 'many', '--json', '--dir', tempDir());
    assert.equal(r.code, 2);
    assert.deepEqual(JSON.parse(r.stdout), {
      command: 'list',
      error: { type: 'KitaruUsageError', message: '--limit must be a whole number >= 0, got "many".' },
    });
    const unknown = await cli('inspect', '--bogus');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option '--bogus'/);
  });
});

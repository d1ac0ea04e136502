import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execIdOf, kitaru, makeProject, write } from '../e2e-project.js';

const HELLO = `import { checkpoint, flow } from 'kitaru';
const greet = checkpoint(function greet(name: string) { return 'hello ' + name; });
export default flow(async function hello(name: string = 'world') { return greet(name); });
`;
// Each call stores 40 kB: a small disk fills up a few calls in.
const BIG = `import { checkpoint, flow } from 'kitaru';
const big = checkpoint(function big(i: number) { return String(i).padEnd(40_000, 'x'); });
export default flow(async function bigFlow() {
  const out: number[] = [];
  for (let i = 0; i < 40; i++) out.push((await big(i)).length);
  return out;
});
`;

/** A small tmpfs of our own (machines here run tests as root), unmounted when the file ends. */
function smallDisk(at: string, size: string): void {
  mkdirSync(at, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at]);
  after(() => execFileSync('umount', ['-l', at]));
}

/** Every `*.tmp` file under a folder. */
function tempFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'));
}

/** The one error line of a failed command: no execution id was claimed, no stack. */
function assertOneLine(r: { code: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.doesNotMatch(r.stdout, /execution /, 'no execution id is printed');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] ?? '', pattern);
}

describe('OS errors while writing the store', () => {
  const dir = makeProject();
  write(dir, { 'hello.ts': HELLO, 'big.ts': BIG, 'notes.txt': 'my notes\n' });

  it('a read-only store is one KitaruStoreError line naming the folder and EROFS, before any id', () => {
    const ro = join(dir, 'ro');
    smallDisk(ro, '1m');
    const first = kitaru(dir, ['run', 'hello.ts', '--dir', 'ro/.kitaru']);
    assert.equal(first.code, 0, first.stderr);
    execFileSync('mount', ['-o', 'remount,ro', ro]);
    const r = kitaru(dir, ['run', 'hello.ts', '--dir', 'ro/.kitaru']);
    assertOneLine(r, /^kitaru: error: cannot .*ro\/\.kitaru.*: EROFS/);
    const list = kitaru(dir, ['list', '--dir', 'ro/.kitaru']);
    assert.equal(list.code, 0, 'the store still reads');
    assert.match(list.stdout, /completed/);
  });

  it('a disk that fills up mid-run stops the run with exit 2 naming the file and ENOSPC, and leaves no temp file', () => {
    const full = join(dir, 'full');
    smallDisk(full, '512k');
    const r = kitaru(dir, ['run', 'big.ts', '--dir', 'full/.kitaru']);
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
    const id = execIdOf(r);
    assert.match(r.stderr, /kitaru: error: cannot append to store file .*journal\.jsonl: ENOSPC/);
    assert.doesNotMatch(r.stdout, /status: failed/, 'the flow did not fail: the store did');
    assert.deepEqual(tempFiles(join(full, '.kitaru')), []);
    // Whatever the record says (failed if the small write still fit, crashed if not), every
    // reader says the same.
    const inspect = kitaru(dir, ['inspect', id, '--dir', 'full/.kitaru', '--json']);
    assert.equal(inspect.code, 0, inspect.stderr);
    const status = JSON.parse(inspect.stdout).execution.status;
    assert.ok(['failed', 'crashed'].includes(status), status);
    const list = kitaru(dir, ['list', '--dir', 'full/.kitaru', '--json']);
    assert.equal(JSON.parse(list.stdout).executions[0].status, status);
  });

  it('a replay on a full disk leaves no execution folder behind', () => {
    const disk = join(dir, 'replay-disk');
    smallDisk(disk, '256k');
    const r = kitaru(dir, ['run', 'hello.ts', '--dir', 'replay-disk/.kitaru']);
    assert.equal(r.code, 0, r.stderr);
    const id = execIdOf(r);
    // Fill what is left.
    try {
      writeFileSync(join(disk, 'filler'), Buffer.alloc(1024 * 1024));
    } catch {}
    const replay = kitaru(dir, ['replay', id, '--dir', 'replay-disk/.kitaru']);
    assertOneLine(replay, /^kitaru: error: cannot .*: ENOSPC/);
    assert.deepEqual(readdirSync(join(disk, '.kitaru', 'executions')), [id]);
    assert.deepEqual(tempFiles(join(disk, '.kitaru')), []);
  });
});

describe('bad places and files are named in one line, before any execution id', () => {
  const dir = makeProject();
  write(dir, { 'hello.ts': HELLO, 'notes.txt': 'my notes\n' });

  it('--dir pointing at a file', () => {
    assertOneLine(
      kitaru(dir, ['run', 'hello.ts', '--dir', 'notes.txt']),
      /notes\.txt is a file, not a folder/,
    );
    assertOneLine(kitaru(dir, ['list', '--dir', 'notes.txt']), /notes\.txt is a file, not a folder/);
  });

  it('a PostgreSQL URL that cannot be reached', () => {
    assertOneLine(
      kitaru(dir, ['run', 'hello.ts', '--store', 'postgres://kitaru@127.0.0.1:1/x']),
      /postgres:\/\/kitaru@127\.0\.0\.1:1\/x.*ECONNREFUSED/,
    );
  });

  it('a file that is not a flow file', () => {
    assertOneLine(kitaru(dir, ['run', 'notes.txt']), /^kitaru: error: notes\.txt is not a flow file/);
  });
});

describe('a store error thrown by the flow itself', () => {
  it('is the flow failing (exit 1, its execution printed), not the store failing (exit 2)', () => {
    const dir = makeProject();
    write(dir, {
      'own.ts': `import { flow, KitaruStoreError } from 'kitaru';
export default flow(async function own() { throw new KitaruStoreError('my own store said no'); });
`,
    });
    const r = kitaru(dir, ['run', 'own.ts']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /status: failed/);
    assert.match(r.stdout, /KitaruStoreError: my own store said no/);
  });
});

describe('temp files of writers that are gone', () => {
  it('are swept by the next writer of the store; a live writer keeps its own', () => {
    const dir = makeProject();
    write(dir, { 'hello.ts': HELLO });
    const tmp = join(dir, '.kitaru', 'tmp');
    mkdirSync(tmp, { recursive: true });
    const dead = `${hostname()}~999999~1.tmp`;
    const alive = `${hostname()}~${process.pid}~1.tmp`;
    const foreign = 'other-host~123~1.tmp';
    for (const name of [dead, alive, foreign]) writeFileSync(join(tmp, name), '{"half":');
    const r = kitaru(dir, ['run', 'hello.ts']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(join(tmp, dead)), 'the dead writer’s temp file is gone');
    assert.deepEqual(readdirSync(tmp).sort(), [alive, foreign].sort());
  });
});

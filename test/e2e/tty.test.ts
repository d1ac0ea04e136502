import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { bin, makeProject, write } from '../e2e-project.js';

const FLOW = `import { checkpoint, flow } from 'kitaru';
const slowStep = checkpoint(async function slowStep() { await new Promise((r) => setTimeout(r, 400)); return 1; });
export default flow(async function slow() { return slowStep(); });
`;
const WIDE = `import { checkpoint, flow } from 'kitaru';
const wide = checkpoint(function wide(text: string) { return text.length; });
export default flow(async function long() { return wide('y'.repeat(500)); });
`;
const LOOP = `import { checkpoint, flow } from 'kitaru';
const step = checkpoint(async function step(i: number) { await new Promise((r) => setTimeout(r, 2)); return i; });
export default flow(async function loop() {
  for (let i = 1; i <= 400; i++) await step(i);
});
`;
const FRAMES = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

/** Runs the CLI under a pseudo-terminal (util-linux `script`), returning everything it drew. */
function onTerminal(cwd: string, args: string[]): string {
  const env = { ...process.env };
  delete env.CI;
  const command = `stty cols 100 rows 30; ${[process.execPath, bin, ...args].map((a) => `'${a}'`).join(' ')}`;
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return stripVTControlCharacters(r.stdout);
}

describe('the spinner', () => {
  const dir = makeProject();
  write(dir, { 'slow.ts': FLOW, 'loop.ts': LOOP });

  it('names the running call on a terminal', () => {
    const screen = onTerminal(dir, ['run', 'slow.ts']);
    assert.match(screen, new RegExp(`${FRAMES.source} slowStep`));
    assert.match(screen, /status: completed/);
    assert.match(screen, /✓ slowStep \d+ms/, 'the call line is printed, not erased by the spinner');
  });

  it('never shows with --json, nor without a terminal', () => {
    const screen = onTerminal(dir, ['run', 'slow.ts', '--json']);
    assert.doesNotMatch(screen, FRAMES);
    const piped = spawnSync(process.execPath, [bin, 'run', 'slow.ts'], { cwd: dir, encoding: 'utf8' });
    assert.doesNotMatch(piped.stdout + piped.stderr, FRAMES);
  });

  it('shows the counts of folded calls as they grow, then prints them once', () => {
    const screen = onTerminal(dir, ['run', 'loop.ts']);
    assert.equal(screen.match(/✓ step_\d+ \d+ms/g)?.length, 49, 'step and 49 more calls get a line');
    assert.match(
      screen,
      new RegExp(`${FRAMES.source} (step_\\d+ · )?✓ step x[\\d,]+\\s`),
      'the spinner counts',
    );
    assert.match(screen, /✓ step x350 {2}\(folded; --verbose prints every call\)\r?\n/);
    assert.ok(screen.indexOf('x350  (folded') < screen.indexOf('status: completed'));
  });
});

describe('inspect on a terminal', () => {
  const dir = makeProject();
  write(dir, { 'wide.ts': WIDE });

  it("cuts the call table to the terminal's width", () => {
    const id = onTerminal(dir, ['run', 'wide.ts']).match(/execution (\S+)/)?.[1] ?? '';
    const row = onTerminal(dir, ['inspect', id])
      .split(/\r?\n/)
      .find((l) => l.startsWith('wide '));
    assert.match(row ?? '', /\('yyy+…$/);
    assert.equal(row?.length, 100);
  });
});

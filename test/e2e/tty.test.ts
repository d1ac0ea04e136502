import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { APPROVAL_SCHEMA, bin, makeProject, write } from '../e2e-project.js';
import { tempDir } from '../helpers.js';

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

/**
 * Runs the CLI under a pseudo-terminal (util-linux `script`), returning everything it drew.
 * `nodeArgs` go to node before the CLI; `extraEnv` is added to the environment.
 */
function onTerminal(
  cwd: string,
  args: string[],
  nodeArgs: string[] = [],
  extraEnv: Record<string, string> = {},
): string {
  const env = { ...process.env, ...extraEnv };
  delete env.CI;
  const argv = [process.execPath, ...nodeArgs, bin, ...args];
  const command = `stty cols 100 rows 30; ${argv.map((a) => `'${a}'`).join(' ')}`;
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

  it("is loaded before the flow file, not through tsx's hooks", () => {
    // Hooks of the test's own, registered first, see every module load in order (tsx's hooks,
    // registered later by kitaru, hand each load on to them).
    write(dir, {
      'record-loads.mjs': `import { register } from 'node:module';
register('./load-hooks.mjs', import.meta.url);
`,
      'load-hooks.mjs': `import { appendFileSync } from 'node:fs';
export async function load(url, context, nextLoad) {
  appendFileSync(process.env.KITARU_TEST_LOADS, url + '\\n');
  return nextLoad(url, context);
}
`,
    });
    const loads = join(tempDir('kitaru-loads-'), 'loads.txt');
    const screen = onTerminal(dir, ['run', 'slow.ts'], ['--import', './record-loads.mjs'], {
      KITARU_TEST_LOADS: loads,
    });
    assert.match(screen, FRAMES, 'a spinner was shown');
    const urls = readFileSync(loads, 'utf8').trim().split('\n');
    const ora = urls.findIndex((u) => /\/node_modules\/ora\/index\.js$/.test(u));
    const flowFile = urls.findIndex((u) => u.endsWith('/slow.ts'));
    assert.ok(ora >= 0 && flowFile >= 0, urls.join('\n'));
    assert.ok(ora < flowFile, `ora loads after the flow file:\n${urls.join('\n')}`);
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

const APPROVAL = `${APPROVAL_SCHEMA}const draft = checkpoint(function draft() { return 42; });
export default flow(async function refund() {
  const amount = await draft();
  const answer = await wait({ name: 'approval', question: 'Refund ' + amount + '?', schema: Approval, metadata: { amount } });
  const why = await wait<string>({ name: 'why', question: 'Why?' });
  return (answer.approved ? 'refunded ' : 'declined ') + amount + ': ' + why;
});
`;

const HURRY = `import { flow, wait } from 'kitaru';
export default flow(async function hurry() {
  const pick = await wait<string>({ name: 'pick', question: 'Pick one?', timeout: '1s', default: 'the default' });
  let late = 'answered';
  try {
    await wait<string>({ name: 'late', question: 'Late?', timeout: '1s' });
  } catch (err) {
    late = (err as Error).name;
  }
  const why = await wait<string>({ name: 'why', question: 'Why?' });
  return pick + ' / ' + late + ' / ' + why;
});
`;

// Drives a pseudo-terminal: each answer is typed once its prompt has been shown that many times.
const PTY = `
import json, os, pty, select, sys, time
args, answers = json.loads(sys.argv[1]), json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(args[0], args)
out, typed, end = b'', 0, time.time() + 30
while time.time() < end:
    if select.select([fd], [], [], 0.1)[0]:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    if typed < len(answers) and out.count(answers[typed][0].encode()) > sum(1 for a in answers[:typed] if a[0] == answers[typed][0]):
        os.write(fd, answers[typed][1].encode())
        typed += 1
sys.stdout.write(out.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
`;

/** Runs the CLI with stdin, stdout and stderr on a pseudo-terminal, typing `answers` ([prompt, text]). */
function typing(
  cwd: string,
  args: string[],
  answers: [string, string][],
): { code: number | null; screen: string } {
  const env = { ...process.env };
  delete env.CI;
  const r = spawnSync(
    'python3',
    ['-c', PTY, JSON.stringify([process.execPath, bin, ...args]), JSON.stringify(answers)],
    { cwd, env, encoding: 'utf8', timeout: 40_000 },
  );
  return { code: r.status, screen: stripVTControlCharacters(r.stdout) + r.stderr };
}

// The pseudo-terminal comes from python3's pty module, on every machine this project runs its
// tests on (the node image ships python3); without it these tests fail, they are not skipped.
describe('waits at a terminal', () => {
  const dir = makeProject();
  write(dir, { 'approval.ts': APPROVAL, 'hurry.ts': HURRY });

  it('run asks each question inline: JSON or text, a refused answer asked again, then completed', () => {
    const { code, screen } = typing(
      dir,
      ['run', 'approval.ts'],
      [
        ['approval> ', '{"approved": "yes"}\n'],
        ['approval> ', '{"approved": true}\n'],
        ['why> ', 'because it broke\n'],
      ],
    );
    assert.equal(code, 0, screen);
    assert.match(screen, /wait approval: Refund 42\?/);
    assert.match(screen, /metadata: \{ amount: 42 \}|metadata: \{"amount":42\}/);
    assert.match(screen, /was refused: approved: expected a boolean/);
    assert.equal(screen.match(/approval> /g)?.length, 2, 'asked again once');
    assert.match(screen, /status: completed/);
    assert.match(screen, /output: 'refunded 42: because it broke'/);
  });

  it('Ctrl-D leaves the execution waiting (exit 3); resume asks again and finishes it', () => {
    const first = typing(dir, ['run', 'approval.ts'], [['approval> ', '\x04']]);
    assert.equal(first.code, 3, first.screen);
    assert.match(first.screen, /status: waiting/);
    assert.match(first.screen, /answer it: kitaru input/);
    const id = first.screen.match(/execution (\S+)/)?.[1] ?? '';
    const resumed = typing(
      dir,
      ['resume', id],
      [
        ['approval> ', 'false\n'],
        ['approval> ', '{"approved": false}\n'],
        ['why> ', '"too late"\n'],
      ],
    );
    assert.equal(resumed.code, 0, resumed.screen);
    assert.match(resumed.screen, /output: 'declined 42: too late'/);
  });

  it('--json never asks: the run suspends, exit 3', () => {
    const { code, screen } = typing(dir, ['run', 'approval.ts', '--json'], []);
    assert.equal(code, 3, screen);
    assert.doesNotMatch(screen, /approval> /);
  });

  it('a deadline passing at the prompt applies at once (the default, or KitaruWaitTimeoutError), nobody typing', () => {
    // Nobody answers pick or late: each deadline passes at its prompt, and the run goes on.
    const { code, screen } = typing(dir, ['run', 'hurry.ts'], [['why> ', 'now\n']]);
    assert.equal(code, 0, screen);
    assert.equal(screen.match(/pick> /g)?.length, 1, screen);
    assert.equal(screen.match(/late> /g)?.length, 1, screen);
    assert.match(screen, /the deadline of wait pick passed/);
    assert.match(screen, /the deadline of wait late passed/);
    assert.match(screen, /output: 'the default \/ KitaruWaitTimeoutError \/ now'/);
  });
});

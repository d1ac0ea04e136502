import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { listenForSignals, signalExitCode } from '../../src/cli/signals.js';
import { divertProcessStdout } from '../../src/cli/terminal.js';
import { delay, tempDir } from '../helpers.js';
import { doc, inProcessCli, writeFlow } from './harness.js';

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await delay(10)) if (check()) return;
  throw new Error(`timed out waiting for ${what}`);
}

describe('listenForSignals', () => {
  it('aborts at the first signal with its name, calls repeat handlers after, and stops listening', async () => {
    const source = new EventEmitter();
    const exits: number[] = [];
    const interrupts = listenForSignals({ source, exitNow: (code) => exits.push(code) });
    const repeats: string[] = [];
    interrupts.onRepeat((s) => repeats.push(s));
    assert.equal(interrupts.signal.aborted, false);
    source.emit('SIGTERM', 'SIGTERM');
    assert.equal(interrupts.signal.reason, 'SIGTERM');
    assert.equal(await interrupts.first, 'SIGTERM');
    assert.deepEqual(repeats, []);
    source.emit('SIGINT', 'SIGINT');
    assert.deepEqual(repeats, ['SIGINT']);
    assert.deepEqual(exits, [], 'ending the process is left to the command');
    interrupts.dispose();
    assert.equal(source.listenerCount('SIGINT') + source.listenerCount('SIGTERM'), 0);
  });

  it('maps SIGINT to 130 and SIGTERM to 143', () => {
    assert.deepEqual([signalExitCode('SIGINT'), signalExitCode('SIGTERM')], [130, 143]);
  });
});

describe('divertProcessStdout', () => {
  it("sends writes to process.stdout to stderr until undone (--json and user code's console)", () => {
    const realOut = process.stdout.write;
    const realErr = process.stderr.write;
    let onErr = '';
    process.stderr.write = ((chunk: string) => {
      onErr += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      const restore = divertProcessStdout();
      process.stdout.write('from user code\n');
      restore();
    } finally {
      process.stderr.write = realErr;
    }
    assert.equal(onErr, 'from user code\n');
    assert.equal(process.stdout.write, realOut);
  });
});

describe('signals during a run, in process', () => {
  // The flow runs in this process: it says it hangs, and waits to be let go, through globalThis.
  const shared = globalThis as { kitaruTest?: { hanging: number; release: boolean } };
  shared.kitaruTest = { hanging: 0, release: false };
  after(() => {
    if (shared.kitaruTest) shared.kitaruTest.release = true; // lets the abandoned attempts end
  });
  const dir = tempDir('kitaru-cli-');
  const file = writeFlow(
    dir,
    'stuck.ts',
    `import { checkpoint, flow } from 'kitaru';
const shared = (globalThis as { kitaruTest?: { hanging: number; release: boolean } }).kitaruTest!;
const step = checkpoint(function step() { return 1; });
const hang = checkpoint(async function hang() {
  shared.hanging++;
  while (!shared.release) await new Promise((r) => setTimeout(r, 10));
  return 2;
});
export default flow(async function stuck() { await step(); return hang(); });
`,
  );

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} records the run as cancelled and exits ${code}; a second one asks to exit at once`, async () => {
      const hanging = shared.kitaruTest?.hanging ?? 0;
      const cli = inProcessCli();
      const { done } = cli.start('run', file, '--json', '--dir', join(dir, '.kitaru'));
      await until(() => shared.kitaruTest?.hanging === hanging + 1, 'the hanging call');
      cli.signals.emit(signal, signal);
      cli.signals.emit(signal, signal);
      const r = await done;
      assert.equal(r.code, code, r.stderr);
      assert.deepEqual(cli.exits, [code]);
      const ex = doc<{ execution: { status: string; error: { type: string } } }>(r).execution;
      assert.deepEqual([ex.status, ex.error.type], ['cancelled', 'KitaruCancelledError']);
      assert.equal(cli.signals.listenerCount(signal), 0, 'the program stops listening at the end');
    });
  }
});

describe('kitaru ui, in process', () => {
  it('prints its one document once it listens, serves the page, and exits 130 on SIGINT', async () => {
    const store = join(tempDir('kitaru-cli-'), '.kitaru');
    const cli = inProcessCli();
    const { captured, done } = cli.start('ui', '--port', '0', '--json', '--dir', store);
    await until(() => captured.stdout.includes('\n'), 'the ui document');
    const { url } = JSON.parse(captured.stdout) as { url: string };
    const page = await fetch(url);
    assert.equal(page.status, 200);
    await page.arrayBuffer();
    cli.signals.emit('SIGINT', 'SIGINT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(doc(r), { command: 'ui', url, store });
  });
});

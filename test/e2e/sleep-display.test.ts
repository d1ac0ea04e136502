import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execIdOf, finished, json, kitaru, kitaruAsync, makeProject, write } from '../e2e-project.js';
import { delay } from '../helpers.js';

// How inspect shows a sleep: sleeping (with its wake time) until it wakes, then the time it slept;
// interrupted when the execution was cancelled during it. On the folder store.

const FILES = {
  'sl.ts': `import { flow, sleep } from 'kitaru';
export default flow(async function sl(ms: number) {
  console.error('about to sleep');
  await sleep(ms);
  return 'woke';
});
`,
};

interface Call {
  id: string;
  kind: string;
  status: string;
  sleep: string | null;
  wakeAt: string | null;
  attempts: { durationMs: number }[];
}

const dir = makeProject();
write(dir, FILES);

/** The execution's sleep call as `inspect --json` shows it, once it is recorded. */
async function sleepCall(id: string): Promise<Call> {
  for (const end = Date.now() + 20_000; Date.now() < end; await delay(20)) {
    const r = kitaru(dir, ['inspect', id, '--json']);
    if (r.code !== 0) continue;
    const call = json<{ execution: { checkpoints: Call[] } }>(r).execution.checkpoints.find(
      (c) => c.kind === 'sleep',
    );
    if (call) return call;
  }
  throw new Error(`execution ${id} never recorded its sleep`);
}

/** Starts `run sl.ts` with the id given, in the background. */
function start(id: string, ms: number) {
  return finished(kitaruAsync(dir, ['run', 'sl.ts', '--id', id, '--args', String(ms)]));
}

describe('inspect shows a sleep as it is', () => {
  it('sleeping with its wake time while it sleeps, then slept for its real duration', async () => {
    const run = start('sl-1', 3000);
    const during = await sleepCall('sl-1');
    assert.equal(during.sleep, 'sleeping');
    const text = kitaru(dir, ['inspect', 'sl-1']);
    assert.match(text.stdout, /sleep\s+sleeping/);
    assert.match(text.stdout, new RegExp(`sleep sleep: sleeping until ${during.wakeAt}`));
    assert.doesNotMatch(text.stdout, /completed/);
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(execIdOf(r), 'sl-1');
    const after = await sleepCall('sl-1');
    assert.equal(after.sleep, 'slept');
    assert.ok((after.attempts[0]?.durationMs ?? 0) >= 2900, JSON.stringify(after));
    assert.match(kitaru(dir, ['inspect', 'sl-1']).stdout, /sleep sleep: slept until/);
  });

  it('interrupted when the execution is cancelled during it', async () => {
    const run = start('sl-2', 60_000);
    await sleepCall('sl-2');
    const cancel = kitaru(dir, ['cancel', 'sl-2']);
    assert.equal(cancel.code, 0, cancel.stderr);
    await run;
    const call = await sleepCall('sl-2');
    assert.equal(call.sleep, 'interrupted');
    const text = kitaru(dir, ['inspect', 'sl-2']).stdout;
    assert.match(text, /sleep\s+interrupted/);
    assert.match(text, /sleep sleep: interrupted/);
  });
});

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  checkpoint,
  createJsonFolderStore,
  currentExecutionId,
  flow,
  isReplay,
  KitaruClient,
  log,
} from '../../src/index.js';
import { tempDir } from '../helpers.js';

const store = createJsonFolderStore(join(tempDir(), '.kitaru'));
const client = new KitaruClient({ store });
const noop = checkpoint(function noop() {
  return 1;
});

describe('guardrails', () => {
  it('a checkpoint called outside a flow throws KitaruContextError at once', () => {
    assert.throws(() => noop(), { name: 'KitaruContextError', message: /outside a flow/ });
    assert.throws(() => noop.submit(), { name: 'KitaruContextError' });
    const one = checkpoint(function one(n: number) {
      return n;
    });
    assert.throws(() => one.map([1]), { name: 'KitaruContextError' });
    assert.throws(() => one.product([1]), { name: 'KitaruContextError' });
  });

  it('a checkpoint called inside another checkpoint fails with KitaruContextError naming both', async () => {
    const outer = checkpoint({ retries: 2 }, async function outer() {
      return noop();
    });
    const f = flow(async function nested() {
      return outer();
    });
    const h = f.with({ store }).run();
    await assert.rejects(h.wait());
    const ex = await client.executions.get(h.execId);
    const attempts = ex.checkpoints[0]?.attempts ?? [];
    assert.equal(attempts.length, 1, 'context errors are not retried');
    assert.equal(attempts[0]?.error?.type, 'KitaruContextError');
    assert.match(attempts[0]?.error?.message ?? '', /"noop" was called inside checkpoint "outer"/);
  });

  it('a flow called inside a flow throws KitaruContextError', async () => {
    const inner = flow(async function inner() {
      return 1;
    });
    const outer = flow(async function outerFlow() {
      return inner();
    });
    await assert.rejects(outer.with({ store }).run().wait(), (err: Error & { cause?: Error }) => {
      assert.equal(err.cause?.name, 'KitaruContextError');
      return true;
    });
  });

  it('log() outside a flow throws KitaruContextError', () => {
    assert.throws(() => log({ a: 1 }), { name: 'KitaruContextError' });
  });

  it('rejects bad options and anonymous functions with KitaruUsageError naming the checkpoint', () => {
    assert.throws(() => checkpoint({ retries: -1 }, function neg() {}), {
      name: 'KitaruUsageError',
      message: /"neg": retries must be an integer >= 0/,
    });
    assert.throws(() => checkpoint({ retries: 1.5 }, function frac() {}), { name: 'KitaruUsageError' });
    assert.throws(() => checkpoint({ backoffFactor: 0.5 }, function bf() {}), { message: /backoffFactor/ });
    assert.throws(() => checkpoint({ retryDelayMs: -3 }, function rd() {}), { message: /retryDelayMs/ });
    assert.throws(() => checkpoint({ retires: 1 } as never, function typo() {}), {
      message: /unknown option "retires"/,
    });
    assert.throws(() => checkpoint(() => 1), {
      name: 'KitaruUsageError',
      message: /^checkpoint at \S*context\.test\.ts:\d+ has no name: give it a name/,
    });
    assert.throws(() => flow({ retries: 'x' } as never, async function fr() {}), {
      message: /"fr": retries/,
    });
  });

  it('takes the name from options, then the string, then the function', () => {
    assert.equal(checkpoint(function a() {}).checkpointName, 'a');
    assert.equal(checkpoint('process_data', (x: number) => x).checkpointName, 'process_data');
    assert.equal(checkpoint({ name: 'opt' }, function b() {}).checkpointName, 'opt');
    assert.equal(flow(async function talker() {}).flowName, 'talker');
    assert.equal(flow('named', async () => 1).flowName, 'named');
  });
});

describe('logs and context', () => {
  it('captures console output into the attempt and log() fields into attempt or execution', async () => {
    const chatty = checkpoint(function chatty() {
      console.log('hello from', 'chatty');
      console.error('a warning');
      log({ tokens: 12 });
      return currentExecutionId();
    });
    const f = flow(async function logging() {
      log({ stage: 'start' });
      return chatty();
    });
    const h = f.with({ store }).run();
    assert.equal(await h.wait(), h.execId);
    const ex = await client.executions.get(h.execId);
    const logs = ex.checkpoints[0]?.attempts[0]?.logs ?? [];
    assert.deepEqual(
      logs.map((l) => [l.callId, l.attempt, l.stream, l.text ?? l.fields]),
      [
        ['chatty', 1, 'stdout', 'hello from chatty'],
        ['chatty', 1, 'stderr', 'a warning'],
        ['chatty', 1, 'log', { tokens: 12 }],
      ],
    );
    const all = await client.executions.logs(h.execId);
    assert.deepEqual(all[0]?.fields, { stage: 'start' });
    assert.equal(all[0]?.callId, undefined);
    assert.equal(all.length, 4);
  });

  it('isReplay() is false in a plain run and currentExecutionId() undefined outside', async () => {
    assert.equal(isReplay(), false);
    assert.equal(currentExecutionId(), undefined);
    const f = flow(async function plain() {
      return isReplay();
    });
    assert.equal(await f.with({ store }).run().wait(), false);
  });
});

describe('the default store', () => {
  it('a flow called directly, or run, without a store records in KITARU_DIR; so does the client read', async () => {
    const dir = join(tempDir(), 'env-store');
    const f = flow(async function fromEnvDir(n: number) {
      return (await noop()) + n;
    });
    // The environment fallback is the behaviour under test here; every other test passes its store.
    process.env.KITARU_DIR = dir;
    try {
      assert.equal(await f(1), 2);
      const h = f.run(2);
      assert.equal(await h.wait(), 3);
      assert.equal((await new KitaruClient().executions.get(h.execId)).output, 3);
    } finally {
      delete process.env.KITARU_DIR;
    }
    const listed = await new KitaruClient({ store: createJsonFolderStore(dir) }).executions.list();
    assert.deepEqual(
      listed.map((e) => [e.flow.name, e.output]),
      [
        ['fromEnvDir', 3],
        ['fromEnvDir', 2],
      ],
    );
  });
});

describe('a second copy of the package', () => {
  it('shares the context: a checkpoint from one copy runs inside a flow from the other', async () => {
    // The CommonJS build is a separate copy of the whole runtime (built by `npm test` first).
    const copy = createRequire(import.meta.url)(
      '../../dist/index.cjs',
    ) as typeof import('../../src/index.js');
    assert.notEqual(copy.checkpoint, checkpoint);
    const fromCopy = copy.checkpoint(function fromCopy(n: number) {
      return n + 1;
    });
    const f = flow(async function mixed() {
      return fromCopy(1);
    });
    const h = f.with({ store }).run();
    assert.equal(await h.wait(), 2);
    assert.throws(() => fromCopy(1), { name: 'KitaruContextError' });
    const ex = await new copy.KitaruClient({ store }).executions.get(h.execId);
    assert.equal(ex.checkpoints[0]?.id, 'fromCopy');
  });
});

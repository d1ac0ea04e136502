import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkpoint, flow, KitaruClient, type Store } from '../../src/index.js';
import { delay } from '../helpers.js';

/** The suite, run once per store: every flow runs, and the client reads, on the `store` given. */
export function semanticsSuite(store: Store): void {
  const client = new KitaruClient({ store });

  describe('call identity and order', () => {
    it('numbers repeated calls name, name_2, name_3 in call order', async () => {
      const step = checkpoint(function step(n: number) {
        return n * 2;
      });
      const f = flow(async function numbering() {
        const a = await step(1);
        const b = await step(2);
        const c = await step(3);
        return [a, b, c];
      });
      const h = f.with({ store }).run();
      assert.deepEqual(await h.wait(), [2, 4, 6]);
      const ex = await client.executions.get(h.execId);
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.id, c.output, c.status, c.origin, c.reason]),
        [
          ['step', 2, 'completed', 'executed', 'new'],
          ['step_2', 4, 'completed', 'executed', 'new'],
          ['step_3', 6, 'completed', 'executed', 'new'],
        ],
      );
      assert.equal(ex.status, 'completed');
      assert.deepEqual(ex.output, [2, 4, 6]);
    });

    it('numbers a loop of submits by invocation order, not completion order', async () => {
      const slow = checkpoint(async function slow(ms: number) {
        await delay(ms);
        return ms;
      });
      const f = flow(async function submitOrder() {
        const futures = [40, 5, 20].map((ms) => slow.submit(ms));
        return Promise.all(futures.map((x) => x.result()));
      });
      const h = f.with({ store }).run();
      assert.deepEqual(await h.wait(), [40, 5, 20]);
      const ex = await client.executions.get(h.execId);
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.id, c.output]),
        [
          ['slow', 40],
          ['slow_2', 5],
          ['slow_3', 20],
        ],
      );
    });
    it('refuses two different checkpoints under one name in an execution, naming both definitions', async () => {
      const a = checkpoint('fetch', async (x: string) => `A:${x}`);
      const b = checkpoint('fetch', async (x: string) => `B:${x}`);
      const f = flow({ retries: 2 }, async function dup() {
        return [await a('x'), await b('x')];
      });
      const h = f.with({ store }).run();
      await assert.rejects(h.wait());
      const ex = await client.executions.get(h.execId);
      assert.equal(ex.status, 'failed');
      assert.equal(ex.error?.type, 'KitaruUsageError');
      assert.match(ex.error?.message ?? '', /"fetch"/);
      assert.match(ex.error?.message ?? '', /semantics-suite\.ts:\d+.*semantics-suite\.ts:\d+/);
      assert.equal(ex.flowAttempts, 1, 'a usage error is not retried');
      assert.deepEqual(
        ex.checkpoints.map((c) => c.id),
        ['fetch'],
      );
    });

    it('accepts one checkpoint definition made again on the same line (in a loop or per attempt)', async () => {
      const make = () => checkpoint('made', (n: number) => n + 1);
      const f = flow(async function remade() {
        const out: number[] = [];
        for (let i = 0; i < 3; i++) out.push(await make()(i));
        return out;
      });
      assert.deepEqual(await f.with({ store }).run().wait(), [1, 2, 3]);
    });
  });

  describe('concurrency helpers', () => {
    it('runs submitted calls concurrently and the future is awaitable', async () => {
      let running = 0;
      let peak = 0;
      const work = checkpoint(async function work(i: number) {
        running++;
        peak = Math.max(peak, running);
        await delay(20);
        running--;
        return i;
      });
      const f = flow(async function parallel() {
        const futures = [1, 2, 3, 4].map((i) => work.submit(i));
        const first = await futures[0];
        return [first, ...(await Promise.all(futures.slice(1).map((x) => x.result())))];
      });
      assert.deepEqual(await f.with({ store }).run().wait(), [1, 2, 3, 4]);
      assert.equal(peak, 4);
    });

    it('map keeps input order and honours concurrency', async () => {
      let running = 0;
      let peak = 0;
      const sq = checkpoint(async function sq(n: number) {
        running++;
        peak = Math.max(peak, running);
        await delay(10 + (5 - n) * 3);
        running--;
        return n * n;
      });
      const f = flow(async function mapped() {
        return sq.map([1, 2, 3, 4, 5], { concurrency: 2 });
      });
      const h = f.with({ store }).run();
      assert.deepEqual(await h.wait(), [1, 4, 9, 16, 25]);
      assert.equal(peak, 2);
      const ex = await client.executions.get(h.execId);
      assert.deepEqual(
        ex.checkpoints.map((c) => c.id),
        ['sq', 'sq_2', 'sq_3', 'sq_4', 'sq_5'],
      );
    });

    it('product calls every combination, first list outermost', async () => {
      const score = checkpoint(function score(s: string, n: number) {
        return s + n;
      });
      const f = flow(async function grid() {
        return score.product(['a', 'b'], [1, 2]);
      });
      assert.deepEqual(await f.with({ store }).run().wait(), ['a1', 'a2', 'b1', 'b2']);
    });

    it('waits for calls still running when the body returns, and records them', async () => {
      const late = checkpoint(async function late() {
        await delay(30);
        return 'done';
      });
      const f = flow(async function leaves() {
        late.submit();
        return 'body returned';
      });
      const h = f.with({ store }).run();
      await h.wait();
      const ex = await client.executions.get(h.execId);
      assert.equal(ex.checkpoints[0]?.status, 'completed');
      assert.equal(ex.checkpoints[0]?.output, 'done');
    });
  });

  describe('failure and retries', () => {
    it('retries a checkpoint with backoff and records every attempt, failed ones first', async () => {
      let n = 0;
      const starts: number[] = [];
      const flaky = checkpoint({ retries: 3, retryDelayMs: 20, backoffFactor: 2 }, function flaky() {
        starts.push(Date.now());
        if (++n < 3) throw new TypeError(`boom ${n}`);
        return 'ok';
      });
      const f = flow(async function retrying() {
        return flaky();
      });
      const h = f.with({ store }).run();
      assert.equal(await h.wait(), 'ok');
      const ex = await client.executions.get(h.execId);
      const attempts = ex.checkpoints[0]?.attempts ?? [];
      assert.deepEqual(
        attempts.map((a) => [a.attempt, a.status, a.error?.type, a.error?.message]),
        [
          [1, 'failed', 'TypeError', 'boom 1'],
          [2, 'failed', 'TypeError', 'boom 2'],
          [3, 'completed', undefined, undefined],
        ],
      );
      assert.match(attempts[0]?.error?.stack ?? '', /boom 1/);
      const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
      assert.ok((gaps[0] as number) >= 18, `first retry waited ${gaps[0]}ms`);
      assert.ok((gaps[1] as number) >= 38, `second retry waited ${gaps[1]}ms (backoff x2)`);
    });

    it('fails the flow when the last attempt fails; no later call starts', async () => {
      let laterRan = false;
      const bad = checkpoint({ retries: 1 }, function bad() {
        throw new Error('always');
      });
      const later = checkpoint(function later() {
        laterRan = true;
      });
      const f = flow(async function failing() {
        await bad();
        await later();
      });
      const h = f.with({ store }).run();
      await assert.rejects(h.wait(), (err: Error & { execId?: string; failure?: { callId?: string } }) => {
        assert.equal(err.name, 'KitaruExecutionError');
        assert.equal(err.execId, h.execId);
        assert.equal(err.failure?.callId, 'bad');
        return true;
      });
      assert.equal(laterRan, false);
      const ex = await client.executions.get(h.execId);
      assert.equal(ex.status, 'failed');
      assert.deepEqual(
        ex.error && { type: ex.error.type, message: ex.error.message, callId: ex.error.callId },
        {
          type: 'Error',
          message: 'always',
          callId: 'bad',
        },
      );
      assert.equal(ex.checkpoints.length, 1);
      assert.equal(ex.checkpoints[0]?.attempts.length, 2);
    });

    it('awaits and records siblings still running when a call fails the flow', async () => {
      const slowOk = checkpoint(async function slowOk() {
        await delay(40);
        return 'sibling';
      });
      const quickFail = checkpoint(async function quickFail() {
        throw new Error('quick');
      });
      const f = flow(async function siblings() {
        const s = slowOk.submit();
        await quickFail();
        return s;
      });
      const h = f.with({ store }).run();
      await assert.rejects(h.wait());
      const ex = await client.executions.get(h.execId);
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.id, c.status]),
        [
          ['slowOk', 'completed'],
          ['quickFail', 'failed'],
        ],
      );
    });

    it('lets the flow catch a failed call and go on', async () => {
      const bad = checkpoint(function caught() {
        throw new Error('handled');
      });
      const f = flow(async function catching() {
        try {
          await bad();
        } catch {
          return 'recovered';
        }
      });
      assert.equal(await f.with({ store }).run().wait(), 'recovered');
    });

    it('flow retries re-run the body, reusing calls that succeeded; attempt numbers continue', async () => {
      let aRuns = 0;
      let bRuns = 0;
      const a = checkpoint(function a() {
        aRuns++;
        return 'A';
      });
      const b = checkpoint(function b() {
        if (++bRuns < 2) throw new Error('first time');
        return 'B';
      });
      const f = flow({ retries: 2 }, async function flowRetry() {
        return (await a()) + (await b());
      });
      const h = f.with({ store }).run();
      assert.equal(await h.wait(), 'AB');
      assert.equal(aRuns, 1);
      const ex = await client.executions.get(h.execId);
      assert.equal(ex.flowAttempts, 2);
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.id, c.attempts.map((x) => `${x.attempt}:${x.status}`)]),
        [
          ['a', ['1:completed']],
          ['b', ['1:failed', '2:completed']],
        ],
      );
    });

    it('does not retry kitaru serialization errors; names checkpoint and path', async () => {
      let runs = 0;
      const sock = checkpoint({ retries: 3 }, function sock() {
        runs++;
        return { user: { socket: () => 1 } };
      });
      const f = flow(async function unstorable() {
        return sock();
      });
      const h = f.with({ store }).run();
      await assert.rejects(h.wait());
      assert.equal(runs, 1);
      const ex = await client.executions.get(h.execId);
      const err = ex.checkpoints[0]?.attempts[0]?.error;
      assert.equal(err?.type, 'KitaruSerializationError');
      assert.match(err?.message ?? '', /checkpoint sock.*output\.user\.socket/);
    });

    it('fails a value nested 10,000 deep once, as a serialization error, without retrying', async () => {
      let runs = 0;
      const deep = checkpoint({ retries: 3, retryDelayMs: 1 }, function deep() {
        runs++;
        let value: unknown = 1;
        for (let i = 0; i < 10_000; i++) value = { next: value };
        return value;
      });
      const f = flow(async function tooDeep() {
        return deep();
      });
      const h = f.with({ store }).run();
      await assert.rejects(h.wait(), { name: 'KitaruExecutionError' });
      assert.equal(runs, 1);
      const ex = await client.executions.get(h.execId);
      const attempts = ex.checkpoints[0]?.attempts ?? [];
      assert.deepEqual(
        attempts.map((a) => [a.status, a.error?.type]),
        [['failed', 'KitaruSerializationError']],
      );
      assert.match(
        attempts[0]?.error?.message ?? '',
        /checkpoint deep: cannot store output\.next\.next.*nested too deeply/,
      );
    });
  });

  describe('values', () => {
    it('round-trips rich values through the store and the client', async () => {
      const when = new Date('2026-01-02T03:04:05.000Z');
      const rich = checkpoint(function rich(d: Date) {
        return {
          d,
          m: new Map([['k', 1n]]),
          s: new Set([1, 2]),
          u: undefined,
          r: /a+/gi,
          url: new URL('https://example.com/x?y=1'),
          e: new RangeError('bad'),
          t: new Uint8Array([1, 2, 3]),
        };
      });
      const f = flow(async function richFlow(d: Date) {
        return rich(d);
      });
      const h = f.with({ store }).run(when);
      await h.wait();
      const ex = await client.executions.get(h.execId);
      const out = ex.checkpoints[0]?.output as Record<string, unknown>;
      assert.ok(out.d instanceof Date && out.d.getTime() === when.getTime());
      assert.deepEqual(out.m, new Map([['k', 1n]]));
      assert.deepEqual(out.s, new Set([1, 2]));
      assert.ok('u' in out && out.u === undefined);
      assert.equal(String(out.r), '/a+/gi');
      assert.equal(String(out.url), 'https://example.com/x?y=1');
      assert.ok(out.e instanceof Error && out.e.message === 'bad');
      assert.deepEqual(out.t, new Uint8Array([1, 2, 3]));
      assert.ok((ex.args as unknown[])[0] instanceof Date);
    });
  });
}

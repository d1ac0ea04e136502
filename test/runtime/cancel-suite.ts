import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  abortSignal,
  checkpoint,
  flow,
  isKitaruError,
  KitaruClient,
  type Store,
  wait,
} from '../../src/index.js';
import { hangingServer } from '../hanging-server.js';

/** The suite, run once per store: time limits, what to retry, abort signals and cancelling. */
export function cancelSuite(store: Store): void {
  const client = new KitaruClient({ store });

  describe('checkpoint timeout', () => {
    it('aborts a hung fetch at each timeout and fails the call after three timed-out attempts', async () => {
      const server = await hangingServer();
      const hang = checkpoint({ timeout: '200ms', retries: 2 }, async function hang(url: string) {
        return (await fetch(url, { signal: abortSignal() })).status;
      });
      const f = flow(async function hungFetch(url: string) {
        return hang(url);
      });
      const out = await f.with({ store }).run(server.url).settled();
      assert.equal(out.status, 'failed');
      const ex = await client.executions.get(out.execId);
      assert.equal(ex.error?.type, 'KitaruTimeoutError');
      const call = ex.checkpoints[0];
      assert.deepEqual(
        call?.attempts.map((a) => [a.attempt, a.status, a.error?.type]),
        [
          [1, 'failed', 'KitaruTimeoutError'],
          [2, 'failed', 'KitaruTimeoutError'],
          [3, 'failed', 'KitaruTimeoutError'],
        ],
      );
      assert.match(call?.attempts[0]?.error?.message ?? '', /ran past its timeout of 200 ms/);
      await server.closedAtLeast(3); // each attempt's request was aborted, not left hanging
      assert.equal(server.received, 3);
    });

    it('fails an attempt at its timeout even when the code ignores the signal, discarding the late value', async () => {
      let finished = false;
      const stubborn = checkpoint({ timeout: 50 }, async function stubborn() {
        await new Promise((resolve) => setTimeout(resolve, 300));
        finished = true;
        return 'late';
      });
      const f = flow(async function ignoresSignal() {
        return stubborn();
      });
      const out = await f.with({ store }).run().settled();
      assert.equal(out.status, 'failed');
      assert.equal(out.error?.type, 'KitaruTimeoutError');
      assert.equal(finished, false, 'failed at the timeout, before the code finished');
      const ex = await client.executions.get(out.execId);
      assert.equal(ex.checkpoints[0]?.output, null);
    });

    it('keeps an attempt that ends within its timeout', async () => {
      const quick = checkpoint({ timeout: '5s' }, async function quick(n: number) {
        return n + 1;
      });
      const f = flow(async function withinTimeout() {
        return quick(1);
      });
      assert.equal(await f.with({ store }).run().wait(), 2);
    });
  });

  describe('retryIf', () => {
    it('ends the call after the first failure when retryIf says false, and retries when it says true', async () => {
      const seen: string[] = [];
      let calls = 0;
      const flaky = checkpoint(
        {
          retries: 3,
          retryIf: (e) => {
            seen.push((e as Error).name);
            return !(e instanceof TypeError);
          },
        },
        function flaky() {
          calls++;
          if (calls === 1) throw new RangeError('try again');
          throw new TypeError('give up');
        },
      );
      const f = flow(async function retryIfFlow() {
        return flaky();
      });
      const out = await f.with({ store }).run().settled();
      assert.equal(out.status, 'failed');
      assert.equal(out.error?.type, 'TypeError');
      assert.deepEqual(seen, ['RangeError', 'TypeError']);
      const ex = await client.executions.get(out.execId);
      assert.deepEqual(
        ex.checkpoints[0]?.attempts.map((a) => a.error?.type),
        ['RangeError', 'TypeError'],
        'two attempts of a budget of four',
      );
    });

    it('can spare timeouts from retries', async () => {
      const slow = checkpoint(
        { timeout: 30, retries: 2, retryIf: (e) => !isKitaruError(e, 'KitaruTimeoutError') },
        async function slow() {
          await new Promise((resolve) => setTimeout(resolve, 200));
        },
      );
      const f = flow(async function noTimeoutRetry() {
        return slow();
      });
      const out = await f.with({ store }).run().settled();
      const ex = await client.executions.get(out.execId);
      assert.deepEqual(
        ex.checkpoints[0]?.attempts.map((a) => a.error?.type),
        ['KitaruTimeoutError'],
      );
    });

    it('fails the call with the error a throwing retryIf threw', async () => {
      const bad = checkpoint(
        {
          retries: 2,
          retryIf: () => {
            throw new Error('retryIf broke');
          },
        },
        function bad() {
          throw new Error('first');
        },
      );
      const f = flow(async function throwingRetryIf() {
        return bad();
      });
      const out = await f.with({ store }).run().settled();
      assert.equal(out.error?.message, 'retryIf broke');
      const ex = await client.executions.get(out.execId);
      assert.equal(ex.checkpoints[0]?.attempts.length, 1);
    });

    it('refuses bad timeout and retryIf options at definition', () => {
      const fn = () => 1;
      for (const options of [{ timeout: 'soon' }, { timeout: 0 }, { timeout: -5 }, { retryIf: 'yes' }]) {
        assert.throws(
          () => checkpoint({ name: 'opt', ...options } as never, fn),
          (e) => isKitaruError(e, 'KitaruUsageError') && /checkpoint "opt"/.test((e as Error).message),
          JSON.stringify(options),
        );
      }
    });
  });

  describe('abortSignal()', () => {
    it('is a KitaruContextError outside a flow', () => {
      assert.throws(
        () => abortSignal(),
        (e) => isKitaruError(e, 'KitaruContextError'),
      );
    });

    it("gives each attempt its own signal, and a flow body the execution's", async () => {
      const signals: AbortSignal[] = [];
      const grab = checkpoint(function grab() {
        signals.push(abortSignal());
        return abortSignal() === signals[signals.length - 1];
      });
      const f = flow(async function signals2() {
        signals.push(abortSignal());
        return [await grab(), await grab()];
      });
      assert.deepEqual(await f.with({ store }).run().wait(), [true, true]);
      assert.equal(new Set(signals).size, 3);
      assert.ok(signals.every((s) => !s.aborted));
    });
  });

  describe('cancelling', () => {
    it('cancels a running execution of this process: its fetch aborted, the attempt recorded cancelled', async () => {
      const server = await hangingServer();
      let bodySignal: AbortSignal | undefined;
      const hang = checkpoint(async function hangLong(url: string) {
        return (await fetch(url, { signal: abortSignal() })).status;
      });
      const f = flow(async function cancelHere(url: string) {
        bodySignal = abortSignal();
        return hang(url);
      });
      const h = f.with({ store }).run(server.url);
      await server.receivedAtLeast(1);
      const ex = await client.executions.cancel(h.execId);
      assert.equal(ex.status, 'cancelled');
      assert.equal((await h.settled()).status, 'cancelled');
      assert.deepEqual(
        ex.checkpoints[0]?.attempts.map((a) => [a.status, a.error?.type]),
        [['failed', 'KitaruCancelledError']],
      );
      assert.match(ex.checkpoints[0]?.attempts[0]?.error?.message ?? '', /kitaru cancel/);
      assert.equal(bodySignal?.aborted, true);
      await server.closedAtLeast(1);
      await assert.rejects(client.executions.cancel(h.execId), (e) => isKitaruError(e, 'KitaruStateError'));
    });

    it('cancels a waiting execution at once; it cannot be resumed or answered after', async () => {
      const f = flow(async function cancelWaiting() {
        return wait({ name: 'ok', question: 'go?' });
      });
      const out = await f.with({ store }).run().settled();
      assert.equal(out.status, 'waiting');
      const ex = await client.executions.cancel(out.execId);
      assert.equal(ex.status, 'cancelled');
      assert.equal(ex.error?.type, 'KitaruCancelledError');
      assert.deepEqual(ex.waits, []);
      assert.ok(ex.endedAt);
      await assert.rejects(client.executions.resume(out.execId), (e) => isKitaruError(e, 'KitaruStateError'));
      await assert.rejects(client.executions.input(out.execId, 'ok', 1), (e) =>
        isKitaruError(e, 'KitaruStateError'),
      );
      await assert.rejects(
        client.executions.cancel(out.execId),
        (e) => isKitaruError(e, 'KitaruStateError') && /cancelled: it has ended/.test((e as Error).message),
      );
      await assert.rejects(client.executions.cancel('no-such-execution'), (e) =>
        isKitaruError(e, 'KitaruNotFoundError'),
      );
    });

    it('a cancel and a resume at once: the execution ends cancelled, its later calls never run', async () => {
      const ran: number[] = [];
      const after = checkpoint(function afterWait(n: number) {
        ran.push(n);
        return n;
      });
      const f = flow(async function raceResume() {
        await wait({ name: 'gate' });
        return after(1);
      });
      const out = await f.with({ store }).run().settled();
      await client.executions.input(out.execId, 'gate', true, { resume: false });
      const [cancelled, resumed] = await Promise.allSettled([
        client.executions.cancel(out.execId),
        client.executions.resume(out.execId),
      ]);
      assert.equal(cancelled.status, 'fulfilled');
      const ex = await client.executions.get(out.execId);
      if (resumed.status === 'rejected') {
        assert.ok(isKitaruError(resumed.reason, 'KitaruStateError'), String(resumed.reason));
        assert.deepEqual(ran, [], 'the resume never ran the flow');
      } else {
        assert.equal(resumed.value.status, 'cancelled');
      }
      assert.equal(ex.status, 'cancelled');
    });
  });
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkpoint,
  flow,
  isKitaruError,
  KitaruClient,
  type StandardSchemaV1,
  type Store,
  sleep,
  wait,
} from '../../src/index.js';
import { delay } from '../helpers.js';

/** A hand-written Standard Schema: `{ ok: boolean }`, validated asynchronously. */
const OkSchema: StandardSchemaV1<unknown, { ok: boolean }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    async validate(value) {
      const v = value as { ok?: unknown } | null;
      if (typeof v?.ok !== 'boolean') return { issues: [{ message: 'ok must be a boolean', path: ['ok'] }] };
      return { value: { ok: v.ok } };
    },
  },
};

/** The suite, run once per store: waits, sleeps, answers and resumes in place. */
export function waitsSuite(store: Store): void {
  const client = new KitaruClient({ store });

  describe('waits and resume in place', () => {
    it('suspends at a wait, lists it, and a resume with the answer runs each completed call once', async () => {
      const ran: string[] = [];
      const step = checkpoint(function wStep(n: number) {
        ran.push(`step(${n})`);
        return n + 1;
      });
      const f = flow(async function approveOnce(n: number) {
        const a = await step(n);
        const answer = await wait({ name: 'approval', question: 'go?', schema: OkSchema, metadata: { a } });
        return [a, answer.ok, await step(a)];
      });
      const h = f.with({ store }).run(1);
      await assert.rejects(h.wait(), (e) => isKitaruError(e, 'KitaruWaitingError'));
      const out = await h.settled();
      assert.equal(out.status, 'waiting');
      assert.deepEqual(
        out.waits.map((w) => [w.id, w.kind, w.question, w.metadata]),
        [['approval', 'wait', 'go?', { a: 2 }]],
      );
      let ex = await client.executions.get(h.execId);
      assert.equal(ex.status, 'waiting');
      assert.deepEqual(
        ex.waits.map((w) => w.id),
        ['approval'],
      );
      assert.deepEqual(
        (await client.executions.list({ status: 'waiting' })).some((e) => e.id === h.execId),
        true,
      );

      ex = await client.executions.input(h.execId, 'approval', { ok: true });
      assert.equal(ex.status, 'completed');
      assert.deepEqual(ex.output, [2, true, 3]);
      assert.equal(ex.resumes, 1);
      assert.deepEqual(ran, ['step(1)', 'step(2)'], 'step(1) ran once, not again on resume');
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.id, c.kind, c.status, c.resolution]),
        [
          ['wStep', 'checkpoint', 'completed', null],
          ['approval', 'wait', 'completed', 'answer'],
          ['wStep_2', 'checkpoint', 'completed', null],
        ],
      );
      await assert.rejects(client.executions.input(h.execId, 'approval', { ok: false }), (e) =>
        isKitaruError(e, 'KitaruStateError'),
      );
    });

    it('numbers waits and sleeps like checkpoints: approval, approval_2, wait, sleep, sleep_2', async () => {
      const f = flow(async function numberedWaits() {
        await sleep(1);
        const all = Promise.all([wait({ name: 'approval' }), wait({ name: 'approval' }), wait()]);
        await sleep('150ms');
        return all;
      });
      const h = f.with({ store }).run();
      const out = await h.settled();
      assert.equal(out.status, 'waiting');
      assert.deepEqual(
        out.waits.map((w) => [w.id, w.kind]),
        [
          ['approval', 'wait'],
          ['approval_2', 'wait'],
          ['wait', 'wait'],
          ['sleep_2', 'sleep'],
        ],
        'a sleep in progress when the execution suspends is listed with its wake time',
      );
      assert.ok(out.waits[3]?.wakeAt);
      await client.executions.input(h.execId, 'approval', 1, { resume: false });
      await client.executions.input(h.execId, 'approval_2', 2, { resume: false });
      const ex = await client.executions.input(h.execId, 'wait', 3);
      assert.equal(ex.status, 'completed');
      assert.deepEqual(ex.output, [1, 2, 3]);
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.id, c.kind]),
        [
          ['sleep', 'sleep'],
          ['approval', 'wait'],
          ['approval_2', 'wait'],
          ['wait', 'wait'],
          ['sleep_2', 'sleep'],
        ],
      );
    });

    it('refuses an answer its schema rejects: recorded with the issues, the wait still pending', async () => {
      const f = flow(async function strictAnswer() {
        return (await wait({ name: 'check', schema: OkSchema })).ok;
      });
      const h = f.with({ store }).run();
      await h.settled();
      let ex = await client.executions.input(h.execId, 'check', { ok: 'yes' });
      assert.equal(ex.status, 'waiting');
      assert.deepEqual(ex.waits[0]?.rejected?.issues, [{ message: 'ok must be a boolean', path: 'ok' }]);
      ex = await client.executions.input(h.execId, 'check', { ok: false });
      assert.equal(ex.status, 'completed');
      assert.equal(ex.output, false);
    });

    it('an unknown wait id is a KitaruStateError listing the pending ones, unless early', async () => {
      const f = flow(async function earlyBird() {
        const a = await wait({ name: 'first' });
        const b = await wait({ name: 'second' });
        return [a, b];
      });
      const h = f.with({ store }).run();
      await h.settled();
      await assert.rejects(client.executions.input(h.execId, 'second', 2), (e) => {
        assert.ok(isKitaruError(e, 'KitaruStateError'));
        assert.match((e as Error).message, /pending waits are: first/);
        return true;
      });
      await client.executions.input(h.execId, 'second', 2, { early: true, resume: false });
      const ex = await client.executions.input(h.execId, 'first', 1);
      assert.equal(ex.status, 'completed');
      assert.deepEqual(ex.output, [1, 2]);
    });

    it('past its deadline a wait resolves to its default, or rejects with a catchable KitaruWaitTimeoutError', async () => {
      const f = flow(async function deadlines() {
        const d = await wait({ name: 'withDefault', timeout: 30, default: 'dflt' });
        let caught = '';
        try {
          await wait({ name: 'noDefault', timeout: '30ms' });
        } catch (err) {
          caught = (err as Error).name;
        }
        return [d, caught];
      });
      const h = f.with({ store }).run();
      const first = await h.settled();
      assert.equal(first.status, 'waiting');
      const deadline = first.waits[0]?.deadline;
      assert.ok(deadline && Date.parse(deadline) > Date.now() - 1000);
      await delay(60);
      let ex = await client.executions.resume(h.execId);
      assert.equal(ex.status, 'waiting', 'the second wait got its own deadline when reached');
      await delay(60);
      ex = await client.executions.resume(h.execId);
      assert.equal(ex.status, 'completed');
      assert.deepEqual(ex.output, ['dflt', 'KitaruWaitTimeoutError']);
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.id, c.status, c.resolution]),
        [
          ['withDefault', 'completed', 'default'],
          ['noDefault', 'failed', 'timeout'],
        ],
      );
    });

    it('a resumed call whose inputs differ from its record fails the execution with KitaruDivergenceError', async () => {
      let seed = 1;
      const step = checkpoint(function divStep(n: number) {
        return n;
      });
      const f = flow(async function diverging() {
        await step(seed);
        return wait();
      });
      const h = f.with({ store }).run();
      await h.settled();
      seed = 2;
      const ex = await client.executions.input(h.execId, 'wait', 'x');
      assert.equal(ex.status, 'failed');
      assert.equal(ex.error?.type, 'KitaruDivergenceError');
      assert.match(ex.error?.message ?? '', /call divStep/);
    });

    it('resumed calls compare their inputs as recorded: rich values resume, a change deep inside diverges', async () => {
      const ran: unknown[] = [];
      const step = checkpoint(function deepStep(input: unknown) {
        ran.push(input);
        return ran.length;
      });
      let inner = 2;
      const f = flow(async function deepInputs() {
        const a = await step({ b: 1, a: [{ d: new Date(5), c: inner }], u: undefined });
        const b = await step([1, undefined, { x: null }]);
        return [a, b, await wait()];
      });
      const h = f.with({ store }).run();
      await h.settled();
      let ex = await client.executions.input(h.execId, 'wait', 'ok', { resume: false });
      ex = await client.executions.resume(h.execId);
      assert.equal(ex.status, 'completed');
      assert.deepEqual(ex.output, [1, 2, 'ok']);
      assert.equal(ran.length, 2, 'each call ran once');

      const h2 = f.with({ store }).run();
      await h2.settled();
      inner = 3;
      ex = await client.executions.input(h2.execId, 'wait', 'ok');
      assert.equal(ex.status, 'failed');
      assert.equal(ex.error?.type, 'KitaruDivergenceError');
      assert.match(ex.error?.message ?? '', /call deepStep\b/);
    });

    it('a sleep records its wake time once: a resume after it returns at once', async () => {
      const f = flow(async function sleeper() {
        await sleep(800);
        return wait();
      });
      const h = f.with({ store }).run();
      const t0 = Date.now();
      await h.settled();
      assert.ok(Date.now() - t0 >= 790, 'the run held until the wake time');
      const before = (await client.executions.get(h.execId)).checkpoints[0]?.wakeAt;
      const t1 = Date.now();
      const ex = await client.executions.input(h.execId, 'wait', 1);
      // A sleep started again would hold for another 800 ms; a loaded machine stays well under it.
      assert.ok(Date.now() - t1 < 790, 'the elapsed sleep returned at once');
      assert.equal(ex.checkpoints[0]?.wakeAt, before, 'the wake time was not moved');
      assert.equal(ex.status, 'completed');
    });

    it('wait() and sleep() outside a flow or inside a checkpoint are a KitaruContextError; a bad duration a KitaruUsageError', async () => {
      assert.throws(
        () => wait(),
        (e) => isKitaruError(e, 'KitaruContextError'),
      );
      assert.throws(
        () => sleep(1),
        (e) => isKitaruError(e, 'KitaruContextError'),
      );
      const inner = checkpoint(function sleepsInside() {
        return sleep(1);
      });
      const f = flow(async function misuse(which: string) {
        if (which === 'inner') return inner();
        return sleep('3 weeks' as '3d');
      });
      const a = await f.with({ store }).run('inner').settled();
      assert.equal(a.status, 'failed');
      assert.equal(a.error?.type, 'KitaruContextError');
      const b = await f.with({ store }).run('bad').settled();
      assert.equal(b.error?.type, 'KitaruUsageError');
      assert.match(b.error?.message ?? '', /"3 weeks"/);
    });

    it('a replay reuses the answers of the source like completed calls', async () => {
      const f = flow(async function replayedAnswer() {
        return { a: await wait({ name: 'a' }) };
      });
      const h = f.with({ store }).run();
      await h.settled();
      await client.executions.input(h.execId, 'a', 'answer');
      const replay = await client.executions.replay(h.execId);
      assert.equal(replay.status, 'completed');
      assert.deepEqual(replay.output, { a: 'answer' });
      assert.deepEqual(
        replay.checkpoints.map((c) => [c.id, c.kind, c.origin]),
        [['a', 'wait', 'reused']],
      );
    });

    it('a replay overrides a wait with wait.<id> (validated by its schema), and a wait at or after --from asks again', async () => {
      const ran: number[] = [];
      const step = checkpoint(function wrStep(n: number) {
        ran.push(n);
        return n * 2;
      });
      const f = flow(async function replayedWait(n: number) {
        const a = await step(n);
        const answer = await wait({ name: 'approval', schema: OkSchema });
        return [a, answer.ok, await step(answer.ok ? 10 : 20)];
      });
      const h = f.with({ store }).run(1);
      await h.settled();
      await client.executions.input(h.execId, 'approval', { ok: true });
      const warnings: string[] = [];
      const replayer = new KitaruClient({ store, onWarning: (m) => warnings.push(m) });

      const over = await replayer.executions.replay(h.execId, {
        overrides: { 'wait.approval': { ok: false } },
      });
      assert.equal(over.status, 'completed');
      assert.deepEqual(over.output, [2, false, 40]);
      assert.deepEqual(
        over.checkpoints.map((c) => [c.id, c.kind, c.origin, c.reason, c.sourceExecId]),
        [
          ['wrStep', 'checkpoint', 'reused', null, h.execId],
          ['approval', 'wait', 'overridden', null, h.execId],
          ['wrStep_2', 'checkpoint', 'executed', 'inputs-changed', null],
        ],
      );
      assert.deepEqual(over.replay?.overrides, { 'wait.approval': { ok: false } });
      assert.deepEqual(over.replay?.unusedOverrides, []);
      assert.deepEqual(ran, [1, 10, 20]);

      const refused = await replayer.executions.replay(h.execId, {
        overrides: { 'wait.approval': { ok: 'no' } },
      });
      assert.equal(refused.status, 'waiting', 'an override the schema refuses leaves the wait asking');
      assert.deepEqual(refused.waits[0]?.rejected?.issues, [{ message: 'ok must be a boolean', path: 'ok' }]);
      const answered = await replayer.executions.input(refused.id, 'approval', { ok: true });
      assert.equal(answered.status, 'completed');
      assert.deepEqual(answered.output, [2, true, 20]);
      assert.deepEqual(answered.replay?.unusedOverrides, [], 'the refused override was used, not unused');

      const from = await replayer.executions.replay(h.execId, { from: 'approval' });
      assert.equal(from.status, 'waiting', 'a wait at --from asks again');
      assert.deepEqual(
        from.waits.map((w) => w.id),
        ['approval'],
      );
      const again = await replayer.executions.input(from.id, 'approval', { ok: false });
      assert.deepEqual(again.output, [2, false, 40]);
      assert.deepEqual(
        again.checkpoints.map((c) => [c.id, c.origin, c.reason]),
        [
          ['wrStep', 'reused', null],
          ['approval', 'executed', 'from'],
          ['wrStep_2', 'executed', 'from'],
        ],
      );

      warnings.length = 0;
      const unused = await replayer.executions.replay(h.execId, {
        overrides: { 'wait.nothing': 1, 'wait.wrStep': 5, 'checkpoint.approval': { ok: false } },
      });
      assert.deepEqual(unused.output, [2, true, 20], 'keys of the wrong kind change nothing');
      assert.deepEqual(unused.replay?.unusedOverrides, [
        'wait.nothing',
        'wait.wrStep',
        'checkpoint.approval',
      ]);
      assert.match(warnings.join('\n'), /never used.*wait\.nothing/);
      await assert.rejects(replayer.executions.replay(h.execId, { overrides: { 'waits.approval': 1 } }), {
        name: 'KitaruUsageError',
      });
      await assert.rejects(replayer.executions.replay(h.execId, { overrides: { 'wait.': 1 } }), {
        name: 'KitaruUsageError',
      });
    });

    it('a replay reuses elapsed sleeps before --from; a sleep at or after --from sleeps again from now', async () => {
      const f = flow(async function replayedSleeps() {
        await sleep(1000);
        await sleep(1000);
        return 'woke';
      });
      const h = f.with({ store }).run();
      await h.settled();
      const source = await client.executions.get(h.execId);
      assert.equal(source.status, 'completed');
      const wakes = source.checkpoints.map((c) => c.wakeAt);
      let t0 = Date.now();
      const all = await client.executions.replay(h.execId);
      // Sleeping again would take 2000 ms; a loaded machine stays well under it.
      assert.ok(Date.now() - t0 < 990, 'elapsed sleeps return at once');
      assert.deepEqual(
        all.checkpoints.map((c) => [c.id, c.kind, c.origin, c.wakeAt]),
        [
          ['sleep', 'sleep', 'reused', wakes[0]],
          ['sleep_2', 'sleep', 'reused', wakes[1]],
        ],
      );
      t0 = Date.now();
      const from = await client.executions.replay(h.execId, { from: 'sleep_2' });
      assert.ok(Date.now() - t0 >= 990, 'the sleep at --from slept again');
      assert.equal(from.output, 'woke');
      assert.deepEqual(
        from.checkpoints.map((c) => [c.id, c.origin, c.reason]),
        [
          ['sleep', 'reused', null],
          ['sleep_2', 'executed', 'from'],
        ],
      );
      assert.equal(from.checkpoints[0]?.wakeAt, wakes[0]);
      assert.ok(
        Date.parse(from.checkpoints[1]?.wakeAt ?? '') >= t0 + 240,
        'a new wake time, from the replay',
      );
    });

    it('resume of an execution that is not waiting or crashed is a KitaruStateError', async () => {
      const f = flow(async function plain() {
        return 1;
      });
      const h = f.with({ store }).run();
      await h.wait();
      await assert.rejects(client.executions.resume(h.execId), (e) => isKitaruError(e, 'KitaruStateError'));
      await assert.rejects(client.executions.input(h.execId, 'wait', 1), (e) =>
        isKitaruError(e, 'KitaruStateError'),
      );
    });
  });
}

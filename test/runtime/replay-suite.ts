import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkpoint, flow, isReplay, KitaruClient, type Store } from '../../src/index.js';

/** The suite, run once per store: flows run, and the client reads and replays, on the `store` given. */
export function replaySuite(store: Store): void {
  const warnings: string[] = [];
  const client = new KitaruClient({ store, onWarning: (m) => warnings.push(m) });

  /** A three-step pipeline that counts how often each step really ran. */
  function pipeline(name: string) {
    const runs = { fetch: 0, summarize: 0, publish: 0 };
    let failPublish = true;
    const fetchDoc = checkpoint({ type: 'tool_call' }, function fetchDoc(url: string) {
      runs.fetch++;
      return `doc:${url}`;
    });
    const summarize = checkpoint({ type: 'llm_call' }, function summarize(doc: string) {
      runs.summarize++;
      return `sum(${doc})`;
    });
    const publish = checkpoint(function publish(text: string) {
      runs.publish++;
      if (failPublish) throw new Error('not ready');
      return `published ${text}`;
    });
    const f = flow(name, async (url: string) => publish(await summarize(await fetchDoc(url))));
    return { f, runs, ready: () => (failPublish = false) };
  }

  describe('replay', () => {
    it('reuses every call that completed with equal inputs and runs the rest', async () => {
      const { f, runs, ready } = pipeline('replayBasic');
      const h = f.with({ store }).run('u1');
      await assert.rejects(h.wait());
      ready();
      const ex = await client.executions.replay(h.execId);
      assert.equal(ex.status, 'completed');
      assert.equal(ex.output, 'published sum(doc:u1)');
      assert.equal(ex.originalExecId, h.execId);
      assert.deepEqual(ex.replay, { sourceExecId: h.execId, overrides: {}, unusedOverrides: [] });
      assert.deepEqual(runs, { fetch: 1, summarize: 1, publish: 2 });
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.id, c.origin, c.reason, c.sourceExecId, c.attempts.length]),
        [
          ['fetchDoc', 'reused', null, h.execId, 0],
          ['summarize', 'reused', null, h.execId, 0],
          ['publish', 'executed', 'not-completed', null, 1],
        ],
      );
      assert.equal(ex.checkpoints[1]?.type, 'llm_call');
      assert.equal(ex.checkpoints[1]?.output, 'sum(doc:u1)');
      const source = await client.executions.get(h.execId);
      assert.equal(source.status, 'failed', 'the source is left untouched');
    });

    it('a replay of a replay points reused calls at the execution that really ran them', async () => {
      const { f, ready } = pipeline('replayChain');
      ready();
      const first = f.with({ store }).run('u2');
      await first.wait();
      const second = await client.executions.replay(first.execId);
      const third = await client.executions.replay(second.id);
      assert.deepEqual(
        third.checkpoints.map((c) => [c.origin, c.sourceExecId, c.output]),
        [
          ['reused', first.execId, 'doc:u2'],
          ['reused', first.execId, 'sum(doc:u2)'],
          ['reused', first.execId, 'published sum(doc:u2)'],
        ],
      );
      assert.equal(third.originalExecId, second.id);
    });

    it('--from runs the selected call and every later one again', async () => {
      const { f, runs, ready } = pipeline('replayFrom');
      ready();
      const h = f.with({ store }).run('u3');
      await h.wait();
      const ex = await client.executions.replay(h.execId, { from: 'summarize' });
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.id, c.origin, c.reason]),
        [
          ['fetchDoc', 'reused', null],
          ['summarize', 'executed', 'from'],
          ['publish', 'executed', 'from'],
        ],
      );
      assert.deepEqual(runs, { fetch: 1, summarize: 2, publish: 2 });
      assert.equal(ex.replay?.from, 'summarize');
    });

    it('an unknown --from selector is a KitaruStateError listing the call ids', async () => {
      const { f, ready } = pipeline('replayBadFrom');
      ready();
      const h = f.with({ store }).run('u4');
      await h.wait();
      await assert.rejects(client.executions.replay(h.execId, { from: 'summarise' }), {
        name: 'KitaruStateError',
        message: /fetchDoc, summarize, publish/,
      });
    });

    it('an override replaces the output without running; downstream calls see new inputs and run', async () => {
      const { f, runs, ready } = pipeline('replayOverride');
      ready();
      const h = f.with({ store }).run('u5');
      await h.wait();
      const ex = await client.executions.replay(h.execId, {
        overrides: { 'checkpoint.summarize': 'EDITED' },
      });
      assert.equal(ex.output, 'published EDITED');
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.id, c.origin, c.reason, c.sourceExecId]),
        [
          ['fetchDoc', 'reused', null, h.execId],
          ['summarize', 'overridden', null, h.execId],
          ['publish', 'executed', 'inputs-changed', null],
        ],
      );
      assert.deepEqual(runs, { fetch: 1, summarize: 1, publish: 2 });
    });

    it('an override wins even after --from, and an unused override is kept and reported', async () => {
      const { f, runs, ready } = pipeline('replayOverrideFrom');
      ready();
      const h = f.with({ store }).run('u6');
      await h.wait();
      warnings.length = 0;
      const ex = await client.executions.replay(h.execId, {
        from: 'fetchDoc',
        overrides: { 'checkpoint.summarize': 'S', 'checkpoint.nothing': 1 },
      });
      assert.deepEqual(
        ex.checkpoints.map((c) => c.origin),
        ['executed', 'overridden', 'executed'],
      );
      assert.equal(runs.summarize, 1);
      assert.deepEqual(ex.replay?.unusedOverrides, ['checkpoint.nothing']);
      assert.match(warnings.join('\n'), /never used.*checkpoint\.nothing/);
    });

    it('rejects override keys not of the form checkpoint.<selector>', async () => {
      const { f, ready } = pipeline('replayBadKey');
      ready();
      const h = f.with({ store }).run('u7');
      await h.wait();
      await assert.rejects(client.executions.replay(h.execId, { overrides: { summarize: 1 } }), {
        name: 'KitaruUsageError',
        message: /checkpoint\.<call-id> or wait\.<wait-id>/,
      });
    });

    it('a wait.<selector> override naming a checkpoint is unused: kept and reported, the call reused', async () => {
      const { f, runs, ready } = pipeline('replayWaitKeyOnCall');
      ready();
      const h = f.with({ store }).run('u9');
      await h.wait();
      warnings.length = 0;
      const ex = await client.executions.replay(h.execId, { overrides: { 'wait.summarize': 'W' } });
      assert.equal(ex.output, 'published sum(doc:u9)');
      assert.deepEqual(
        ex.checkpoints.map((c) => c.origin),
        ['reused', 'reused', 'reused'],
      );
      assert.deepEqual(runs, { fetch: 1, summarize: 1, publish: 1 });
      assert.deepEqual(ex.replay?.unusedOverrides, ['wait.summarize']);
      assert.match(warnings.join('\n'), /never used.*wait\.summarize/);
    });

    it('new args rerun the calls whose inputs change and reuse the others', async () => {
      let shared = 0;
      const constant = checkpoint(function constant() {
        shared++;
        return 'c';
      });
      const echo = checkpoint(function echo(x: number) {
        return x * 10;
      });
      const f = flow(async function argsFlow(x: number) {
        return [await constant(), await echo(x)];
      });
      const h = f.with({ store }).run(1);
      await h.wait();
      const ex = await client.executions.replay(h.execId, { args: [2] });
      assert.deepEqual(ex.output, ['c', 20]);
      assert.deepEqual(ex.args, [2]);
      assert.equal(shared, 1);
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.origin, c.reason]),
        [
          ['reused', null],
          ['executed', 'inputs-changed'],
        ],
      );
    });

    it('a call not in the recording simply runs', async () => {
      let extra = false;
      const a = checkpoint(function stepA() {
        return 1;
      });
      const b = checkpoint(function stepB() {
        return 2;
      });
      const f = flow(async function growing() {
        await a();
        if (extra) await b();
      });
      const h = f.with({ store }).run();
      await h.wait();
      extra = true;
      const ex = await client.executions.replay(h.execId);
      assert.deepEqual(
        ex.checkpoints.map((c) => [c.id, c.origin, c.reason]),
        [
          ['stepA', 'reused', null],
          ['stepB', 'executed', 'new'],
        ],
      );
    });

    it('isReplay() is true inside a replay', async () => {
      const seen: boolean[] = [];
      const probe = checkpoint(function probe(n: number) {
        seen.push(isReplay());
        return n;
      });
      const f = flow(async function replayProbe(n: number) {
        seen.push(isReplay());
        return probe(n);
      });
      const h = f.with({ store }).run(1);
      await h.wait();
      await client.executions.replay(h.execId, { from: 'probe' });
      assert.deepEqual(seen, [false, false, true, true]);
    });

    it('diff compares a run and its replay with decoded values', async () => {
      const when = checkpoint(function when(n: number) {
        return new Date(n);
      });
      const f = flow(async function dated(n: number) {
        return when(n);
      });
      const h = f.with({ store }).run(5);
      await h.wait();
      const same = await client.executions.replay(h.execId);
      const d1 = await client.executions.diff(h.execId, same.id);
      assert.deepEqual(d1.counts, { same: 1, changed: 0, 'only-a': 0, 'only-b': 0 });
      assert.ok(d1.calls[0]?.b?.output instanceof Date);
      const moved = await client.executions.replay(h.execId, { args: [6] });
      const d2 = await client.executions.diff(h.execId, moved.id);
      assert.equal(d2.calls[0]?.change, 'changed');
      assert.equal(d2.outputChanged, true);
    });

    it('a replay that fails resolves to the failed execution', async () => {
      const { f } = pipeline('replayStillFails');
      const h = f.with({ store }).run('u8');
      await assert.rejects(h.wait());
      const ex = await client.executions.replay(h.execId);
      assert.equal(ex.status, 'failed');
      assert.equal(ex.error?.callId, 'publish');
    });
  });
}

// npm run bench: kitaru against raw-fs baselines, as ratios measured in one run (see docs/performance.md).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KitaruClient } from 'kitaru';
import { JSONFilePreset } from 'lowdb/node';
import pg from 'pg';
import { startCluster } from '../scripts/pg-cluster.mjs';
import fanOut from './flows/fan-out.js';
import seq from './flows/seq.js';
import three from './flows/three.js';
import { type Figure, figure, median, record, time } from './measure.js';
import { rawCalls, rawCallsConcurrent, rawExecDir, rawSmallFlow } from './raw.js';
import { measureWorkers } from './workers.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const reps = Number(process.env.BENCH_REPS ?? 7);
const root = mkdtempSync(join(tmpdir(), 'kitaru-bench-'));
const store = join(root, 'project', '.kitaru');
process.env.KITARU_DIR = store;
delete process.env.KITARU_FSYNC;
const client = new KitaruClient();
let rawSeq = 0;
let pgUrl = '';
let insertRuns = 0;
let pgClient: pg.Client;
const rawId = () => `raw${String(++rawSeq).padStart(19, '0')}`;

const F = {
  perCheckpoint: figure(
    'per-checkpoint overhead',
    '(run of 8000 - run of 0) / 8000 vs one atomic write',
    1.25,
  ),
  growth: figure('growth', 'per-checkpoint cost at 8000 / at 2000', 1.1),
  coldStart: figure('cold start', '`kitaru run hello.ts` vs `node --import tsx plain.ts`', 1.15),
  replay: figure('replay', 'replay of the 8000-call run, all reused, vs the run', 0.2),
  fanOut: figure('fan-out', '1000 .submit() calls, per call, vs one atomic write', 1),
  memory: figure('memory', 'peak RSS of the 8000-call run vs the 0-call run (CLI)', 1.5),
  smallFlows: figure('small flows', '3-step flow.run().wait(), per run, vs the same file work by hand', 1.5),
  durable: figure('durable mode', 'per-checkpoint with KITARU_FSYNC=1 vs write+fsync+rename+dir fsync', 1.25),
  postgres: figure(
    'postgres',
    'per-checkpoint on the Postgres store vs one single-row INSERT round trip',
    1.5,
  ),
};

function payloadOf(execId: string): { call: string; execution: string } {
  const dir = join(store, 'executions', execId);
  const files = readdirSync(join(dir, 'checkpoints')).sort();
  return {
    call: readFileSync(join(dir, 'checkpoints', files[Math.floor(files.length / 2)] as string), 'utf8'),
    execution: readFileSync(join(dir, 'execution.json'), 'utf8'),
  };
}

function spawnTimed(args: string[], env: Record<string, string> = {}): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  if (r.status !== 0) throw new Error(`bench command failed: node ${args.join(' ')}`);
  return performance.now() - start;
}

function peakRss(args: string[]): number {
  const file = join(root, `rss-${Math.random()}`);
  spawnTimed(['--import', join(here, 'rss-probe.mjs'), ...args], { KITARU_BENCH_RSS: file });
  return Number(readFileSync(file, 'utf8'));
}

/**
 * Times `a` and `b` in the order a, b, b, a and returns the two sums: on a machine whose speed
 * drifts during the repetition, both sides see the same drift.
 */
async function abba(a: () => unknown, b: () => unknown): Promise<[number, number]> {
  const a1 = await time(a);
  const b1 = await time(b);
  const b2 = await time(b);
  const a2 = await time(a);
  return [a1 + a2, b1 + b2];
}

async function repetition(rep: number): Promise<void> {
  // Sequential checkpoints and growth.
  const t0 =
    (
      await abba(
        () => seq.run(0).wait(),
        () => seq.run(0).wait(),
      )
    ).reduce((x, y) => x + y) / 4;
  let last8k = '';
  const run8k = async () => {
    const h = seq.run(8000);
    await h.wait();
    last8k = h.execId;
  };
  const [t2k, t8k] = await abba(() => seq.run(2000).wait(), run8k);
  const { call, execution } = payloadOf(last8k);
  const [raw8k, k8k] = await abba(() => rawCalls(rawExecDir(root, rawId()), 8000, call), run8k);
  const per8k = (k8k / 2 - t0) / 8000;
  const per2k = (t2k / 2 - t0) / 2000;
  const rawPer = raw8k / 2 / 8000;
  record(F.perCheckpoint, per8k / rawPer, { kitaruUs: per8k * 1000, rawWriteUs: rawPer * 1000 });
  record(F.growth, (t8k / 2 - t0) / 8000 / per2k, { at2000Us: per2k * 1000, at8000Us: per8k * 1000 });

  // Replay of the last 8000-call run, all reused, against runs of the same flow.
  const [tRun, tReplay] = await abba(run8k, () => client.executions.replay(last8k));
  record(F.replay, tReplay / tRun, { replayMs: tReplay / 2, runMs: tRun / 2 });

  // Fan-out.
  const [rawFan, tFan] = await abba(
    () => rawCalls(rawExecDir(root, rawId()), 1000, call),
    () => fanOut.run(1000).wait(),
  );
  // For context: the same 1000 writes issued concurrently on the thread pool, against the loop.
  const [rawLoop, rawConcurrent] = await abba(
    () => rawCalls(rawExecDir(root, rawId()), 1000, call),
    () => rawCallsConcurrent(rawExecDir(root, rawId()), 1000, call),
  );
  record(F.fanOut, (tFan / 2 - t0) / (rawFan / 2), {
    perCallUs: ((tFan / 2 - t0) / 1000) * 1000,
    concurrentWritesVsLoop: rawConcurrent / rawLoop,
  });

  // Small flows.
  const runs = 200;
  const [rawSmall, tSmall] = await abba(
    () => {
      for (let i = 0; i < runs; i++) rawSmallFlow(root, rawId(), 3, call, execution);
    },
    async () => {
      for (let i = 0; i < runs; i++) await three.run(i).wait();
    },
  );
  record(F.smallFlows, tSmall / rawSmall, { perRunMs: tSmall / 2 / runs, rawPerRunMs: rawSmall / 2 / runs });

  // Durable mode.
  const n = 200;
  process.env.KITARU_FSYNC = '1';
  const [d0, dN] = await abba(
    () => seq.run(0).wait(),
    () => seq.run(n).wait(),
  );
  const rawDurableOnce = () => time(() => rawCalls(rawExecDir(root, rawId()), n, call, true));
  const rawDurable = (await rawDurableOnce()) + (await rawDurableOnce());
  delete process.env.KITARU_FSYNC;
  record(F.durable, (dN - d0) / n / (rawDurable / n), { perCheckpointUs: ((dN - d0) / 2 / n) * 1000 });

  // Cold start, three a-b-b-a rounds.
  const cli = [join(repo, 'bin', 'kitaru.js'), 'run', join(here, 'flows', 'hello.ts')];
  const plain = ['--import', 'tsx', join(here, 'flows', 'plain.ts')];
  let tsxMs = 0;
  let kitaruMs = 0;
  for (let i = 0; i < 3; i++) {
    const [a, b] = await abba(
      () => spawnTimed(plain),
      () => spawnTimed(cli),
    );
    tsxMs += a;
    kitaruMs += b;
  }
  record(F.coldStart, kitaruMs / tsxMs, { kitaruMs: kitaruMs / 6, tsxMs: tsxMs / 6 });

  // Postgres: the same flow on a throwaway local cluster, against INSERTs of the same payload.
  const pgN = 1000;
  process.env.KITARU_STORE = pgUrl;
  const [p0, pN] = await abba(
    () => seq.run(0).wait(),
    () => seq.run(pgN).wait(),
  );
  const pgFanOut = await time(() => fanOut.run(pgN).wait());
  delete process.env.KITARU_STORE;
  const rawInserts = async () => {
    const run = ++insertRuns;
    for (let i = 0; i < pgN; i++) {
      await pgClient.query('insert into bench_raw (run, seq, doc) values ($1, $2, $3)', [run, i, call]);
    }
  };
  const pgRaw = (await time(rawInserts)) + (await time(rawInserts));
  record(F.postgres, (pN - p0) / pgRaw, {
    perCheckpointUs: ((pN - p0) / 2 / pgN) * 1000,
    insertUs: (pgRaw / 2 / pgN) * 1000,
    fanOutPerCallUs: (pgFanOut / pgN) * 1000,
  });

  // Memory, through the CLI.
  const seqFile = join(here, 'flows', 'seq.ts');
  const rss0 = peakRss([join(repo, 'bin', 'kitaru.js'), 'run', seqFile, '--args', '0']);
  const rss8k = peakRss([join(repo, 'bin', 'kitaru.js'), 'run', seqFile, '--args', '8000']);
  record(F.memory, rss8k / rss0, { rss0Mb: rss0 / 2 ** 20, rss8000Mb: rss8k / 2 ** 20 });
  if (rep === 0) console.error('  (a repetition takes about ten seconds)');
}

/** For context only: one lowdb document rewritten on every checkpoint, as a naive store would. */
async function naiveLowdb(n: number): Promise<number> {
  const dir = join(root, `naive-${n}`);
  mkdirSync(dir);
  const db = await JSONFilePreset<{ calls: unknown[] }>(join(dir, 'db.json'), { calls: [] });
  return time(async () => {
    for (let i = 0; i < n; i++) {
      db.data.calls.push({ id: `tiny_${i + 1}`, status: 'completed', input: [i], output: i + 1 });
      await db.write();
    }
  });
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

async function main(): Promise<void> {
  console.error(`kitaru bench: ${reps} repetitions, store in ${root}`);
  execFileSync(process.execPath, [join(repo, 'scripts', 'ensure-system.mjs'), 'postgres'], {
    stdio: 'inherit',
  });
  const cluster = await startCluster();
  pgUrl = cluster.url;
  pgClient = new pg.Client(pgUrl);
  await pgClient.connect();
  await pgClient.query('create table bench_raw (run int, seq int, doc json, primary key (run, seq))');
  await seq.run(500).wait(); // warm up the JIT and the file system
  for (let rep = 0; rep < reps; rep++) {
    await repetition(rep);
    console.error(`  repetition ${rep + 1}/${reps} done`);
  }
  console.error('  workers: executions per second with 1, 2 and 4 worker processes');
  const workers = await measureWorkers(pgUrl, 3);
  const naive2k = await naiveLowdb(2000);
  const naive8k = await naiveLowdb(8000);
  const rows = Object.values(F).map((f: Figure) => {
    const ratio = median(f.ratios);
    const context = Object.entries(f.context)
      .map(([k, v]) => `${k} ${fmt(median(v))}`)
      .join(', ');
    return {
      figure: f.name,
      how: f.how,
      ratio,
      target: f.target,
      pass: ratio <= f.target,
      context,
      ratios: f.ratios,
    };
  });
  const naive = {
    perCheckpointUsAt2000: (naive2k / 2000) * 1000,
    perCheckpointUsAt8000: (naive8k / 8000) * 1000,
  };
  console.log('| figure | median ratio | target | result | context (medians) |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.figure} | ${r.ratio.toFixed(2)}x | <= ${r.target}x | ${r.pass ? 'pass' : 'MISS'} | ${r.context} |`,
    );
  }
  console.log(
    `\nContext: a single lowdb document rewritten on every checkpoint costs ${fmt(naive.perCheckpointUsAt2000)} us ` +
      `per checkpoint at 2000 calls and ${fmt(naive.perCheckpointUsAt8000)} us at 8000.`,
  );
  console.log(
    `\nQueue mode (3-step flow, 200 queued executions, worker --concurrency 4, median of 3): ${Object.entries(
      workers,
    )
      .map(([k, v]) => `${k} ${v.toFixed(0)} executions/s`)
      .join(', ')}.`,
  );
  const out = join(here, 'results.json');
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, reps, figures: rows, naiveLowdb: naive, workersExecutionsPerSecond: workers }, null, 2)}\n`,
  );
  console.error(`figures written to ${out}`);
  rmSync(root, { recursive: true, force: true });
  await pgClient.end();
  cluster.stop();
}

await main();

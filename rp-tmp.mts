import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KitaruClient } from 'kitaru';

process.env.KITARU_DIR = join(mkdtempSync(join(tmpdir(), 'kb-')), '.kitaru');
const { default: seq } = await import('./bench/flows/seq.ts');
const client = new KitaruClient();
await seq.run(500).wait();
for (let i = 0; i < 4; i++) {
  const h = seq.run(8000);
  let t = performance.now();
  await h.wait();
  const run = performance.now() - t;
  t = performance.now();
  await client.executions.replay(h.execId);
  const rp = performance.now() - t;
  console.log('run', run.toFixed(0), 'replay', rp.toFixed(0), 'ratio', (rp / run).toFixed(2));
}

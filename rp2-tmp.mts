import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KitaruClient } from 'kitaru';

process.env.KITARU_DIR = join(mkdtempSync(join(tmpdir(), 'kb-')), '.kitaru');
const { default: seq } = await import('./bench/flows/seq.ts');
const client = new KitaruClient();
const h = seq.run(8000);
await h.wait();
for (let i = 0; i < 10; i++) await client.executions.replay(h.execId);
const t = performance.now();
for (let i = 0; i < 10; i++) await client.executions.replay(h.execId);
console.log('replay ms', ((performance.now() - t) / 10).toFixed(0));

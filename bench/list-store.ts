// A store of many format-2 executions for the list figures, written quickly: one completed and one
// failed execution are run for real, then copied under new ids (execution.json + journal.jsonl).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createJsonFolderStore } from 'kitaru';
import fails from './flows/fails.js';
import three from './flows/three.js';

const DIGITS = '0123456789abcdefghjkmnpqrstvwxyz';

/** `width` base-32 digits of `value` (kitaru's id alphabet). */
function base32(value: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = DIGITS[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

/** Reads the two files of execution `id`. */
function filesOf(root: string, id: string): { summary: string; journal: string } {
  const dir = join(root, 'executions', id);
  return {
    summary: readFileSync(join(dir, 'execution.json'), 'utf8'),
    journal: readFileSync(join(dir, 'journal.jsonl'), 'utf8'),
  };
}

/**
 * Fills the store folder `root` with `count` executions of the 3-step flow, one in `failedEvery`
 * failed (spread evenly: positions failedEvery/2, failedEvery/2 + failedEvery, ...), created one
 * millisecond apart. Ids are generated-shaped (time-sortable like kitaru's), but with
 * `chosenEvery`, one in that many has a chosen id (`order-<n>`: not in time order) and a line in
 * the creation index, as `--id` makes them. Returns how many failed.
 */
export async function makeListStore(
  root: string,
  count: number,
  failedEvery: number,
  chosenEvery = 0,
): Promise<number> {
  const store = createJsonFolderStore(root);
  const ok = three.with({ store }).run(1);
  await ok.wait();
  const bad = fails.with({ store }).run(1);
  await bad.wait().catch(() => {});
  const templates = {
    ok: { id: ok.execId, ...filesOf(root, ok.execId) },
    bad: { id: bad.execId, ...filesOf(root, bad.execId) },
  };
  rmSync(join(root, 'executions', ok.execId), { recursive: true });
  rmSync(join(root, 'executions', bad.execId), { recursive: true });
  const start = Date.now() - count;
  let failed = 0;
  let index = '';
  for (let i = 0; i < count; i++) {
    const isFailed = i % failedEvery === Math.floor(failedEvery / 2);
    if (isFailed) failed++;
    const t = isFailed ? templates.bad : templates.ok;
    const chosen = chosenEvery > 0 && i % chosenEvery === 0;
    const id = chosen ? `order-${(i * 7919) % count}` : base32(start + i, 10) + base32(i, 12);
    const createdAt = new Date(start + i).toISOString();
    if (chosen) index += `${JSON.stringify({ id, createdAt })}\n`;
    const created = (text: string) => text.replace(/"createdAt": ?"[^"]*"/, `"createdAt":"${createdAt}"`);
    const dir = join(root, 'executions', id);
    mkdirSync(dir);
    writeFileSync(join(dir, 'journal.jsonl'), created(t.journal.replaceAll(t.id, id)));
    writeFileSync(join(dir, 'execution.json'), created(t.summary.replaceAll(t.id, id)));
  }
  if (index) writeFileSync(join(root, 'created.jsonl'), index);
  return failed;
}

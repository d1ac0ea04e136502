// Concurrent calls: submit/result, map (input order) and product (every combination).
//   kitaru run flows/fan-out.ts
import { setTimeout as delay } from 'node:timers/promises';
import { abortSignal, checkpoint, flow } from 'kitaru';

// Each attempt may take 5 s at most; abortSignal() stops the wait at that timeout, or when the
// execution is cancelled (kitaru cancel, Ctrl-C). Pass it to fetch the same way.
const fetchPage = checkpoint(
  { type: 'tool_call', timeout: '5s', retries: 1 },
  async function fetchPage(url: string) {
    await delay(20 + Math.random() * 30, undefined, { signal: abortSignal() });
    return `<html>${url}</html>`;
  },
);

const measure = checkpoint(function measure(page: string) {
  return page.length;
});

const label = checkpoint(function label(prefix: string, n: number) {
  return `${prefix}${n}`;
});

export default flow(async function fanOut(urls: string[] = ['a.example', 'b.example', 'c.example']) {
  const futures = urls.map((u) => fetchPage.submit(u));
  const pages = await Promise.all(futures.map((f) => f.result()));
  const lengths = await measure.map(pages, { concurrency: 2 });
  const grid = await label.product(['a', 'b'], [1, 2]);
  return { lengths, grid };
});

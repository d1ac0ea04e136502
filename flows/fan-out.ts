// Concurrent calls: submit/result, map (input order) and product (every combination).
//   kitaru run flows/fan-out.ts
import { checkpoint, flow } from 'kitaru';

const fetchPage = checkpoint({ type: 'tool_call' }, async function fetchPage(url: string) {
  await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
  return `<html>${url}</html>`;
});

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

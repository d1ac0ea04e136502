// n concurrent submitted checkpoints.
import { checkpoint, flow } from 'kitaru';

const tiny = checkpoint(function leaf(i: number) {
  return i + 1;
});

export default flow(async function fanOut(n: number) {
  const futures = Array.from({ length: n }, (_, i) => tiny.submit(i));
  return (await Promise.all(futures.map((f) => f.result()))).length;
});

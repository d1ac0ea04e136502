// A flow that fails after one checkpoint (the failed executions of the list scenario).
import { checkpoint, flow } from 'kitaru';

const step = checkpoint(function step(x: number) {
  return x + 1;
});

export default flow(async function fails(x: number) {
  await step(x);
  throw new Error(`bench failure ${x}`);
});

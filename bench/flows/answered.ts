// A step, a wait, a step: the time from an answer to the second step starting on a worker.
import { checkpoint, flow, wait } from 'kitaru';

const before = checkpoint(function before(x: number) {
  return x + 1;
});
const after = checkpoint(function after(x: number) {
  return x * 2;
});

export default flow(async function answered(x: number) {
  const a = await before(x);
  const add = await wait<number>({ name: 'go' });
  return after(a + add);
});

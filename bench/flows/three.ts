// The 3-step flow peers publish figures for.
import { checkpoint, flow } from 'kitaru';

const a = checkpoint(function stepA(x: number) {
  return x + 1;
});
const b = checkpoint(function stepB(x: number) {
  return x * 2;
});
const c = checkpoint(function stepC(x: number) {
  return `result ${x}`;
});

export default flow(async function three(x: number) {
  return c(await b(await a(x)));
});

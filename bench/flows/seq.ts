// n tiny sequential checkpoints (the per-checkpoint scenario).
import { checkpoint, flow } from 'kitaru';

const tiny = checkpoint(function tiny(i: number) {
  return i + 1;
});

export default flow(async function seq(n: number) {
  let x = 0;
  for (let i = 0; i < n; i++) x = await tiny(i);
  return x;
});

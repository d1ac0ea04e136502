// n tiny sequential checkpoints (the per-checkpoint scenario).
import { checkpoint, flow } from 'kitaru';

const tiny = checkpoint(function tiny(i: number) {
  return i + 1;
});

/**
 * performance.now() at the start of each quarter of the last run's calls and at its end (five
 * marks when n >= 4): the growth figure compares the quarters of one run.
 */
export const marks: number[] = [];

export default flow(async function seq(n: number) {
  marks.length = 0;
  const quarter = Math.max(1, Math.floor(n / 4));
  let x = 0;
  for (let i = 0; i < n; i++) {
    if (i % quarter === 0) marks.push(performance.now());
    x = await tiny(i);
  }
  marks.push(performance.now());
  return x;
});

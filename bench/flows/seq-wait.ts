// n tiny sequential checkpoints, then a wait (the resume scenario: a resume reads n completed calls).
import { checkpoint, flow, wait } from 'kitaru';

const tiny = checkpoint(function tiny(i: number) {
  return i + 1;
});

export default flow(async function seqWait(n: number) {
  let x = 0;
  for (let i = 0; i < n; i++) x = await tiny(i);
  const answer = await wait<number>({ name: 'done' });
  return x + answer;
});

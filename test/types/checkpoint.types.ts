// Type tests, checked by `npm run typecheck` and never run. A line under `@ts-expect-error` must
// fail to compile: if the types grow looser, the directive is unused and tsc fails.
import { abortSignal, type Checkpoint, checkpoint } from '../../src/index.js';

const add = checkpoint(function add(a: number, b: number) {
  return a + b;
});
const double = checkpoint(function double(n: number) {
  return n * 2;
});
const scale = checkpoint(function scale(n: number, by?: number) {
  return n * (by ?? 2);
});
const withDefault = checkpoint(function withDefault(n: number, by = 2) {
  return n * by;
});
const sum = checkpoint(function sum(...ns: number[]) {
  return ns.reduce((a, b) => a + b, 0);
});
const none = checkpoint(function none() {
  return 1;
});
const label = checkpoint(async function label(s: string) {
  return s.toUpperCase();
});

/** `.map` takes a checkpoint callable with one argument, and items of that argument's type. */
export async function mapTypes(): Promise<void> {
  const doubled: number[] = await double.map([1, 2]);
  const labels: string[] = await label.map(['a'], { concurrency: 2 });
  await scale.map([1, 2]);
  await withDefault.map([1, 2]);
  await sum.map([1, 2]);
  const readonlyItems: readonly number[] = [1, 2];
  await double.map(readonlyItems);
  // @ts-expect-error add needs two arguments; map would pass one (and return NaNs)
  await add.map([1, 2]);
  // @ts-expect-error none takes no argument
  await none.map([1]);
  // @ts-expect-error items of the wrong type
  await double.map(['x']);
  // @ts-expect-error map returns the checkpoint's results
  const wrong: string[] = await double.map([1]);
  void [doubled, labels, wrong];
}

/** `.product` takes one list per parameter (optional parameters may be left out), then options. */
export async function productTypes(): Promise<void> {
  const sums: number[] = await add.product([1, 2], [3, 4]);
  await add.product([1, 2], [3, 4], { concurrency: 2 });
  await double.product([1, 2]);
  await scale.product([1, 2]);
  await scale.product([1, 2], [3]);
  // @ts-expect-error one list for two parameters
  await add.product([1, 2]);
  // @ts-expect-error three lists for two parameters
  await add.product([1], [2], [3]);
  // @ts-expect-error a list of the wrong type
  await add.product([1], ['x']);
  // @ts-expect-error two lists for one parameter
  await double.product([1, 2], [3]);
  void sums;
}

/** Calls and `.submit` keep the function's parameters. */
export async function callTypes(): Promise<void> {
  const n: number = await add(1, 2);
  const future = add.submit(1, 2);
  const m: number = await future;
  // @ts-expect-error a missing argument
  await add(1);
  const cp: Checkpoint<[number, number], number> = add;
  void [n, m, cp];
}

/** `timeout` takes milliseconds or a duration string; `retryIf` a function of the error. */
export function timeLimitTypes(): void {
  checkpoint({ timeout: 500, retries: 2 }, async function t1() {});
  checkpoint({ timeout: '30s', retryIf: (e: unknown) => e instanceof TypeError }, async function t2() {});
  // @ts-expect-error a duration needs a unit kitaru knows
  checkpoint({ timeout: '30 seconds' }, async function t3() {});
  // @ts-expect-error retryIf returns a boolean
  checkpoint({ retryIf: () => 'yes' }, async function t4() {});
  // @ts-expect-error retryIf is a function, not a flag
  checkpoint({ retryIf: true }, async function t5() {});
  const signal: AbortSignal = abortSignal();
  void signal;
}

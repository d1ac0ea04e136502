// Type tests of wait() and sleep(), checked by `npm run typecheck` and never run.
import { type StandardSchemaV1, sleep, wait } from '../../src/index.js';

/** A minimal hand-written Standard Schema whose output is `{ approved: boolean; note?: string }`. */
declare const Approval: StandardSchemaV1<unknown, { approved: boolean; note?: string }>;

export async function waitTypes(): Promise<void> {
  const answer = await wait({ name: 'approval', question: 'ok?', schema: Approval, timeout: '2d' });
  const approved: boolean = answer.approved;
  const note: string | undefined = answer.note;
  // @ts-expect-error the schema's output has no `amount`
  answer.amount;
  // @ts-expect-error the answer is not a string
  const asString: string = answer;

  const plain = await wait();
  // @ts-expect-error without a schema the answer is unknown
  plain.anything;
  const typed = await wait<number>({ question: 'how many?' });
  const n: number = typed;

  const withDefault = await wait({ schema: Approval, timeout: 1000, default: { approved: false } });
  void withDefault.approved;
  // @ts-expect-error the default must match the schema's output
  await wait({ schema: Approval, default: 'no' });
  // @ts-expect-error a duration is a number or a number with a unit
  await wait({ timeout: '2 days' });

  const slept: null = await sleep('10m');
  await sleep(new Date());
  await sleep(250);
  // @ts-expect-error not a duration
  await sleep('soon');
  void [approved, note, asString, n, slept];
}

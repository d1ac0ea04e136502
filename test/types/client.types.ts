// Type tests of KitaruClient, checked by `npm run typecheck` and never run (see checkpoint.types.ts).
import { checkpoint, type Execution, flow, type KitaruClient } from '../../src/index.js';

const summarize = flow(async function summarize(url: string, depth?: number) {
  return { url, words: depth ?? 3 };
});
const fetchPage = checkpoint(async function fetchPage(url: string) {
  return url;
});

/** `get<typeof flow>` carries the flow's argument and output types; plain `get` stays unknown. */
export async function getTypes(client: KitaruClient): Promise<void> {
  const ex = await client.executions.get<typeof summarize>('01m842db');
  const args: [url: string, depth?: number] = ex.args;
  const url: string = ex.args[0];
  if (ex.status === 'completed') {
    const words: number = ex.output.words;
    void words;
  } else {
    const nothing: null = ex.output;
    void nothing;
  }
  // @ts-expect-error the output is null until the execution completed
  void ex.output.words;
  // @ts-expect-error the arguments are the flow's
  const badArgs: [number] = ex.args;
  // @ts-expect-error the output is the flow's
  if (ex.status === 'completed') void ex.output.missing;
  const asPlain: Execution = ex;
  ex.checkpoints.map((c) => c.id);

  const plain = await client.executions.get('01m842db');
  const output: unknown = plain.output;
  // @ts-expect-error untyped output is unknown
  void plain.output.words;
  // @ts-expect-error only a flow can type an execution
  await client.executions.get<typeof fetchPage>('01m842db');
  void [args, url, badArgs, asPlain, output];
}

/** `cancel` resolves to the cancelled execution; its timeout is in milliseconds. */
export async function cancelTypes(client: KitaruClient): Promise<void> {
  const ex: Execution = await client.executions.cancel('01m842db', { timeoutMs: 5000 });
  // @ts-expect-error timeoutMs is a number of milliseconds
  await client.executions.cancel('01m842db', { timeoutMs: '5s' });
  void ex;
}

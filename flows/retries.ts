// A flaky call that succeeds on its third attempt; inspect shows every attempt.
//   kitaru run flows/retries.ts && kitaru inspect <exec-id> --attempts
import { checkpoint, flow, log } from 'kitaru';

let calls = 0;

const callModel = checkpoint(
  {
    type: 'llm_call',
    retries: 3,
    retryDelayMs: 50,
    backoffFactor: 2,
    timeout: '30s', // each attempt; past it the attempt fails with KitaruTimeoutError
    retryIf: (error) => !(error instanceof TypeError), // a bug in our code is not worth retrying
  },
  async function callModel(prompt: string) {
    calls += 1;
    if (calls < 3) throw new Error(`model overloaded (try ${calls})`);
    log({ tokens: prompt.length * 3, model: 'tiny' });
    return `answer to: ${prompt}`;
  },
);

export default flow(async function retries(prompt = 'why is the sky blue?') {
  return callModel(prompt);
});

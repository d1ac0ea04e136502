// Fails until a file exists, to try replay: the expensive first step is not paid for twice.
//   kitaru run flows/until-file.ts            # fails at publish
//   touch ready.txt
//   kitaru replay <exec-id>                   # reuses research and draft, runs publish
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { abortSignal, checkpoint, flow } from 'kitaru';

const research = checkpoint({ type: 'llm_call' }, async function research(topic: string) {
  console.log(`researching ${topic} (the expensive part)`);
  await delay(200, undefined, { signal: abortSignal() }); // stops at once on kitaru cancel or Ctrl-C
  return [`${topic} is old`, `${topic} is useful`];
});

const draft = checkpoint({ type: 'llm_call' }, function draft(facts: string[]) {
  return facts.map((f) => `- ${f}`).join('\n');
});

const publish = checkpoint({ type: 'tool_call' }, function publish(text: string) {
  if (!existsSync('ready.txt')) {
    throw new Error('ready.txt does not exist yet: create it (touch ready.txt), then replay');
  }
  return { published: true, chars: text.length };
});

export default flow(async function untilFile(topic = 'durable workflows') {
  const facts = await research(topic);
  return publish(await draft(facts));
});

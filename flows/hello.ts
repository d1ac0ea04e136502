// The smallest flow: two checkpoints in a row.
//   kitaru run flows/hello.ts --args '"world"'
import { checkpoint, flow } from 'kitaru';

const greet = checkpoint(function greet(name: string) {
  return `hello, ${name}`;
});

const shout = checkpoint({ type: 'transform' }, function shout(text: string) {
  console.log(`shouting ${text.length} characters`);
  return `${text.toUpperCase()}!`;
});

export default flow(async function hello(name = 'world') {
  return shout(await greet(name));
});

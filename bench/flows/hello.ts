// Cold start: one checkpoint through the CLI.
import { checkpoint, flow } from 'kitaru';

const greet = checkpoint(function greet(name: string) {
  return `hello ${name}`;
});

export default flow(async function hello(name = 'bench') {
  return greet(name);
});

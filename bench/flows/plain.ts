// Cold start baseline: the same work as hello.ts, plain TypeScript under tsx.
function greet(name: string): string {
  return `hello ${name}`;
}

console.log(greet('bench'));

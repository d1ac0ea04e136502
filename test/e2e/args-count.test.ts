import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execIdOf, json, kitaru, makeProject, write } from '../e2e-project.js';

const FLOWS = `import { checkpoint, flow } from 'kitaru';
const search = checkpoint(async function search(topic: string) { return topic.toUpperCase(); });
export const many = flow(async function many(topics: string[]) { return search.map(topics); });
export const pair = flow(async function pair(a: number, b: number) { return [a, b]; });
export const rest = flow(async function rest(...xs: number[]) { return xs.length; });
export const none = flow(async function none() { return 1; });
export const defaults = flow(async function defaults(n: number, label = 'n') { return label + n; });
`;

const WARNING = /warning: --args is a JSON array, so it was spread as 2 arguments \("agents", "rag"\)/;

describe('--args that do not fit the flow', () => {
  const dir = makeProject();
  write(dir, { 'flows.ts': FLOWS, 'topics.json': '["agents", "rag"]\n' });
  const run = (...args: string[]) => kitaru(dir, ['run', 'flows.ts', '--flow', ...args]);

  it('warns when a JSON array is spread over a flow of one parameter, and says how to wrap it', () => {
    const r = run('many', '--args', '["agents","rag"]');
    assert.match(r.stderr, WARNING);
    assert.match(
      r.stderr,
      /flow "many" declares 1 parameter\. To pass the array as one argument, wrap it: --args '\[\["agents","rag"\]\]'/,
    );
    const wrapped = run('many', '--args', '[["agents","rag"]]');
    assert.equal(wrapped.code, 0, wrapped.stderr);
    assert.doesNotMatch(wrapped.stderr, /warning/);
    assert.match(wrapped.stdout, /output: \[ 'AGENTS', 'RAG' \]/);
  });

  it('keeps the warning off stdout with --json', () => {
    const r = run('many', '--args', '["agents","rag"]', '--json');
    assert.match(r.stderr, WARNING);
    assert.equal(json<{ command: string }>(r).command, 'run');
  });

  it('warns for --args-file, saying to wrap the array in the file', () => {
    const r = run('many', '--args-file', 'topics.json');
    assert.match(r.stderr, /--args-file topics\.json is a JSON array, so it was spread as 2 arguments/);
    assert.match(r.stderr, /wrap it in the file: \[\["agents","rag"\]\]/);
  });

  it('warns when more arguments are given than the flow takes', () => {
    const r = run('pair', '--args', '[1,2,3]');
    assert.match(
      r.stderr,
      /spread as 3 arguments \(1, 2, 3\), but flow "pair" declares 2 parameters; the extra one is ignored/,
    );
    const none = run('none', '--args', '"x"');
    assert.match(none.stderr, /--args gives 1 argument \("x"\), but flow "none" takes no parameters/);
  });

  it('does not warn when the counts match, for rest or default parameters, nor for fewer arguments', () => {
    for (const args of [
      ['pair', '--args', '[2,3]'],
      ['pair', '--args', '[[2,3]]'],
      ['rest', '--args', '[1,2,3]'],
      ['defaults', '--args', '5'],
      ['defaults', '--args', '[5,"m"]'],
    ]) {
      const r = run(...args);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /warning/, args.join(' '));
    }
  });

  it('warns for replay --args too', () => {
    const id = execIdOf(run('many', '--args', '[["agents"]]'));
    const r = kitaru(dir, ['replay', id, '--args', '["agents","rag"]']);
    assert.match(r.stderr, WARNING);
    assert.doesNotMatch(kitaru(dir, ['replay', id]).stderr, /warning/);
  });
});

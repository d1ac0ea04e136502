import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argsCountWarning } from '../../src/cli/args-warning.js';
import type { FlowArgs } from '../../src/cli/parse-input.js';

const spread = (...values: unknown[]): FlowArgs => ({ values, spread: true, option: '--args' });

describe('argsCountWarning', () => {
  it('warns when a spread array meets a flow of one parameter, with the wrapped form to type', () => {
    const warning = argsCountWarning('search', async (topics: string[]) => topics, spread('agents', 'rag'));
    assert.equal(
      warning,
      '--args is a JSON array, so it was spread as 2 arguments ("agents", "rag"), but flow "search" ' +
        `declares 1 parameter. To pass the array as one argument, wrap it: --args '[["agents","rag"]]'.`,
    );
  });

  it('shows a generic wrapped form when the JSON is long or holds a quote', () => {
    const long = Array.from({ length: 40 }, (_, i) => `item${i}`);
    assert.match(argsCountWarning('f', (x: unknown) => x, spread(...long)) ?? '', /--args '\[\[\.\.\.\]\]'/);
    assert.match(argsCountWarning('f', (x: unknown) => x, spread("it's", 'b')) ?? '', /'\[\[\.\.\.\]\]'/);
  });

  it('says the extra arguments are ignored when the flow takes several or none', () => {
    assert.match(
      argsCountWarning('pair', (a: number, b: number) => a + b, spread(1, 2, 3, 4)) ?? '',
      /declares 2 parameters; the extra ones are ignored/,
    );
    const one: FlowArgs = { values: ['x'], spread: false, option: '--args' };
    assert.match(
      argsCountWarning('none', () => 1, one) ?? '',
      /--args gives 1 argument \("x"\), but flow "none" takes no parameters/,
    );
  });

  it('stays quiet for matching counts, fewer arguments, defaults and rest parameters', () => {
    const quiet: [(...args: never[]) => unknown, FlowArgs][] = [
      [(a: number, b: number) => a + b, spread(1, 2)],
      [(a: number, b?: number) => a + (b ?? 0), spread(1)],
      [(a: number, b = 2) => a + b, spread(1, 2)],
      [
        async function named(a: number, { x = 1 }: { x?: number } = {}) {
          return a + x;
        },
        spread(1, {}),
      ],
      [(...xs: number[]) => xs.length, spread(1, 2, 3)],
      [(a: string, ...rest: string[]) => a + rest.join(''), spread('a', 'b')],
    ];
    for (const [fn, given] of quiet) assert.equal(argsCountWarning('f', fn, given), null, String(fn));
  });

  it('is not fooled by a default inside a destructured parameter', () => {
    const fn = function f({ a = 1 }: { a?: number }, s: string) {
      return a + s;
    };
    assert.match(argsCountWarning('f', fn, spread({}, 's', 3)) ?? '', /declares 2 parameters/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json, kitaru, makeProject, write } from '../e2e-project.js';

describe('errors in flow definitions', () => {
  const dir = makeProject();
  write(dir, {
    'anon-checkpoint.ts':
      "import { checkpoint, flow } from 'kitaru';\n\n// an arrow given as an argument has no name\nconst one = checkpoint(async () => 1);\nexport default flow(async function main() { return one(); });\n",
    'anon-flow.ts': "import { flow } from 'kitaru';\n\nexport default flow(async () => 1);\n",
    'bad-option.ts':
      "import { checkpoint, flow } from 'kitaru';\nconst one = checkpoint({ retries: -1 }, async function one() { return 1; });\nexport default flow(async function main() { return one(); });\n",
  });

  it('an anonymous checkpoint names the user line, not kitaru code', () => {
    const r = kitaru(dir, ['run', 'anon-checkpoint.ts']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^kitaru: error: cannot load anon-checkpoint\.ts:4: /);
    assert.match(r.stderr, /checkpoint at anon-checkpoint\.ts:4 has no name/);
    assert.match(r.stderr, /checkpoint\('fetch', fn\)/);
    assert.doesNotMatch(r.stderr, /dist[\\/]/);
    const doc = json<{ error: { message: string } }>(kitaru(dir, ['run', 'anon-checkpoint.ts', '--json']));
    assert.match(doc.error.message, /anon-checkpoint\.ts:4/);
    assert.doesNotMatch(doc.error.message, /dist[\\/]/);
  });

  it('an anonymous flow names the user line', () => {
    const r = kitaru(dir, ['run', 'anon-flow.ts']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot load anon-flow\.ts:3: .*flow at anon-flow\.ts:3 has no name/);
    assert.doesNotMatch(r.stderr, /dist[\\/]/);
  });

  it('a bad option names the user line', () => {
    const r = kitaru(dir, ['run', 'bad-option.ts']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot load bad-option\.ts:2: KitaruUsageError: checkpoint "one": retries/);
    assert.doesNotMatch(r.stderr, /dist[\\/]/);
  });
});

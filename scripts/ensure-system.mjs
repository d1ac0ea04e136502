// Makes sure the system packages the tests use are on this machine, installing the missing ones
// from Debian's packages (one `apt-get update` first): `postgresql` (the tests start throwaway
// clusters with its server binaries) and `chromium` (the page's browser tests drive it).
// Usage: node scripts/ensure-system.mjs [postgres] [chromium]   (both when none is named)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const PG_ROOT = '/usr/lib/postgresql';

const NEEDS = {
  postgres: {
    pkg: 'postgresql',
    found: () =>
      existsSync(PG_ROOT) && readdirSync(PG_ROOT).some((v) => existsSync(`${PG_ROOT}/${v}/bin/initdb`)),
  },
  chromium: { pkg: 'chromium', found: () => existsSync('/usr/bin/chromium') },
};

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(NEEDS);
const missing = wanted.map((name) => {
  const need = NEEDS[name];
  if (!need) {
    console.error(`ensure-system: unknown package "${name}" (known: ${Object.keys(NEEDS).join(', ')})`);
    process.exit(2);
  }
  return need;
});
const toInstall = missing.filter((n) => !n.found());

if (toInstall.length > 0) {
  const pkgs = toInstall.map((n) => n.pkg);
  if (process.getuid?.() !== 0) {
    console.error(
      `${pkgs.join(' and ')} missing and this user cannot install: run \`apt-get install ${pkgs.join(' ')}\` as root.`,
    );
    process.exit(1);
  }
  console.error(`installing ${pkgs.join(' and ')} from the system packages (needed by the tests)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], {
    stdio: 'inherit',
    env,
  });
  const still = toInstall.filter((n) => !n.found()).map((n) => n.pkg);
  if (still.length > 0) {
    console.error(`${still.join(' and ')} still not found after installing`);
    process.exit(1);
  }
}

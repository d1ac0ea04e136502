// Makes sure PostgreSQL's server binaries are on this machine (the tests start throwaway clusters
// with them): installs Debian's postgresql package when they are missing. Run by `npm test`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const ROOT = '/usr/lib/postgresql';

function found() {
  if (!existsSync(ROOT)) return false;
  return readdirSync(ROOT).some((v) => existsSync(`${ROOT}/${v}/bin/initdb`));
}

if (!found()) {
  if (process.getuid?.() !== 0) {
    console.error(
      'PostgreSQL is not installed and this user cannot install it: run `apt-get install postgresql` as root.',
    );
    process.exit(1);
  }
  console.error('installing PostgreSQL from the system packages (needed by the Postgres store tests)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], {
    stdio: 'inherit',
    env,
  });
  if (!found()) {
    console.error('PostgreSQL still not found after installing it');
    process.exit(1);
  }
}

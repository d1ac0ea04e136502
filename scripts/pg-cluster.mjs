// A throwaway PostgreSQL cluster (own data folder and port, trust auth, no fsync), for the tests
// and the benchmark. As root, the server runs as the `postgres` user (PostgreSQL refuses root).
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = '/usr/lib/postgresql';

function pgBin(tool) {
  const versions = existsSync(ROOT) ? readdirSync(ROOT).sort().reverse() : [];
  for (const v of versions) if (existsSync(`${ROOT}/${v}/bin/${tool}`)) return `${ROOT}/${v}/bin/${tool}`;
  throw new Error(
    `PostgreSQL's ${tool} not found under ${ROOT}: run node scripts/ensure-system.mjs postgres`,
  );
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Starts a cluster; resolves to its URL and a stop() that also removes its folder. */
export async function startCluster() {
  const dir = mkdtempSync(join(tmpdir(), 'kitaru-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (tool, args) => {
    const bin = pgBin(tool);
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { stdio: 'pipe' });
    else execFileSync(bin, args, { stdio: 'pipe' });
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'kitaru', '--no-sync', '-E', 'UTF8']);
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'server.log'),
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`,
    '-w',
    'start',
  ]);
  return {
    url: `postgres://kitaru@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

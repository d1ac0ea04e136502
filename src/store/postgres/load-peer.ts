import { KitaruUsageError } from '../../errors.js';

/**
 * Postgres mode's packages, in the order to name them. They are optional peer dependencies: a
 * project that keeps its records in a folder never installs them, so they load only when used.
 */
const PEERS = ['pg', 'graphile-worker'] as const;
type Peer = (typeof PEERS)[number];

// Literal specifiers, so that the build leaves each import to run in the user's project.
const importers = {
  pg: () => import('pg'),
  'graphile-worker': () => import('graphile-worker'),
} satisfies Record<Peer, () => Promise<unknown>>;

/** Whether `err` says that the package `name` itself is not installed (not one of its files). */
function isMissing(err: unknown, name: Peer): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  // ESM: "Cannot find package 'pg' imported from ..."; CommonJS: "Cannot find module 'pg'".
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${name}'`)
  );
}

async function isInstalled(name: Peer): Promise<boolean> {
  try {
    await importers[name]();
    return true;
  } catch (err) {
    return !isMissing(err, name);
  }
}

/**
 * Loads a Postgres-mode package; when it is not installed, a `KitaruUsageError` that names it (and
 * the other one, if that is missing too) and the command that installs them.
 */
export async function loadPeer<P extends Peer>(name: P): Promise<Awaited<ReturnType<(typeof importers)[P]>>> {
  try {
    return (await importers[name]()) as Awaited<ReturnType<(typeof importers)[P]>>;
  } catch (err) {
    if (!isMissing(err, name)) throw err;
    const missing: Peer[] = [];
    for (const peer of PEERS) if (peer === name || !(await isInstalled(peer))) missing.push(peer);
    const packages =
      missing.length === 1 ? `the ${missing[0]} package` : `the ${missing.join(' and ')} packages`;
    throw new KitaruUsageError(`Postgres mode needs ${packages}: npm install ${missing.join(' ')}`, {
      cause: err,
    });
  }
}

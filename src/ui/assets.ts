import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Content types of the files the page is made of; files of other kinds are not served. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** One file of the page, read once. */
export interface Asset {
  type: string;
  body: Buffer;
}

/** The page's files, shipped in the package's `ui/` folder (found from `src/ui/` or `dist/`). */
function assetsDir(): string {
  for (let at = dirname(fileURLToPath(import.meta.url)); ; at = dirname(at)) {
    if (existsSync(join(at, 'ui', 'index.html'))) return join(at, 'ui');
    if (dirname(at) === at) throw new Error('kitaru ui: the page files (ui/index.html) are missing');
  }
}

/**
 * Every servable file under `ui/` (nested folders too), by its URL path without the leading
 * slash (`pages/list.js`). Only these are served: a path that is not a key, such as one that
 * climbs out of `ui/`, is not found.
 */
export function readAssets(dir = assetsDir()): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (folder: string, prefix: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path, `${prefix}${entry.name}/`);
      const type = TYPES[extname(entry.name)];
      if (entry.isFile() && type) assets.set(`${prefix}${entry.name}`, { type, body: readFileSync(path) });
    }
  };
  walk(dir, '');
  return assets;
}

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
const EXTENSIONS = ['', '.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '/index.ts', '/index.js'];

function readFirst(base: string): [string, Buffer] | null {
  const candidates = [base];
  const js = base.match(/\.(m|c)?js$/);
  if (js) candidates.push(base.replace(/\.(m|c)?js$/, `.${js[1] ?? ''}ts`));
  for (const c of candidates) {
    for (const ext of EXTENSIONS) {
      try {
        return [c + ext, readFileSync(c + ext)];
      } catch {}
    }
  }
  return null;
}

/**
 * Hash of a flow file and the local files it imports (relative specifiers, followed recursively),
 * read byte for byte. A scan, not a bundle: a few reads, so it adds nothing noticeable to start-up.
 * Returns null when the file cannot be read.
 */
export function hashSource(file: string): string | null {
  const seen = new Map<string, Buffer>();
  const entry = resolve(file);
  const queue = [entry];
  while (queue.length > 0) {
    const next = queue.pop() as string;
    const found = readFirst(next);
    if (!found || seen.has(found[0])) continue;
    const [path, bytes] = found;
    seen.set(path, bytes);
    for (const m of bytes.toString('utf8').matchAll(IMPORT_RE))
      queue.push(resolve(dirname(path), m[1] as string));
  }
  if (seen.size === 0) return null;
  const hash = createHash('sha256');
  for (const path of [...seen.keys()].sort())
    hash
      .update(relative(dirname(entry), path))
      .update('\0')
      .update(seen.get(path) as Buffer);
  return hash.digest('base64url');
}

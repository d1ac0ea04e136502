import { fileURLToPath } from 'node:url';

function frameFile(line: string): string | null {
  const text = line.trim().replace(/^at\s+/, '');
  const inner = text.endsWith(')') ? text.slice(text.lastIndexOf('(') + 1, -1) : text;
  const m = inner.match(/^(.*?):\d+:\d+$/);
  if (!m) return null;
  const file = m[1] as string;
  if (file.startsWith('file://')) return fileURLToPath(file);
  return file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file) ? file : null;
}

/** The folder of kitaru's own code (`src/` or `dist/`), from the file of this module. */
function ownRoot(file: string | null): string | null {
  if (!file) return null;
  const m = file.match(/^(.*[\\/](?:src|dist)[\\/])/);
  return m ? (m[1] as string) : file;
}

/**
 * The file of the first stack frame outside kitaru's own code: the user's module that called
 * `flow()`. Null when it cannot be told.
 */
export function callerFile(): string | null {
  const files = (new Error().stack?.split('\n').slice(1) ?? []).map(frameFile);
  const root = ownRoot(files[0] ?? null);
  return files.find((f) => f !== null && root !== null && !f.startsWith(root)) ?? null;
}

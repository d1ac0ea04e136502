import { fileURLToPath } from 'node:url';

interface Frame {
  file: string;
  line: number;
  column: number;
}

function parseFrame(text: string): Frame | null {
  const t = text.trim().replace(/^at\s+/, '');
  const inner = t.endsWith(')') ? t.slice(t.lastIndexOf('(') + 1, -1) : t;
  const m = inner.match(/^(.*?):(\d+):(\d+)$/);
  if (!m) return null;
  let file = m[1] as string;
  if (file.startsWith('file://')) file = fileURLToPath(file);
  else if (!(file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file))) return null;
  return { file, line: Number(m[2]), column: Number(m[3]) };
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
  return userFrame(new Error().stack)?.file ?? null;
}

/**
 * Where the user's code called into kitaru (`/abs/file.ts:12:7`), or null when it cannot be told:
 * tells two definitions apart by the line that made them.
 */
export function callerSite(): string | null {
  const frame = userFrame(new Error().stack);
  return frame ? `${frame.file}:${frame.line}:${frame.column}` : null;
}

function userFrame(stack: string | undefined): Frame | null {
  const frames = (stack?.split('\n').slice(1) ?? []).map(parseFrame);
  const root = ownRoot(frames[0]?.file ?? null);
  if (root === null) return null;
  return frames.find((f) => f !== null && !f.file.startsWith(root)) ?? null;
}

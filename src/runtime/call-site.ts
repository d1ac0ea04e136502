import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A place in a source file, from a stack frame: absolute path, 1-based line and column. */
export interface Frame {
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

function frames(stack: string | undefined): (Frame | null)[] {
  return (stack?.split('\n').slice(1) ?? []).map(parseFrame);
}

/** The folder of kitaru's own code (`src/` or `dist/`), from the file of this module. */
function ownRoot(): string | null {
  const file = frames(new Error().stack)[0]?.file;
  if (!file) return null;
  const m = file.match(/^(.*[\\/](?:src|dist)[\\/])/);
  return m ? (m[1] as string) : file;
}

/**
 * The first frame of `stack` outside kitaru's own code: the user's line that led to it (for an
 * error thrown by `checkpoint()`, the line that called it). Null when it cannot be told.
 */
export function userFrame(stack: string | undefined): Frame | null {
  const root = ownRoot();
  if (root === null) return null;
  return frames(stack).find((f) => f !== null && !f.file.startsWith(root)) ?? null;
}

/** Where the user's code called into kitaru, as a frame. */
export function callerFrame(): Frame | null {
  return userFrame(new Error().stack);
}

/**
 * The file of `callerFrame()`: for `flow()`, the user's module that defines the flow. Null when
 * it cannot be told.
 */
export function callerFile(): string | null {
  return callerFrame()?.file ?? null;
}

/**
 * Where the user's code called into kitaru (`/abs/file.ts:12:7`), or null when it cannot be told:
 * tells two definitions apart by the line that made them.
 */
export function callerSite(): string | null {
  const frame = callerFrame();
  return frame ? `${frame.file}:${frame.line}:${frame.column}` : null;
}

/** A path as the user typed it: relative to the working folder when inside it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/** `flow.ts:4`, for messages. */
export function siteText(frame: Frame): string {
  return `${displayPath(frame.file)}:${frame.line}`;
}

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers.js';

/** The repository root (the package under test). */
export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The built CLI, as users run it. */
export const bin = join(repo, 'bin', 'kitaru.js');

/** A temp project whose node_modules/kitaru links to this repository. */
export function makeProject(options: { module?: boolean } = {}): string {
  const dir = tempDir('kitaru-e2e-');
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'e2e', private: true, ...(options.module === false ? {} : { type: 'module' }) }),
  );
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(repo, join(dir, 'node_modules', 'kitaru'), 'dir');
  return dir;
}

/** Writes files into a project. */
export function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const cleanEnv = () => {
  const env = { ...process.env };
  for (const k of [
    'KITARU_DIR',
    'KITARU_FSYNC',
    'FORCE_COLOR',
    'NO_COLOR',
    'NODE_OPTIONS',
    'NODE_TEST_CONTEXT',
  ])
    delete env[k];
  return env;
};

/** Runs the built CLI to its end in `cwd`. */
export function kitaru(cwd: string, args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    env: { ...cleanEnv(), ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024, // a report of thousands of executions (gc --json) is megabytes
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the built CLI without waiting (for signals). */
export function kitaruAsync(cwd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [bin, ...args], {
    cwd,
    env: { ...cleanEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a child's output and resolves when it exits. */
export function finished(child: ChildProcess): Promise<CliResult & { signal: NodeJS.Signals | null }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
}

/** Parses the one JSON document a --json command prints. */
export function json<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document:\n${r.stdout}\n--- stderr:\n${r.stderr}`);
  }
}

/** Execution id printed first by `run`/`replay` in text mode. */
export function execIdOf(r: CliResult): string {
  const m = r.stdout.match(/^execution (\S+)/);
  if (!m) throw new Error(`no execution id in:\n${r.stdout}\n${r.stderr}`);
  return m[1] as string;
}

/** Runs the built CLI to its end with stdout and stderr in one stream, in the order written. */
export function kitaruMerged(cwd: string, args: string[]): { code: number | null; output: string } {
  const file = join(tempDir('kitaru-out-'), 'output.txt');
  const fd = openSync(file, 'w');
  try {
    const r = spawnSync(process.execPath, [bin, ...args], {
      cwd,
      env: cleanEnv(),
      stdio: ['ignore', fd, fd],
    });
    return { code: r.status, output: readFileSync(file, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

/**
 * Flow-file source of a hand-written Standard Schema, `Approval`, accepting `{ approved: boolean }`
 * (with the imports a wait flow needs), for the tests that answer waits.
 */
export const APPROVAL_SCHEMA = `import { checkpoint, flow, wait, type StandardSchemaV1 } from 'kitaru';
const Approval: StandardSchemaV1<unknown, { approved: boolean }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate(value) {
      const v = value as { approved?: unknown } | null;
      if (typeof v !== 'object' || v === null || typeof v.approved !== 'boolean') {
        return { issues: [{ message: 'expected a boolean', path: ['approved'] }] };
      }
      return { value: { approved: v.approved } };
    },
  },
};
`;

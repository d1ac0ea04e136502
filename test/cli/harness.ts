import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createProgram } from '../../src/cli/program.js';
import type { StreamFacts, Terminal } from '../../src/cli/terminal.js';

/** The repository's public API, for flow files loaded in this process (one copy of kitaru). */
const API = resolve(import.meta.dirname, '../../src/index.ts');

/** What one in-process invocation printed and returned. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of a test terminal. */
export interface TestTerminalOptions {
  env?: Record<string, string>;
  stdout?: StreamFacts;
  stderr?: StreamFacts;
}

/** A terminal that keeps what is written; `diverted` counts --json stdout diversions still in force. */
export function testTerminal(options: TestTerminalOptions = {}) {
  const captured = { stdout: '', stderr: '', diverted: 0 };
  const terminal: Terminal = {
    out: (text) => {
      captured.stdout += text;
    },
    err: (text) => {
      captured.stderr += text;
    },
    stdout: options.stdout ?? { isTTY: false, columns: 0 },
    stderr: options.stderr ?? { isTTY: false, columns: 0 },
    env: options.env ?? {},
    divertUserStdout: () => {
      captured.diverted++;
      return () => {
        captured.diverted--;
      };
    },
  };
  return { terminal, captured };
}

/**
 * An in-process `kitaru`: `signals` stands in for the process' SIGINT/SIGTERM and `exits` records
 * the codes a second signal would have ended the process with. `start` gives the output so far
 * while the command runs; `run` waits for it to end.
 */
export function inProcessCli(options: TestTerminalOptions = {}) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const start = (...args: string[]) => {
    const { terminal, captured } = testTerminal(options);
    const program = createProgram(terminal, {
      signals: { source: signals, exitNow: (code) => exits.push(code) },
    });
    const done = program.run(['node', 'kitaru', ...args]).then((code): Run => {
      if (captured.diverted !== 0) throw new Error('stdout was left diverted');
      return { code, stdout: captured.stdout, stderr: captured.stderr };
    });
    return { captured, done };
  };
  const run = (...args: string[]): Promise<Run> => start(...args).done;
  return { run, start, signals, exits };
}

/** Writes a flow file into `dir` whose `import ... from 'kitaru'` is this repository's source. */
export function writeFlow(dir: string, name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source.replaceAll("from 'kitaru'", `from ${JSON.stringify(API)}`));
  return file;
}

/** The one JSON document on stdout. */
export function doc<T = Record<string, unknown>>(r: Run): T {
  const lines = r.stdout.trimEnd().split('\n');
  if (lines.length !== 1) throw new Error(`expected one JSON line on stdout, got:\n${r.stdout}`);
  return JSON.parse(lines[0] as string) as T;
}

/** The execution id named on the first line of a text-mode run or replay. */
export function execIdOf(r: Run): string {
  const id = r.stdout.match(/^execution (\S+)/m)?.[1];
  if (!id) throw new Error(`no execution id in:\n${r.stdout}\n${r.stderr}`);
  return id;
}

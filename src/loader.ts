import { readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KitaruUsageError } from './errors.js';
import { displayPath, siteText, userFrame } from './runtime/call-site.js';
import { type FlowDef, flowDefOf } from './runtime/definitions.js';
import { state } from './runtime/state.js';

let registered: Promise<void> | undefined;

/** Registers tsx in this process once (ESM and CommonJS hooks), so `.ts` files load natively. */
function registerTsx(): Promise<void> {
  registered ??= (async () => {
    const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
    esm.register();
    cjs.register();
  })();
  return registered;
}

function lineOf(file: string, needle: string): number | null {
  try {
    const text = readFileSync(file, 'utf8');
    const idx = text.indexOf(needle);
    return idx < 0 ? null : text.slice(0, idx).split('\n').length;
  } catch {
    return null;
  }
}

/** `x.ts:3: cannot find module './y'`, from a module-not-found error. */
function describeMissingModule(message: string, file: string): string {
  const spec = message.match(/Cannot find (?:module|package) '([^']+)'/)?.[1] ?? '?';
  const from = message.match(/imported from (.+)$/m)?.[1] ?? message.match(/^- (.+)$/m)?.[1] ?? file;
  let short = spec.startsWith('/') ? relative(resolve(from, '..'), spec) : spec;
  if (spec.startsWith('/') && !short.startsWith('.')) short = `./${short}`;
  const line = lineOf(from, short.replace(/^\.\//, '')) ?? lineOf(from, short);
  return `${displayPath(from)}${line ? `:${line}` : ''}: cannot find module '${short}'`;
}

/** Turns a loader error into one line naming the file and line (`broken.ts:3: ...`). */
function describeLoadError(err: unknown, file: string): string {
  const e = (err ?? {}) as { message?: string; stack?: string; code?: string; name?: string };
  const message = String(e.message ?? err);
  const transform = message.match(/^(.+?):(\d+):(\d+): ERROR: (.*)$/m);
  if (transform)
    return `${displayPath(transform[1] as string)}:${transform[2]}: syntax error: ${transform[4]}`;
  if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND')
    return describeMissingModule(message, file);
  // The first frame outside kitaru: an error thrown by flow() or checkpoint() points at their caller.
  const site = userFrame(e.stack);
  const where = site ? siteText(site) : displayPath(file);
  return `${where}: ${e.name ?? 'Error'}: ${message.split('\n')[0]}`;
}

/** What tsx can load as a module. */
const FLOW_FILE = /\.(?:[cm]?[tj]s|[tj]sx)$/;

/** A loaded flow file: its absolute path, its exported flows, and the default export's flow. */
export interface LoadedFile {
  file: string;
  flows: FlowDef[];
  defaultFlow: FlowDef | null;
}

/** Imports a flow file (TypeScript or JavaScript) in this process and returns the flows it exports. */
export async function loadFlowFile(file: string): Promise<LoadedFile> {
  const abs = resolve(file);
  let isFile = false;
  try {
    isFile = statSync(abs).isFile();
  } catch {}
  if (!isFile) throw new KitaruUsageError(`flow file not found: ${displayPath(abs)}`);
  if (!FLOW_FILE.test(abs)) {
    throw new KitaruUsageError(
      `${displayPath(abs)} is not a flow file: kitaru runs TypeScript or JavaScript files ` +
        '(.ts, .mts, .cts, .tsx, .js, .mjs, .cjs, .jsx) that export a flow.',
    );
  }
  await registerTsx();
  let ns: Record<string, unknown>;
  try {
    ns = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    throw new KitaruUsageError(`cannot load ${describeLoadError(err, abs)}`, { cause: err });
  }
  const flows: FlowDef[] = [];
  const add = (value: unknown) => {
    const def = flowDefOf(value);
    if (def && !flows.includes(def)) flows.push(def);
  };
  add(ns.default);
  for (const value of Object.values(ns)) add(value);
  // A CommonJS module's exports sit on `default`.
  const cjs =
    typeof ns.default === 'object' && ns.default !== null ? (ns.default as Record<string, unknown>) : null;
  if (cjs) for (const v of Object.values(cjs)) add(v);
  return { file: abs, flows, defaultFlow: flowDefOf(ns.default) ?? flowDefOf(cjs?.default) };
}

/** Picks the flow to run: `name`, else the default export, else the only flow. */
export function pickFlow({ file, flows, defaultFlow }: LoadedFile, name?: string): FlowDef {
  const names = flows.map((f) => f.name).join(', ');
  if (name !== undefined) {
    const hit = flows.find((f) => f.name === name);
    if (!hit) {
      throw new KitaruUsageError(
        `no flow named "${name}" in ${displayPath(file)}${flows.length ? `; its flows are: ${names}` : ''}.`,
      );
    }
    return hit;
  }
  if (flows.length === 0) {
    throw new KitaruUsageError(
      `${displayPath(file)} exports no flow. Export one: export default flow(async function main() { ... }).`,
    );
  }
  if (defaultFlow) return defaultFlow;
  if (flows.length === 1) return flows[0] as FlowDef;
  throw new KitaruUsageError(
    `${displayPath(file)} exports several flows (${names}); choose one with --flow <name>.`,
  );
}

/** Loads `file` and finds its flow `name` (from the registry if it is already loaded). */
export async function findFlow(file: string, name: string): Promise<FlowDef> {
  const abs = resolve(file);
  const known = state.flows.get(abs)?.get(name);
  if (known) return known;
  const loaded = await loadFlowFile(abs);
  return state.flows.get(abs)?.get(name) ?? pickFlow(loaded, name);
}

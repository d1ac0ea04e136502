import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callDurationMs, diffExecutions } from '../diff.js';
import { isKitaruError, KitaruUsageError } from '../errors.js';
import { getExecution, listExecutions } from '../queries.js';
import { startReplay } from '../replay.js';
import type { ReplayOptions } from '../runtime/replay-plan.js';
import { hasEnded } from '../store/liveness.js';
import type { Store } from '../store/store.js';
import type { CallRecord, ExecutionStatus } from '../store/types.js';
import { type CheckpointView, checkpointView, headView } from '../views.js';

/** The page's files, shipped in the package's `ui/` folder (found from `src/ui/` or `dist/`). */
function assetsDir(): string {
  for (let at = dirname(fileURLToPath(import.meta.url)); ; at = dirname(at)) {
    if (existsSync(join(at, 'ui', 'index.html'))) return join(at, 'ui');
    if (dirname(at) === at) throw new Error('kitaru ui: the page files (ui/index.html) are missing');
  }
}

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** How many of the newest executions the list looks at. */
const LIST_WINDOW = 2000;

/** Largest page of calls the API returns at once. */
const MAX_PAGE = 500;

/** One call on the timeline: id, first start and last end (ms from the execution's start), attempts. */
type TimelineRow = [id: string, status: string, origin: string, spans: [number, number, 0 | 1][]];

function timelineOf(createdAt: string, calls: CallRecord[]): TimelineRow[] {
  const t0 = Date.parse(createdAt);
  return calls.map((c) => [
    c.id,
    c.status,
    c.origin,
    c.attempts.map((a) => [
      Date.parse(a.startedAt) - t0,
      Date.parse(a.endedAt) - t0,
      a.status === 'completed' ? 1 : 0,
    ]),
  ]);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 10 * 2 ** 20) throw new KitaruUsageError('request body too large');
  }
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw new KitaruUsageError('request body is not JSON');
  }
}

function int(value: string | null, fallback: number, max: number): number {
  const n = value === null ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new KitaruUsageError(`not a whole number: ${value}`);
  return Math.min(n, max);
}

/** A running `kitaru ui` server. */
export interface UiServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the page and a small JSON API over `store` on `host:port` (port 0: any free port).
 * Replays started from the page run in this process, with the same plan as the CLI.
 */
export async function startUiServer(options: {
  store: Store;
  port: number;
  host?: string;
  onWarning?: (message: string) => void;
}): Promise<UiServer> {
  const { store } = options;
  const assets = assetsDir();
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(TYPES)) files.set(name, readFileSync(join(assets, name)));
  // Calls of ended executions do not change: keep the last few read, for paging through 10,000.
  const ended = new Map<string, CallRecord[]>();
  const callsOf = async (id: string, status: ExecutionStatus): Promise<CallRecord[]> => {
    const hit = ended.get(id);
    if (hit) return hit;
    const calls = await store.getCalls(id);
    if (hasEnded(status)) {
      ended.set(id, calls);
      if (ended.size > 8) ended.delete(ended.keys().next().value as string);
    }
    return calls;
  };

  async function api(req: IncomingMessage, url: URL): Promise<[number, unknown]> {
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
    } catch {
      throw new KitaruUsageError(`malformed path: ${url.pathname}`);
    }
    const q = url.searchParams;
    if (req.method === 'GET' && parts[0] === 'executions' && parts.length === 1) {
      const filter = {
        ...(q.get('flow') ? { flow: q.get('flow') as string } : {}),
        ...(q.get('status') ? { status: q.get('status') as string } : {}),
      };
      // The newest few thousand bound the work of a poll on a large store; filters apply to them.
      const all = await listExecutions(store, { limit: LIST_WINDOW }, false);
      const flows = [...new Set(all.executions.map((e) => e.flow.name))].sort();
      const limit = int(q.get('limit'), 500, 5000);
      const shown = all.executions.filter(
        (e) =>
          (!filter.flow || e.flow.name === filter.flow) && (!filter.status || e.status === filter.status),
      );
      return [200, { executions: shown.slice(0, limit), total: shown.length, flows, warnings: all.warnings }];
    }
    if (req.method === 'GET' && parts[0] === 'executions' && parts.length === 2) {
      const id = await store.resolveId(parts[1] as string);
      const head = headView(await store.getExecution(id), false);
      const calls = await callsOf(id, head.status);
      const offset = int(q.get('offset'), 0, calls.length);
      const limit = int(q.get('limit'), 100, MAX_PAGE);
      return [
        200,
        {
          execution: head,
          total: calls.length,
          offset,
          calls: calls.slice(offset, offset + limit).map((c) => summaryOf(checkpointView(c, false))),
          timeline: q.get('timeline') === '0' ? null : timelineOf(head.createdAt, calls),
        },
      ];
    }
    if (req.method === 'GET' && parts[0] === 'executions' && parts[2] === 'calls' && parts.length === 4) {
      const id = await store.resolveId(parts[1] as string);
      const head = headView(await store.getExecution(id), false);
      const call = (await callsOf(id, head.status)).find((c) => c.id === parts[3]);
      if (!call)
        return [
          404,
          { error: { type: 'KitaruNotFoundError', message: `execution ${id} has no call ${parts[3]}` } },
        ];
      return [
        200,
        {
          call: {
            ...checkpointView(call, false),
            input: call.input,
            inputHash: call.inputHash,
            seq: call.seq,
          },
        },
      ];
    }
    if (req.method === 'POST' && parts[0] === 'executions' && parts[2] === 'replay' && parts.length === 3) {
      const body = (await readBody(req)) as { from?: unknown; overrides?: unknown };
      const plan: ReplayOptions = {};
      if (body.from !== undefined && body.from !== null && body.from !== '') {
        if (typeof body.from !== 'string') throw new KitaruUsageError('from must be a call id');
        plan.from = body.from;
      }
      if (body.overrides !== undefined) {
        if (typeof body.overrides !== 'object' || body.overrides === null || Array.isArray(body.overrides)) {
          throw new KitaruUsageError('overrides must be an object {"checkpoint.<call-id>": value}');
        }
        plan.overrides = body.overrides as Record<string, unknown>;
      }
      const warnings: string[] = [];
      const onWarning = (m: string) => {
        warnings.push(m);
        options.onWarning?.(m);
      };
      const { handle } = await startReplay(store, parts[1] as string, plan, { onWarning });
      handle.done.catch(() => {});
      return [202, { execId: handle.execId, warnings }];
    }
    if (req.method === 'GET' && parts[0] === 'diff' && parts.length === 1) {
      const a = q.get('a');
      const b = q.get('b');
      if (!a || !b) throw new KitaruUsageError('diff needs ?a=<exec-id>&b=<exec-id>');
      return [
        200,
        { diff: diffExecutions(await getExecution(store, a, false), await getExecution(store, b, false)) },
      ];
    }
    return [
      404,
      { error: { type: 'KitaruNotFoundError', message: `no such API route: ${req.method} ${url.pathname}` } },
    ];
  }

  // Bound to loopback: only loopback names are accepted in Host (DNS rebinding); bound to another
  // address, the user chose to be reached by any name.
  let allowedHosts: Set<string> | null = new Set<string>();
  const server = createServer((req, res) => {
    // Only pages served from this server may use it: a page on another site (or a DNS name
    // rebound to 127.0.0.1) must not read the store or start replays.
    const origin = req.headers.origin;
    const hostHeader = req.headers.host ?? '';
    if (
      (allowedHosts !== null && !allowedHosts.has(hostHeader)) ||
      (origin !== undefined && origin !== `http://${hostHeader}`)
    ) {
      send(res, 403, { error: { type: 'KitaruUsageError', message: 'forbidden: not from this kitaru ui' } });
      return;
    }
    let url: URL;
    try {
      url = new URL(`http://localhost${(req.url ?? '/').replace(/^\/+/, '/')}`);
    } catch {
      send(res, 400, { error: { type: 'KitaruUsageError', message: 'malformed request path' } });
      return;
    }
    if (req.method === 'POST' && !/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
      send(res, 415, {
        error: { type: 'KitaruUsageError', message: 'POST bodies must be application/json' },
      });
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      api(req, url).then(
        ([status, body]) => send(res, status, body),
        (err) => {
          const known = isKitaruError(err);
          const e = err as Error;
          const status = !known ? 500 : e.name === 'KitaruNotFoundError' ? 404 : 400;
          send(res, status, { error: { type: known ? e.name : 'Error', message: e.message } });
        },
      );
      return;
    }
    const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    const file = files.get(name);
    if (!file || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[name] as string, 'cache-control': 'no-cache' });
    res.end(file);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  allowedHosts = ['127.0.0.1', 'localhost', '::1'].includes(host)
    ? new Set([`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`])
    : null;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A call as the calls table lists it: no input, output, logs or stacks (those come with the call itself). */
function summaryOf(c: CheckpointView) {
  const { input: _input, output: _output, attempts, ...fields } = c;
  const last = attempts[attempts.length - 1];
  return {
    ...fields,
    attempts: attempts.length,
    startedAt: attempts[0]?.startedAt ?? null,
    durationMs: callDurationMs(c),
    error: last?.error ? { type: last.error.type, message: last.error.message } : null,
  };
}

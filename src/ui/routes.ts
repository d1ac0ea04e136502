import type { IncomingMessage } from 'node:http';
import { cancelExecution } from '../cancel.js';
import { diffExecutions } from '../diff.js';
import { KitaruNotFoundError, KitaruUsageError } from '../errors.js';
import { getExecution, listExecutions } from '../queries.js';
import { startReplay } from '../replay.js';
import { giveInput, startResume } from '../resume.js';
import type { ReplayOptions } from '../runtime/replay-plan.js';
import { hasEnded } from '../store/liveness.js';
import type { Store } from '../store/store.js';
import type { CallRecord, ExecutionStatus } from '../store/types.js';
import { checkpointView, headView } from '../views.js';
import type {
  CallResponse,
  CancelResponse,
  DiffResponse,
  ExecutionPageResponse,
  InputRefusedResponse,
  InputResponse,
  ListResponse,
  ReplayResponse,
} from './api-views.js';
import { summaryOf, timelineOf } from './api-views.js';

/** How many of the newest executions the list looks at. */
const LIST_WINDOW = 2000;

/** Largest page of calls the API returns at once. */
const MAX_PAGE = 500;

/** How long a cancel waits for a running execution to be recorded cancelled, in ms. */
const CANCEL_WAIT_MS = 30_000;

/** How many ended executions keep their calls in memory, for paging through 10,000. */
const ENDED_KEPT = 8;

/** What a handler gets: the request (for its body), the query, and the path's `:name` parts. */
interface RouteInput {
  req: IncomingMessage;
  query: URLSearchParams;
  param(name: string): string;
}

type Handler = (input: RouteInput) => Promise<[status: number, body: unknown]>;

/** A route: a method and a path under `/api/` whose `:name` segments match any one segment. */
interface Route {
  method: 'GET' | 'POST';
  path: string;
  handler: Handler;
}

/** Answers one API request: a status and a JSON body. Known errors are thrown, as KitaruErrors. */
export type Api = (req: IncomingMessage, url: URL) => Promise<[status: number, body: unknown]>;

function int(value: string | null, fallback: number, max: number): number {
  const n = value === null ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new KitaruUsageError(`not a whole number: ${value}`);
  return Math.min(n, max);
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

/** The replay plan in a request body, checked. */
function planOf(body: { from?: unknown; overrides?: unknown }): ReplayOptions {
  const plan: ReplayOptions = {};
  if (body.from !== undefined && body.from !== null && body.from !== '') {
    if (typeof body.from !== 'string') throw new KitaruUsageError('from must be a call id');
    plan.from = body.from;
  }
  if (body.overrides !== undefined) {
    if (typeof body.overrides !== 'object' || body.overrides === null || Array.isArray(body.overrides)) {
      throw new KitaruUsageError(
        'overrides must be an object {"checkpoint.<call-id>": value, "wait.<wait-id>": answer}',
      );
    }
    plan.overrides = body.overrides as Record<string, unknown>;
  }
  return plan;
}

/** The page's JSON API over `store`, as a table of routes. Replays and resumes run in this process. */
export function createApi(store: Store, onWarning?: (message: string) => void): Api {
  // Calls of ended executions do not change: keep the last few read.
  const ended = new Map<string, CallRecord[]>();
  const callsOf = async (id: string, status: ExecutionStatus): Promise<CallRecord[]> => {
    const hit = ended.get(id);
    if (hit) return hit;
    const calls = await store.getCalls(id);
    if (hasEnded(status)) {
      ended.set(id, calls);
      if (ended.size > ENDED_KEPT) ended.delete(ended.keys().next().value as string);
    }
    return calls;
  };
  const headOf = async (idOrPrefix: string) => {
    const id = await store.resolveId(idOrPrefix);
    return headView(await store.getExecution(id), false);
  };

  const list: Handler = async ({ query }) => {
    const flow = query.get('flow');
    const status = query.get('status');
    // The newest few thousand bound the work of a poll on a large store; filters apply to them.
    const all = await listExecutions(store, { limit: LIST_WINDOW }, false);
    const flows = [...new Set(all.executions.map((e) => e.flow.name))].sort();
    const limit = int(query.get('limit'), 500, 5000);
    const shown = all.executions.filter(
      (e) => (!flow || e.flow.name === flow) && (!status || e.status === status),
    );
    const body: ListResponse = {
      executions: shown.slice(0, limit),
      total: shown.length,
      flows,
      warnings: all.warnings,
    };
    return [200, body];
  };

  const execution: Handler = async ({ query, param }) => {
    const head = await headOf(param('id'));
    const calls = await callsOf(head.id, head.status);
    const offset = int(query.get('offset'), 0, calls.length);
    const limit = int(query.get('limit'), 100, MAX_PAGE);
    const body: ExecutionPageResponse = {
      execution: head,
      total: calls.length,
      offset,
      calls: calls.slice(offset, offset + limit).map((c) => summaryOf(checkpointView(c, false))),
      timeline: query.get('timeline') === '0' ? null : timelineOf(head.createdAt, calls),
    };
    return [200, body];
  };

  const call: Handler = async ({ param }) => {
    const head = await headOf(param('id'));
    const found = (await callsOf(head.id, head.status)).find((c) => c.id === param('callId'));
    if (!found) throw new KitaruNotFoundError(`execution ${head.id} has no call ${param('callId')}`);
    const body: CallResponse = {
      call: {
        ...checkpointView(found, false),
        input: found.input,
        inputHash: found.inputHash,
        seq: found.seq,
      },
    };
    return [200, body];
  };

  const replay: Handler = async ({ req, param }) => {
    const plan = planOf((await readBody(req)) as { from?: unknown; overrides?: unknown });
    const warnings: string[] = [];
    const warn = (m: string) => {
      warnings.push(m);
      onWarning?.(m);
    };
    const { handle } = await startReplay(store, param('id'), plan, { onWarning: warn });
    handle.done.catch(() => {});
    const body: ReplayResponse = { execId: handle.execId, warnings };
    return [202, body];
  };

  // Keeps the answer, resumes the execution here, and answers once the wait has taken the answer
  // (the rest of the flow may run on: a sleep after it) or the resume stopped (refused: 400).
  const input: Handler = async ({ req, param }) => {
    const body = await readBody(req);
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('value' in body)) {
      throw new KitaruUsageError('the body must be {"value": <the answer as JSON>}');
    }
    const waitId = param('waitId');
    const execId = await giveInput(store, param('id'), waitId, body.value);
    let taken = (): void => {};
    const applied = new Promise<'applied'>((resolve) => {
      taken = () => resolve('applied');
    });
    const handle = await startResume(store, execId, {
      callEnded: (e) => {
        if (e.callId === waitId) taken();
      },
    });
    const first = await Promise.race([applied, handle.done]);
    if (first === 'applied') {
      const ok: InputResponse = { execId, status: 'running' };
      return [202, ok];
    }
    const refused = first.waits.find((w) => w.id === waitId)?.rejected;
    if (first.status === 'waiting' && refused) {
      const issues = refused.issues.map((i) => `${i.path ? `${i.path}: ` : ''}${i.message}`);
      const no: InputRefusedResponse = {
        error: {
          type: 'KitaruUsageError',
          message: `the answer to wait ${waitId} was refused by its schema: ${issues.join('; ')}`,
        },
        issues: refused.issues,
      };
      return [400, no];
    }
    const ok: InputResponse = { execId, status: first.status };
    return [200, ok];
  };

  // A queued or waiting execution is cancelled at once; a running one once its process or worker
  // has recorded it (one started from this page runs here, and is cancelled directly).
  const cancel: Handler = async ({ param }) => {
    const { execId } = await cancelExecution(store, param('id'), { timeoutMs: CANCEL_WAIT_MS });
    const body: CancelResponse = { execId, status: 'cancelled' };
    return [200, body];
  };

  const diff: Handler = async ({ query }) => {
    const a = query.get('a');
    const b = query.get('b');
    if (!a || !b) throw new KitaruUsageError('diff needs ?a=<exec-id>&b=<exec-id>');
    const body: DiffResponse = {
      diff: diffExecutions(await getExecution(store, a, false), await getExecution(store, b, false)),
    };
    return [200, body];
  };

  const routes: Route[] = [
    { method: 'GET', path: 'executions', handler: list },
    { method: 'GET', path: 'executions/:id', handler: execution },
    { method: 'GET', path: 'executions/:id/calls/:callId', handler: call },
    { method: 'POST', path: 'executions/:id/replay', handler: replay },
    { method: 'POST', path: 'executions/:id/waits/:waitId/input', handler: input },
    { method: 'POST', path: 'executions/:id/cancel', handler: cancel },
    { method: 'GET', path: 'diff', handler: diff },
  ];

  return async (req, url) => {
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
    } catch {
      throw new KitaruUsageError(`malformed path: ${url.pathname}`);
    }
    for (const route of routes) {
      const params = route.method === req.method ? match(route.path, parts) : null;
      if (!params) continue;
      const param = (name: string) => {
        const value = params.get(name);
        if (value === undefined) throw new Error(`route ${route.path} has no :${name}`);
        return value;
      };
      return route.handler({ req, query: url.searchParams, param });
    }
    throw new KitaruNotFoundError(`no such API route: ${req.method} ${url.pathname}`);
  };
}

/** The `:name` parts of `parts` if they fit the route's path, else null. */
function match(path: string, parts: string[]): Map<string, string> | null {
  const pattern = path.split('/');
  if (pattern.length !== parts.length) return null;
  const params = new Map<string, string>();
  for (const [i, segment] of pattern.entries()) {
    const part = parts[i] as string;
    if (segment.startsWith(':')) params.set(segment.slice(1), part);
    else if (segment !== part) return null;
  }
  return params;
}

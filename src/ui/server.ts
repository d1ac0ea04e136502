import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isKitaruError } from '../errors.js';
import type { Store } from '../store/store.js';
import { readAssets } from './assets.js';
import { createApi } from './routes.js';

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
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
function parseUrl(path: string | undefined): URL | null {
  try {
    return new URL(`http://localhost${(path ?? '/').replace(/^\/+/, '/')}`);
  } catch {
    return null;
  }
}

/** Why a request is refused (status and message), or null. */
function refusal(
  req: IncomingMessage,
  url: URL | null,
  allowedHosts: Set<string> | null,
): [number, string] | null {
  // Only pages served from this server may use it: a page on another site (or a DNS name
  // rebound to 127.0.0.1) must not read the store or start replays.
  if (!fromThisPage(req, allowedHosts)) return [403, 'forbidden: not from this kitaru ui'];
  if (!url) return [400, 'malformed request path'];
  if (req.method === 'POST' && !/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
    return [415, 'POST bodies must be application/json'];
  }
  return null;
}

/** One of the page's files, or 404. */
function serveFile(res: ServerResponse, file: { type: string; body: string | Buffer } | undefined): void {
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache' });
  res.end(file.body);
}

/** An API failure as JSON: 404 for an unknown id, 400 for other kitaru errors, 500 otherwise. */
function sendError(res: ServerResponse, err: unknown): void {
  const known = isKitaruError(err);
  const e = err as Error;
  const status = !known ? 500 : e.name === 'KitaruNotFoundError' ? 404 : 400;
  send(res, status, { error: { type: known ? e.name : 'Error', message: e.message } });
}

/** Whether a request comes from a page this server served (Host and Origin both say so). */
function fromThisPage(req: IncomingMessage, allowedHosts: Set<string> | null): boolean {
  const origin = req.headers.origin;
  const hostHeader = req.headers.host ?? '';
  if (allowedHosts !== null && !allowedHosts.has(hostHeader)) return false;
  return origin === undefined || origin === `http://${hostHeader}`;
}

export async function startUiServer(options: {
  store: Store;
  port: number;
  host?: string;
  onWarning?: (message: string) => void;
}): Promise<UiServer> {
  const files = readAssets();
  const api = createApi(options.store, options.onWarning);

  // Bound to loopback: only loopback names are accepted in Host (DNS rebinding); bound to another
  // address, the user chose to be reached by any name.
  let allowedHosts: Set<string> | null = new Set<string>();
  const server = createServer((req, res) => {
    const url = parseUrl(req.url);
    const refused = refusal(req, url, allowedHosts);
    if (refused || !url) {
      send(res, refused?.[0] ?? 400, { error: { type: 'KitaruUsageError', message: refused?.[1] ?? '' } });
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      api(req, url).then(
        ([status, body]) => send(res, status, body),
        (err) => sendError(res, err),
      );
      return;
    }
    const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    serveFile(res, req.method === 'GET' ? files.get(name) : undefined);
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

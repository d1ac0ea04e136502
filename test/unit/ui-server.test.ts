import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { startUiServer, type UiServer } from '../../src/ui/server.js';

/** The status and content type of `path`, sent exactly as given (fetch would normalise it). */
function get(base: string, path: string): Promise<{ status: number; type: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '' }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe("kitaru ui's server: the page's files", () => {
  let ui: UiServer;
  before(async () => {
    ui = await startUiServer({ store: createMemoryStore(), port: 0 });
  });
  after(() => ui.close());

  it('serves the page and its modules, nested ones too, each with its type', async () => {
    assert.match((await get(ui.url, '/')).type, /^text\/html/);
    for (const path of ['/app.js', '/format.js', '/pages/list.js', '/pages/execution.js']) {
      const res = await get(ui.url, path);
      assert.equal(res.status, 200, path);
      assert.match(res.type, /^text\/javascript/, path);
    }
    assert.match((await get(ui.url, '/style.css')).type, /^text\/css/);
  });

  it('serves nothing outside ui/, however the path climbs', async () => {
    for (const path of [
      '/../package.json',
      '/pages/../../package.json',
      '/pages/%2e%2e/%2e%2e/package.json',
      '/pages/..%2f..%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '/src/ui/server.ts',
      '/pages',
    ]) {
      assert.equal((await get(ui.url, path)).status, 404, path);
    }
  });

  it('answers an unknown API route with a 404 that names it', async () => {
    const res = await fetch(`${ui.url}api/nothing/here`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), {
      error: { type: 'KitaruNotFoundError', message: 'no such API route: GET /api/nothing/here' },
    });
  });
});

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import {
  APPROVAL_SCHEMA,
  execIdOf,
  finished,
  kitaru,
  kitaruAsync,
  makeProject,
  write,
} from '../e2e-project.js';
import { startPostgres } from '../pg-cluster.js';

const FLOW = `import { checkpoint, flow } from 'kitaru';
const double = checkpoint(function double(x: number) { return x * 2; });
export default flow(async function twice(x: number) { return double(await double(x)); });
`;

/** Starts `kitaru ui --port 0 --json` and resolves to its URL once it listens. */
async function startUi(dir: string, extra: string[] = []): Promise<{ url: string; child: ChildProcess }> {
  const child = kitaruAsync(dir, ['ui', '--port', '0', '--json', ...extra]);
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (d) => {
      text += d;
      if (text.includes('\n')) resolve((JSON.parse(text) as { url: string }).url);
    });
    child.on('exit', (code) => reject(new Error(`kitaru ui exited ${code}: ${text}`)));
  });
  return { url, child };
}

/** A request with the path exactly as given (fetch would normalise it) and extra headers. */
function raw(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const WAITING = `${APPROVAL_SCHEMA}const draft = checkpoint(function draft() { return 42; });
export default flow(async function refund() {
  const amount = await draft();
  const answer = await wait({ name: 'approval', question: 'Refund ' + amount + '?', schema: Approval });
  return answer.approved ? 'refunded ' + amount : 'declined';
});
`;

describe('kitaru ui: the JSON API behind the page', () => {
  it('answers on a folder store: list, execution page, call, errors as JSON; SIGINT exits 130', async () => {
    const dir = makeProject();
    write(dir, { 'flow.ts': FLOW });
    const run = kitaru(dir, ['run', 'flow.ts', '--args', '3']);
    assert.equal(run.code, 0, run.stderr);
    const id = execIdOf(run);
    // A stray file among the executions is not an execution (it used to fail the list with a 500).
    write(dir, { '.kitaru/executions/.DS_Store': 'junk' });
    const { url, child } = await startUi(dir);
    const ended = finished(child);
    try {
      const list = await get(`${url}api/executions`);
      assert.equal(list.status, 200);
      assert.equal(list.body.total, 1);
      assert.deepEqual(list.body.flows, ['twice']);
      const page = await get(`${url}api/executions/${id.slice(0, 12)}?offset=1&limit=1`);
      assert.equal(page.status, 200);
      assert.equal(page.body.total, 2);
      assert.deepEqual(
        (page.body.calls as { id: string }[]).map((c) => c.id),
        ['double_2'],
      );
      assert.equal((page.body.timeline as unknown[]).length, 2);
      const call = await get(`${url}api/executions/${id}/calls/double_2`);
      assert.deepEqual((call.body.call as { input: unknown; output: unknown }).input, [6]);
      assert.equal((call.body.call as { output: unknown }).output, 12);
      assert.equal((await get(`${url}api/executions/nope`)).status, 404);
      assert.equal((await get(`${url}api/executions/${id}?offset=-1`)).status, 400);
      const json = { 'content-type': 'application/json' };
      const bad = await fetch(`${url}api/executions/${id}/replay`, {
        method: 'POST',
        headers: json,
        body: '{"from": "nothing"}',
      });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: { message: string } }).error.message, /names no call/);
      // A form post from another page (no JSON content type) cannot start a replay.
      const form = await fetch(`${url}api/executions/${id}/replay`, { method: 'POST', body: '{}' });
      assert.equal(form.status, 415);
      const ok = await fetch(`${url}api/executions/${id}/replay`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ overrides: { 'checkpoint.double': 100 } }),
      });
      assert.equal(ok.status, 202);
      const { execId } = (await ok.json()) as { execId: string };
      for (let i = 0; i < 100; i++) {
        const r = await get(`${url}api/executions/${execId}`);
        if ((r.body.execution as { status: string }).status === 'completed') break;
        await new Promise((res) => setTimeout(res, 50));
      }
      const inspected = JSON.parse(kitaru(dir, ['inspect', execId, '--json']).stdout) as {
        execution: { output: number; originalExecId: string };
      };
      assert.equal(inspected.execution.output, 200);
      assert.equal(inspected.execution.originalExecId, id);
      const html = await fetch(url);
      assert.match(html.headers.get('content-type') ?? '', /text\/html/);
      // Raw paths, sent as they are: nothing outside the page's files, and no crash.
      assert.equal((await raw(url, '/../package.json')).status, 404);
      assert.equal((await raw(url, '//')).status, 200);
      assert.equal((await raw(url, '/api/executions/%E0')).status, 400);
      // Another site's page, or a DNS name rebound to this address, is refused.
      assert.equal((await raw(url, '/api/executions', { host: 'evil.example:80' })).status, 403);
      assert.equal((await raw(url, '/api/executions', { origin: 'http://evil.example' })).status, 403);
      assert.equal((await get(`${url}api/executions`)).status, 200, 'still serving');
    } finally {
      child.kill('SIGINT');
    }
    assert.equal((await ended).code, 130);
  });

  it('answers a wait: bad JSON, refused by the schema (400 with issues), taken, then answered twice', async () => {
    const dir = makeProject();
    write(dir, { 'wait.ts': WAITING });
    const run = kitaru(dir, ['run', 'wait.ts']);
    assert.equal(run.code, 3, run.stderr);
    const id = execIdOf(run);
    const { url, child } = await startUi(dir);
    const ended = finished(child);
    const post = async (body: string, headers = { 'content-type': 'application/json' }) => {
      const res = await fetch(`${url}api/executions/${id}/waits/approval/input`, {
        method: 'POST',
        headers,
        body,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      const page = await get(`${url}api/executions/${id}`);
      const waits = (page.body.execution as { waits: { id: string; question: string }[] }).waits;
      assert.deepEqual(
        waits.map((w) => [w.id, w.question]),
        [['approval', 'Refund 42?']],
      );
      assert.equal((await post('{"value": ')).status, 400);
      const noValue = await post('{"answer": true}');
      assert.equal(noValue.status, 400);
      assert.match((noValue.body.error as { message: string }).message, /must be \{"value"/);
      assert.equal((await post('{"value": {"approved": true}}', {} as never)).status, 415);
      const refused = await post('{"value": {"approved": "yes"}}');
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body.issues, [{ message: 'expected a boolean', path: 'approved' }]);
      assert.match((refused.body.error as { message: string }).message, /refused by its schema/);
      assert.equal(
        (JSON.parse(kitaru(dir, ['inspect', id, '--json']).stdout) as { execution: { status: string } })
          .execution.status,
        'waiting',
      );
      const ok = await post('{"value": {"approved": true}}');
      assert.ok(ok.status === 200 || ok.status === 202, JSON.stringify(ok.body));
      assert.equal(ok.body.execId, id);
      let status = '';
      for (let i = 0; i < 100 && status !== 'completed'; i++) {
        status = ((await get(`${url}api/executions/${id}`)).body.execution as { status: string }).status;
        if (status !== 'completed') await new Promise((res) => setTimeout(res, 50));
      }
      assert.equal(status, 'completed');
      const inspected = JSON.parse(kitaru(dir, ['inspect', id, '--json']).stdout) as {
        execution: { output: string };
      };
      assert.equal(inspected.execution.output, 'refunded 42');
      const again = await post('{"value": {"approved": false}}');
      assert.equal(again.status, 400);
      assert.equal((again.body.error as { type: string }).type, 'KitaruStateError');
    } finally {
      child.kill('SIGINT');
    }
    assert.equal((await ended).code, 130);
  });

  it('serves a Postgres store the same way, and refuses a port in use', async () => {
    const pg = await startPostgres();
    const dir = makeProject();
    write(dir, { 'flow.ts': FLOW });
    const run = kitaru(dir, ['run', 'flow.ts', '--args', '5', '--store', pg]);
    assert.equal(run.code, 0, run.stderr);
    const { url, child } = await startUi(dir, ['--store', pg]);
    const ended = finished(child);
    after(() => child.kill('SIGKILL'));
    const list = await get(`${url}api/executions`);
    assert.equal((list.body.executions as { id: string }[])[0]?.id, execIdOf(run));
    const port = new URL(url).port;
    const busy = kitaru(dir, ['ui', '--port', port, '--store', pg]);
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, new RegExp(`port ${port} is in use`));
    child.kill('SIGTERM');
    assert.equal((await ended).code, 143);
  });
});

/// <reference lib="dom" />
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { formatDuration, formatTime } from '../../ui/format.js';
import {
  APPROVAL_SCHEMA,
  execIdOf,
  finished,
  kitaru,
  kitaruAsync,
  makeProject,
  repo,
  write,
} from '../e2e-project.js';
import { delay } from '../helpers.js';

// Screenshots of each step land here (docs/ui.md shows copies of them from docs/screenshots/).
const SHOTS = process.env.KITARU_SCREENSHOTS ?? join(repo, 'test-output', 'screenshots');

const FLOWS = {
  'flows/research.ts': `import { existsSync } from 'node:fs';
import { checkpoint, flow, log } from 'kitaru';
const search = checkpoint({ type: 'tool_call' }, async function search(q: string) {
  await new Promise((r) => setTimeout(r, 30));
  return ['result about ' + q, 'another about ' + q];
});
const summarize = checkpoint({ type: 'llm_call', retries: 2 }, async function summarize(hits: string[]) {
  await new Promise((r) => setTimeout(r, 20));
  log({ tokens: 42 });
  return hits.join(' / ');
});
const publish = checkpoint({ type: 'tool_call', retries: 1 }, function publish(text: string) {
  console.log('publishing', text.length, 'chars');
  if (!existsSync('ready.txt')) throw new Error('ready.txt is missing');
  return { published: text };
});
export default flow(async function research(topics: string[]) {
  const hits = await search.map(topics, { concurrency: 2 });
  const text = await summarize(hits.flat());
  return publish(text);
});
`,
  'flows/many.ts': `import { checkpoint, flow } from 'kitaru';
const tiny = checkpoint(function tiny(i: number) { return i * 2; });
export default flow(async function many(n: number) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await tiny(i);
  return sum;
});
`,
  'flows/approval.ts': `${APPROVAL_SCHEMA}const draft = checkpoint(function draft(orderId: string) { return { orderId, amount: 42 }; });
export default flow(async function refund(orderId: string) {
  const plan = await draft(orderId);
  const answer = await wait({
    name: 'approval',
    question: 'Refund ' + plan.amount + ' for ' + orderId + '?',
    schema: Approval,
    timeout: '2d',
    metadata: { amount: plan.amount },
  });
  return answer.approved ? 'refunded ' + plan.amount : 'declined';
});
`,
  'flows/hang.ts': `import { writeFileSync } from 'node:fs';
import { abortSignal, checkpoint, currentExecutionId, flow } from 'kitaru';
const hold = checkpoint(async function hold() {
  writeFileSync('holding.txt', String(currentExecutionId()));
  const signal = abortSignal();
  await new Promise((_, reject) => {
    const t = setTimeout(() => reject(new Error('never cancelled')), 60_000);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)));
  });
});
export default flow(async function hang() { return hold(); });
`,
  'flows/other.ts': `import { checkpoint, flow } from 'kitaru';
const one = checkpoint(function one() { return 1; });
export default flow(async function other() { return one(); });
`,
};

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** The failed research execution (the one the tests replay). */
async function firstFailedId(): Promise<string> {
  const list = (await (await fetch(`${base}api/executions?status=failed`)).json()) as {
    executions: { id: string }[];
  };
  return list.executions[0]?.id as string;
}

let browser: Browser;
let ui: ChildProcess | undefined;
let uiEnded: ReturnType<typeof finished> | undefined;
let page: Page;
let base: string;
const dir = makeProject();
const requests: string[] = [];
const pageErrors: string[] = [];

/** axe-core's checks (WCAG A and AA) on the page shown: its serious and critical findings. */
async function axeFindings(): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o: unknown): Promise<{ violations: AxeViolation[] }> } })
      .axe;
    const result = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

describe('kitaru ui in a real browser (Chromium through playwright-core)', () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    write(dir, FLOWS);
    const failed = kitaru(dir, ['run', 'flows/research.ts', '--args', '[["durable", "replay"]]']);
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(kitaru(dir, ['run', 'flows/other.ts']).code, 0);
    ui = kitaruAsync(dir, ['ui', '--port', '0']);
    uiEnded = finished(ui);
    const started = ui;
    base = await new Promise<string>((resolve, reject) => {
      let text = '';
      started.stdout?.on('data', (d) => {
        text += d;
        const m = text.match(/kitaru ui: (http:\/\/\S+)/);
        if (m) resolve(m[1] as string);
      });
      started.on('exit', () => reject(new Error(`kitaru ui exited: ${text}`)));
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      // A 400 is the answer the diff of two flows gets on purpose; anything else is a fault.
      if (m.type() === 'error' && !/status of 400/.test(m.text())) pageErrors.push(m.text());
    });
  });
  after(async () => {
    await browser?.close();
    ui?.kill('SIGINT');
    const end = await uiEnded;
    assert.equal(end?.code, 130, end?.stderr);
  });

  it('lists executions newest first, filters by flow and status, and updates live', async () => {
    await page.goto(base);
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    assert.match((await rows.nth(0).textContent()) ?? '', /other\s*completed/);
    assert.match((await rows.nth(1).textContent()) ?? '', /research\s*failed/);
    await shot('1-executions');
    await page.selectOption('#f-status', 'failed');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    assert.match(page.url(), /status=failed/);
    await page.selectOption('#f-status', '');
    await page.selectOption('#f-flow', 'other');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    assert.match((await rows.nth(0).textContent()) ?? '', /other/);
    await page.selectOption('#f-flow', '');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 2);
    // A run started elsewhere shows up without a reload.
    assert.equal(kitaru(dir, ['run', 'flows/other.ts']).code, 0);
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 3, null, {
      timeout: 10_000,
    });
  });

  it('shows an execution: timeline, calls with origin and reason, and a call with its attempts and logs', async () => {
    await page.goto(base);
    await page.locator('tbody tr', { hasText: 'research' }).locator('a').first().click();
    await page.locator('#calls').waitFor();
    assert.match((await page.locator('h1').textContent()) ?? '', /failed/);
    const summary = (await page.locator('#timeline-summary').textContent()) ?? '';
    assert.match(summary, /4 calls ran over .*, up to 2 at once; 1 retried/);
    const callRows = page.locator('#calls tbody tr');
    assert.equal(await callRows.count(), 4);
    assert.match((await callRows.nth(3).textContent()) ?? '', /publish.*failed.*executed.*new.*2/);
    await shot('2-execution');
    // The error panel links to the failing call.
    await page.getByRole('link', { name: 'See call publish' }).click();
    await page.locator('#call-heading').waitFor();
    const call = page.locator('#call-box');
    assert.match((await call.locator('.input').textContent()) ?? '', /result about durable/);
    const attempts = call.locator('.attempt');
    assert.equal(await attempts.count(), 2);
    assert.match(
      (await attempts.nth(0).textContent()) ?? '',
      /Attempt 1.*failed.*Error: ready\.txt is missing/s,
    );
    assert.match((await attempts.nth(0).locator('pre.logs').textContent()) ?? '', /publishing \d+ chars/);
    assert.match((await attempts.nth(0).locator('details pre').first().textContent()) ?? '', /at publish/);
    await shot('3-call');
    // A click on the timeline opens the call under the pointer: summarize's bar, found from the
    // API's timeline the way the page lays it out (lane 0, after both searches).
    const id = page.url().match(/#\/e\/([^?]+)/)?.[1] as string;
    const data = (await (await fetch(`${base}api/executions/${id}`)).json()) as {
      timeline: [string, string, string, [number, number, number][]][];
    };
    const total = Math.max(...data.timeline.flatMap((r) => r[3].map((a) => a[1])));
    const bar = data.timeline.find((r) => r[0] === 'summarize')?.[3][0] as [number, number, number];
    const box = (await page.locator('#timeline').boundingBox()) as { x: number; y: number; width: number };
    const midMs = (bar[0] + bar[1]) / 2;
    await page.mouse.click(box.x + 1 + (midMs / total) * (box.width - 2), box.y + 2 + 6);
    await page.waitForFunction(() =>
      document.querySelector('#call-heading')?.textContent?.includes('summarize'),
    );
    assert.match((await page.locator('#call-box pre.logs').textContent()) ?? '', /"tokens":42/);
  });

  it('replays from the page with an override; the new execution appears; the diff page compares them', async () => {
    writeFileSync(join(dir, 'ready.txt'), '');
    await page.goto(base);
    await page.locator('tbody tr', { hasText: 'failed' }).locator('a').first().click();
    await page.locator('#calls').waitFor();
    const sourceId = (await page.locator('h1 .mono').textContent()) as string;
    await page.getByRole('link', { name: 'summarize' }).click();
    await page.getByRole('button', { name: "Override this call's output…" }).click();
    const value = page.locator('.ov-value').first();
    assert.match(await value.inputValue(), /result about durable/);
    // Bad JSON is refused on the page, with a message.
    await value.fill('{not json');
    await page.getByRole('button', { name: 'Start replay' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid JSON' }).waitFor();
    await value.fill('"a summary written by hand"');
    await shot('4-replay-form');
    await page.getByRole('button', { name: 'Start replay' }).click();
    await page.waitForFunction((src) => {
      const h1 = document.querySelector('h1')?.textContent ?? '';
      return !h1.includes(src) && /completed/.test(h1);
    }, sourceId);
    const callRows = page.locator('#calls tbody tr');
    assert.match((await callRows.nth(0).textContent()) ?? '', /search.*reused/);
    assert.match((await callRows.nth(2).textContent()) ?? '', /summarize.*overridden/);
    assert.match((await callRows.nth(3).textContent()) ?? '', /publish.*completed.*executed.*not-completed/);
    assert.match((await page.locator('.facts').textContent()) ?? '', /a summary written by hand/);
    assert.match((await page.locator('.facts').textContent()) ?? '', new RegExp(`Replay of${sourceId}`));
    await shot('5-replayed');
    await page.getByRole('link', { name: 'Diff with source' }).click();
    await page.locator('#diff tbody tr').first().waitFor();
    assert.match(
      (await page.locator('#diff-summary').textContent()) ?? '',
      /2 same, 2 changed, 0 only in a, 0 only in b · output changed/,
    );
    assert.match(
      (await page.locator('#diff tbody tr', { hasText: 'summarize' }).textContent()) ?? '',
      /changed.*executed → overridden/,
    );
    await shot('6-diff');
    await page.check('#d-only');
    assert.equal(await page.locator('#diff tbody tr').count(), 2);
    // Executions of different flows are refused.
    const other = kitaru(dir, ['list', '--flow', 'other', '--json']);
    const otherId = (JSON.parse(other.stdout) as { executions: { id: string }[] }).executions[0]
      ?.id as string;
    await page.goto(`${base}#/diff/${sourceId}/${otherId}`);
    await page.getByRole('alert').filter({ hasText: 'not of the same flow' }).waitFor();
  });

  it("answers a wait from the page: JSON checked on the page, the schema's issues shown, then completed", async () => {
    const run = kitaru(dir, ['run', 'flows/approval.ts', '--args', '["order-7"]']);
    assert.equal(run.code, 3, run.stderr);
    const id = execIdOf(run);
    await page.goto(`${base}#/?status=waiting`);
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    assert.match((await page.locator('tbody tr').textContent()) ?? '', /refund\s*waiting/);
    await page.locator('tbody tr a').first().click();
    const wait = page.locator('[data-wait="approval"]');
    await wait.waitFor();
    assert.match((await wait.textContent()) ?? '', /Refund 42 for order-7\?/);
    assert.match((await wait.locator('.facts').textContent()) ?? '', /"amount": 42.*Deadline\d{4}-/s);
    await page.waitForLoadState('networkidle');
    assert.deepEqual(await axeFindings(), [], 'accessibility findings on a waiting execution');
    const box = page.getByLabel('Answer to approval (JSON)');
    await box.fill('{approved: true');
    await page.getByRole('button', { name: 'Answer approval' }).click();
    await wait.getByRole('alert').filter({ hasText: 'not valid JSON' }).waitFor();
    await box.fill('{"approved": "yes"}');
    await page.getByRole('button', { name: 'Answer approval' }).click();
    await wait.locator('#w-problems-1').filter({ hasText: 'refused by its schema' }).waitFor();
    assert.match((await wait.locator('.issues').textContent()) ?? '', /approved: expected a boolean/);
    await shot('8-wait');
    await box.fill('{"approved": true}');
    await page.getByRole('button', { name: 'Answer approval' }).click();
    await page.waitForFunction(
      () => /completed/.test(document.querySelector('h1')?.textContent ?? ''),
      null,
      {
        timeout: 10_000,
      },
    );
    assert.match((await page.locator('.facts').textContent()) ?? '', /refunded 42/);
    assert.equal(await page.locator('[data-wait]').count(), 0);
    const inspected = JSON.parse(kitaru(dir, ['inspect', id, '--json']).stdout) as {
      execution: { status: string; output: string };
    };
    assert.deepEqual([inspected.execution.status, inspected.execution.output], ['completed', 'refunded 42']);
  });

  it('pages through an execution of 10,000 calls without putting them all in the page', async () => {
    const big = kitaru(dir, ['run', 'flows/many.ts', '--args', '10000']);
    assert.equal(big.code, 0, big.stderr);
    const id = execIdOf(big);
    await page.goto(`${base}#/e/${id}`);
    await page.waitForFunction((x) => document.querySelector('h1')?.textContent?.includes(x), id);
    assert.equal(await page.locator('#calls tbody tr').count(), 100);
    assert.equal(await page.locator('#page-info').textContent(), '1–100 of 10000');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForFunction(
      () => document.querySelector('#page-info')?.textContent === '101–200 of 10000',
    );
    assert.match((await page.locator('#calls tbody tr').first().textContent()) ?? '', /^101tiny_101/);
    await page.getByRole('button', { name: 'Last' }).click();
    await page.waitForFunction(
      () => document.querySelector('#page-info')?.textContent === '9901–10000 of 10000',
    );
    assert.match((await page.locator('#timeline-summary').textContent()) ?? '', /10000 calls ran/);
    // The DOM holds one page of rows, not 10,000.
    assert.ok((await page.locator('tr').count()) < 200);
    await shot('7-ten-thousand-calls');
  });

  it('is keyboard-usable, labels its controls, and loads nothing from outside the server', async () => {
    await page.goto(base);
    await page.locator('tbody tr').first().waitFor();
    // Every form control has a label; every button a name.
    const unlabelled = await page.evaluate(
      () =>
        Array.from(document.querySelectorAll('input, select, textarea')).filter(
          (el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label'),
        ).length,
    );
    assert.equal(unlabelled, 0);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    // Tab from the top reaches the skip link, then the execution links; Enter opens one.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.locator('tbody tr a').first().focus();
    await page.keyboard.press('Enter');
    await page.locator('#calls').waitFor();
    // axe-core's checks (WCAG A and AA) on each kind of page: no serious or critical findings.
    const pages = [
      '#/',
      `#/e/${await firstFailedId()}`,
      `#/e/${await firstFailedId()}?call=publish`,
      '#/diff',
    ];
    for (const hash of pages) {
      await page.goto(`${base}${hash}`);
      await page.locator('h1').waitFor();
      await page.waitForLoadState('networkidle');
      const violations = await axeFindings();
      assert.deepEqual(violations, [], `accessibility findings on ${hash}`);
    }
    const outside = requests.filter((u) => !u.startsWith(base));
    assert.deepEqual(outside, [], 'every request goes to the kitaru ui server');
    assert.deepEqual(pageErrors, [], 'no script errors on the page');
  });

  it('shows durations and times exactly as the CLI prints them (one format module)', async () => {
    await page.goto(base);
    await page.locator('tbody tr').first().waitFor();
    const list = (await (await fetch(`${base}api/executions`)).json()) as {
      executions: { id: string; durationMs: number | null; createdAt: string }[];
    };
    for (const e of list.executions) {
      const cells = await page.locator(`tr[data-id="${e.id}"] td`).allTextContents();
      assert.equal(cells[4], formatDuration(e.durationMs), `duration of ${e.id}`);
      assert.equal(cells[5], formatTime(e.createdAt), `creation time of ${e.id}`);
    }
    // The CLI's own table agrees, cell for cell.
    const cli = kitaru(dir, ['list']).stdout;
    for (const e of list.executions) {
      assert.match(cli, new RegExp(`${e.id}.*${formatTime(e.createdAt)}\\s+${formatDuration(e.durationMs)}`));
    }
  });

  it('cancels a running execution (in another process) and a waiting one with their Cancel buttons', async () => {
    const holding = join(dir, 'holding.txt');
    const run = kitaruAsync(dir, ['run', 'flows/hang.ts']);
    const ran = finished(run);
    for (const end = Date.now() + 20_000; !existsSync(holding); await delay(25)) {
      if (Date.now() > end) throw new Error('the hang flow never started');
    }
    const id = readFileSync(holding, 'utf8');
    const h1Says = (status: string) =>
      page.waitForFunction(
        (s) => new RegExp(s).test(document.querySelector('h1')?.textContent ?? ''),
        status,
        {
          timeout: 20_000,
        },
      );
    await page.goto(`${base}#/e/${id}`);
    await h1Says('running');
    await page.getByRole('button', { name: 'Cancel execution' }).click();
    await h1Says('cancelled');
    assert.equal(await page.getByRole('button', { name: 'Cancel execution' }).count(), 0);
    await shot('9-cancelled');
    assert.equal((await ran).code, 130, 'the process running it was signalled, as with Ctrl-C');
    const ex = JSON.parse(kitaru(dir, ['inspect', id, '--json']).stdout) as {
      execution: { status: string; checkpoints: { attempts: { error: { type: string } | null }[] }[] };
    };
    assert.equal(ex.execution.status, 'cancelled');
    assert.equal(ex.execution.checkpoints[0]?.attempts[0]?.error?.type, 'KitaruCancelledError');

    const waiting = kitaru(dir, ['run', 'flows/approval.ts', '--args', '["order-9"]']);
    assert.equal(waiting.code, 3, waiting.stderr);
    await page.goto(`${base}#/e/${execIdOf(waiting)}`);
    await page.locator('[data-wait="approval"]').waitFor();
    await page.getByRole('button', { name: 'Cancel execution' }).click();
    await h1Says('cancelled');
    assert.equal(await page.locator('[data-wait]').count(), 0);
    assert.deepEqual(pageErrors, [], 'no script errors on the page');
  });
});

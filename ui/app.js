// kitaru ui: one page over the store's JSON API (served by `kitaru ui`). No build step, no network
// beyond the server it came from. Routes live in the hash: #/, #/e/<id>?call=&offset=, #/diff/<a>/<b>.

const main = document.getElementById('main');
const announce = document.getElementById('announce');
const PAGE = 100;
const STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'crashed'];
let pollTimer = 0;
let renderToken = 0;

// ---------------------------------------------------------------- small helpers

/** Builds an element; children are nodes or text (never parsed as HTML). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(path, init) {
  const res = await fetch(`/api${path}`, init);
  const body = await res.json();
  if (!res.ok) {
    const err = new Error(body.error?.message ?? res.statusText);
    err.type = body.error?.type ?? 'Error';
    throw err;
  }
  return body;
}

function fmtMs(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms % 60_000) / 1000)}s`;
}

function fmtTime(iso) {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, '') : '–';
}

/** A stored value, shown as the JSON it is stored as (tagged values keep their tag). */
function fmtValue(v, max = 80) {
  return clip(v === undefined ? '' : JSON.stringify(v), max);
}

const pretty = (v) => JSON.stringify(v, null, 2);
const clip = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const statusBadge = (s) => h('span', { class: `status ${s}` }, s);
const execLink = (id, text) => h('a', { href: `#/e/${encodeURIComponent(id)}` }, text ?? id);

function say(text) {
  announce.textContent = text;
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), q: new URLSearchParams(query) };
}

function setHash(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {}))
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  location.hash = `#${path}${s ? `?${s}` : ''}`;
}

function showError(err, where = main) {
  where.append(h('p', { class: 'error', role: 'alert' }, `${err.type ?? 'Error'}: ${err.message}`));
}

function poll(fn, ms) {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(fn, ms);
}

// ---------------------------------------------------------------- executions list

async function listPage(q) {
  const token = renderToken;
  const flow = q.get('flow') ?? '';
  const status = q.get('status') ?? '';
  const title = h('h1', {}, 'Executions');
  const count = h('p', { class: 'muted', id: 'count' });
  const flowSelect = h('select', { id: 'f-flow', name: 'flow' }, h('option', { value: '' }, 'all flows'));
  const statusSelect = h(
    'select',
    { id: 'f-status', name: 'status' },
    h('option', { value: '' }, 'any status'),
    STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)),
  );
  const onFilter = () => setHash('/', { flow: flowSelect.value, status: statusSelect.value });
  flowSelect.addEventListener('change', onFilter);
  statusSelect.addEventListener('change', onFilter);
  const filters = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Filter executions',
      onsubmit: (e) => e.preventDefault(),
    },
    h('label', { for: 'f-flow' }, 'Flow', flowSelect),
    h('label', { for: 'f-status' }, 'Status', statusSelect),
  );
  const tbody = h('tbody');
  const table = h(
    'table',
    { 'aria-describedby': 'count' },
    h('caption', { class: 'visually-hidden' }, 'Executions, newest first'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Execution', 'Flow', 'Status', 'Calls', 'Duration', 'Created', 'Lineage'].map((t) =>
          h('th', { scope: 'col', class: t === 'Calls' || t === 'Duration' ? 'num' : undefined }, t),
        ),
      ),
    ),
    tbody,
  );
  main.replaceChildren(title, filters, count, table);
  let last = '';
  const load = async () => {
    if (token !== renderToken) return;
    try {
      const params = new URLSearchParams();
      if (flow) params.set('flow', flow);
      if (status) params.set('status', status);
      const data = await api(`/executions?${params}`);
      if (token !== renderToken) return;
      if (flowSelect.options.length !== data.flows.length + 1) {
        flowSelect.replaceChildren(
          h('option', { value: '' }, 'all flows'),
          ...data.flows.map((f) => h('option', { value: f, selected: f === flow }, f)),
        );
      }
      const sig = JSON.stringify(data.executions.map((e) => [e.id, e.status, e.checkpointCount]));
      if (sig !== last) {
        if (last) say(`${data.total} executions; list updated`);
        last = sig;
        tbody.replaceChildren(
          ...data.executions.map((e) =>
            h(
              'tr',
              { 'data-id': e.id },
              h('td', { class: 'mono' }, execLink(e.id)),
              h('td', {}, e.flow.name),
              h('td', {}, statusBadge(e.status)),
              h('td', { class: 'num' }, e.checkpointCount),
              h('td', { class: 'num' }, fmtMs(e.durationMs)),
              h('td', {}, fmtTime(e.createdAt)),
              h('td', {}, e.originalExecId ? ['replay of ', execLink(e.originalExecId)] : ''),
            ),
          ),
        );
      }
      count.textContent =
        `${data.total} execution${data.total === 1 ? '' : 's'}` +
        (data.total > data.executions.length ? `, newest ${data.executions.length} shown` : '') +
        ' · updates live';
      for (const w of data.warnings) console.warn(w);
    } catch (err) {
      count.textContent = '';
      showError(err);
    }
    if (token === renderToken) poll(load, 2000);
  };
  await load();
}

// ---------------------------------------------------------------- timeline

/** Draws calls as bars over time: one lane per concurrent call, one segment per attempt. */
function drawTimeline(canvas, rows, onPick) {
  const spans = [];
  let total = 1;
  for (const [id, , , attempts] of rows) {
    if (attempts.length === 0) continue;
    const start = attempts[0][0];
    const end = attempts[attempts.length - 1][1];
    total = Math.max(total, end);
    spans.push({ id, start, end, attempts });
  }
  spans.sort((a, b) => a.start - b.start);
  const lanesEnd = [];
  for (const s of spans) {
    let lane = lanesEnd.findIndex((end) => end <= s.start);
    if (lane < 0) lane = lanesEnd.push(0) - 1;
    lanesEnd[lane] = s.end;
    s.lane = lane;
  }
  const lanes = Math.max(1, lanesEnd.length);
  const laneH = lanes > 40 ? Math.max(2, Math.floor(480 / lanes)) : 14;
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 900;
  const height = lanes * laneH + 26;
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  ctx.clearRect(0, 0, width, height);
  const x = (ms) => (ms / total) * (width - 2) + 1;
  for (const s of spans) {
    const y = s.lane * laneH + 2;
    const barH = Math.max(1, laneH - 3);
    for (let i = 0; i < s.attempts.length; i++) {
      const [a0, a1, ok] = s.attempts[i];
      if (i > 0) {
        // the wait between a failed attempt and its retry
        ctx.fillStyle = '#b9b9b4';
        ctx.fillRect(x(s.attempts[i - 1][1]), y + barH / 2, Math.max(0, x(a0) - x(s.attempts[i - 1][1])), 1);
      }
      ctx.fillStyle = ok ? '#2e9d52' : '#d0453a';
      ctx.fillRect(x(a0), y, Math.max(1, x(a1) - x(a0)), barH);
    }
  }
  ctx.fillStyle = '#5f6368';
  ctx.font = '11px system-ui, sans-serif';
  const axisY = lanes * laneH + 18;
  ctx.textAlign = 'left';
  ctx.fillText('0', 1, axisY);
  ctx.textAlign = 'center';
  ctx.fillText(fmtMs(total / 2), width / 2, axisY);
  ctx.textAlign = 'right';
  ctx.fillText(fmtMs(total), width - 1, axisY);
  // The call under the pointer: in its lane, the nearest bar within a few pixels (measured on the
  // canvas as it is now, which may have been resized since it was drawn).
  const at = (ev) => {
    const r = canvas.getBoundingClientRect();
    const ms = ((ev.clientX - r.left - 1) / (r.width - 2)) * total;
    const lane = Math.floor((ev.clientY - r.top - 2) / laneH);
    const slack = (4 / r.width) * total;
    let best;
    let bestDistance = slack;
    for (const s of spans) {
      if (s.lane !== lane) continue;
      const distance = ms < s.start ? s.start - ms : ms > s.end ? ms - s.end : 0;
      // Bars in one lane never overlap, so the nearest is the one to open.
      if (distance < bestDistance || (distance === 0 && !best)) {
        best = s;
        bestDistance = distance;
      }
    }
    return best;
  };
  canvas.onmousemove = (ev) => {
    const s = at(ev);
    canvas.title = s
      ? `${s.id}: ${s.attempts.length} attempt${s.attempts.length > 1 ? 's' : ''}, ${fmtMs(s.end - s.start)}`
      : '';
  };
  canvas.onclick = (ev) => {
    const s = at(ev);
    if (s) onPick(s.id);
  };
  const retried = spans.filter((s) => s.attempts.length > 1).length;
  return `${spans.length} calls ran over ${fmtMs(total)}, up to ${lanes} at once; ${retried} retried; ${
    rows.length - spans.length
  } reused or overridden (not drawn).`;
}

// ---------------------------------------------------------------- one execution

async function executionPage(id, q) {
  const token = renderToken;
  const offset = Number(q.get('offset') ?? 0) || 0;
  const callId = q.get('call');
  let data;
  try {
    data = await api(`/executions/${encodeURIComponent(id)}?offset=${offset}&limit=${PAGE}`);
  } catch (err) {
    main.replaceChildren(h('h1', {}, 'Execution'));
    showError(err);
    return;
  }
  if (token !== renderToken) return;
  const ex = data.execution;
  const ids = data.timeline ? data.timeline.map((r) => r[0]) : data.calls.map((c) => c.id);
  const replayBox = h('div', { id: 'replay-box' });
  const openReplay = (prefill) => {
    replayBox.replaceChildren(replayForm(ex, ids, prefill));
    replayBox.querySelector('input, select, textarea')?.focus();
  };
  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Flow'),
    h('dd', {}, ex.flow.name, ex.flow.file ? h('span', { class: 'muted' }, ` (${ex.flow.file})`) : ''),
    h('dt', {}, 'Created'),
    h('dd', {}, fmtTime(ex.createdAt), h('span', { class: 'muted' }, ` on ${ex.host}`)),
    h('dt', {}, 'Duration'),
    h('dd', {}, fmtMs(ex.durationMs)),
    h('dt', {}, 'Arguments'),
    h('dd', { class: 'mono' }, fmtValue(ex.args, 300)),
    ex.status === 'completed'
      ? [h('dt', {}, 'Output'), h('dd', { class: 'mono' }, fmtValue(ex.output, 600))]
      : [],
    ex.originalExecId
      ? [
          h('dt', {}, 'Replay of'),
          h(
            'dd',
            {},
            execLink(ex.originalExecId),
            ex.replay?.from ? ` · from ${ex.replay.from}` : '',
            ex.replay && Object.keys(ex.replay.overrides).length
              ? ` · overrides ${Object.keys(ex.replay.overrides).join(', ')}`
              : '',
          ),
        ]
      : [],
  );
  const errorBox = ex.error
    ? h(
        'div',
        { class: 'panel', role: 'region', 'aria-label': 'Error' },
        h('p', { class: 'error' }, h('strong', {}, ex.error.type), `: ${ex.error.message}`),
        ex.error.callId
          ? h(
              'div',
              { class: 'row-actions' },
              h('a', { href: callHref(ex.id, ex.error.callId, ids, offset) }, `See call ${ex.error.callId}`),
              h(
                'button',
                { type: 'button', onclick: () => openReplay({ from: ex.error.callId }) },
                `Replay from ${ex.error.callId}`,
              ),
            )
          : '',
      )
    : '';
  const actions = h(
    'div',
    { class: 'row-actions' },
    h(
      'button',
      {
        type: 'button',
        class: 'primary',
        onclick: () => openReplay({}),
        disabled: ex.status === 'running' || ex.status === 'queued',
      },
      'Replay…',
    ),
    ex.originalExecId
      ? h(
          'a',
          { href: `#/diff/${encodeURIComponent(ex.originalExecId)}/${encodeURIComponent(ex.id)}` },
          'Diff with source',
        )
      : '',
    h('a', { href: `#/diff/${encodeURIComponent(ex.id)}` }, 'Compare with…'),
  );
  const canvas = h('canvas', {
    id: 'timeline',
    role: 'img',
    'aria-label': 'Timeline of calls',
    'aria-describedby': 'timeline-summary',
  });
  const tlSummary = h('p', { id: 'timeline-summary', class: 'muted' });
  const legend = h(
    'div',
    { class: 'legend', 'aria-hidden': 'true' },
    h('span', {}, h('span', { class: 'swatch', style: 'background:#2e9d52' }), 'completed attempt'),
    h('span', {}, h('span', { class: 'swatch', style: 'background:#d0453a' }), 'failed attempt'),
    h(
      'span',
      {},
      h('span', { class: 'swatch', style: 'background:#b9b9b4;height:2px' }),
      'wait before a retry',
    ),
  );
  const pager = pagerOf(data.total, offset, (o) => setHash(`/e/${ex.id}`, { offset: o, call: callId }));
  const callsTable = h(
    'table',
    { id: 'calls' },
    h('caption', { class: 'visually-hidden' }, 'Calls of this execution, in call order'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['#', 'Call', 'Type', 'Status', 'Origin', 'Reason', 'Attempts', 'Duration', 'Last error'].map((t) =>
          h('th', { scope: 'col', class: ['#', 'Attempts', 'Duration'].includes(t) ? 'num' : undefined }, t),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      data.calls.map((c, i) =>
        h(
          'tr',
          { class: c.id === callId ? 'selected' : undefined, 'data-call': c.id },
          h('td', { class: 'num' }, offset + i + 1),
          h('td', { class: 'mono' }, h('a', { href: callHref(ex.id, c.id, ids, offset) }, c.id)),
          h('td', {}, c.type ?? ''),
          h('td', {}, statusBadge(c.status)),
          h(
            'td',
            { class: `origin-${c.origin}` },
            c.origin,
            c.sourceExecId && c.origin !== 'executed' ? '' : '',
          ),
          h('td', {}, c.reason ?? ''),
          h('td', { class: 'num' }, c.attempts),
          h('td', { class: 'num' }, fmtMs(c.durationMs)),
          h('td', { class: 'error' }, c.error ? `${c.error.type}: ${clip(c.error.message, 80)}` : ''),
        ),
      ),
    ),
  );
  const callBox = h('div', { id: 'call-box' });
  main.replaceChildren(
    h('h1', {}, 'Execution ', h('span', { class: 'mono' }, ex.id), ' ', statusBadge(ex.status)),
    facts,
    errorBox,
    actions,
    replayBox,
    h('h2', {}, 'Timeline'),
    h('div', { class: 'timeline-wrap' }, canvas),
    legend,
    tlSummary,
    callBox,
    h('h2', { id: 'calls-heading' }, `Calls (${data.total})`),
    pager,
    callsTable,
  );
  if (data.timeline) {
    tlSummary.textContent = drawTimeline(canvas, data.timeline, (cid) =>
      setHash(`/e/${ex.id}`, { call: cid, offset: pageOf(ids.indexOf(cid)) }),
    );
  }
  if (callId) await showCall(callBox, ex, callId, openReplay);
  if (token !== renderToken) return;
  if (ex.status === 'running' || ex.status === 'queued') {
    poll(() => {
      if (token === renderToken && !replayBox.firstChild) route();
    }, 1000);
  }
}

const pageOf = (index) => Math.max(0, Math.floor(index / PAGE) * PAGE);

function callHref(execId, callId, ids, fallbackOffset) {
  const index = ids.indexOf(callId);
  const offset = index < 0 ? fallbackOffset : pageOf(index);
  return `#/e/${encodeURIComponent(execId)}?call=${encodeURIComponent(callId)}&offset=${offset}`;
}

function pagerOf(total, offset, go) {
  if (total <= PAGE) return h('p', { class: 'muted' }, total ? `${total} calls` : 'No calls yet.');
  const end = Math.min(total, offset + PAGE);
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages of calls' },
    h('button', { type: 'button', onclick: () => go(0), disabled: offset === 0 }, 'First'),
    h(
      'button',
      { type: 'button', onclick: () => go(Math.max(0, offset - PAGE)), disabled: offset === 0 },
      'Previous',
    ),
    h('span', { id: 'page-info' }, `${offset + 1}–${end} of ${total}`),
    h('button', { type: 'button', onclick: () => go(offset + PAGE), disabled: end >= total }, 'Next'),
    h('button', { type: 'button', onclick: () => go(pageOf(total - 1)), disabled: end >= total }, 'Last'),
  );
}

async function showCall(box, ex, callId, openReplay) {
  let call;
  try {
    call = (await api(`/executions/${encodeURIComponent(ex.id)}/calls/${encodeURIComponent(callId)}`)).call;
  } catch (err) {
    showError(err, box);
    return;
  }
  const attempts = call.attempts.map((a) =>
    h(
      'div',
      { class: `attempt ${a.status}` },
      h(
        'p',
        {},
        h('strong', {}, `Attempt ${a.attempt}`),
        ' ',
        statusBadge(a.status),
        h('span', { class: 'muted' }, ` ${fmtTime(a.startedAt)} · ${fmtMs(a.durationMs)}`),
      ),
      a.error
        ? [
            h('p', { class: 'error' }, h('strong', {}, a.error.type), `: ${a.error.message}`),
            a.error.stack ? h('details', {}, h('summary', {}, 'Stack'), h('pre', {}, a.error.stack)) : '',
          ]
        : '',
      a.logs.length
        ? h(
            'details',
            { open: true },
            h('summary', {}, `Logs (${a.logs.length})`),
            h(
              'pre',
              { class: 'logs' },
              a.logs
                .map((l) => `${l.at.slice(11, 23)} ${l.stream} ${l.text ?? JSON.stringify(l.fields)}`)
                .join('\n'),
            ),
          )
        : '',
    ),
  );
  box.replaceChildren(
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'call-heading' },
      h(
        'h2',
        { id: 'call-heading' },
        'Call ',
        h('span', { class: 'mono' }, call.id),
        ' ',
        statusBadge(call.status),
      ),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Checkpoint'),
        h('dd', {}, call.name, call.type ? ` (${call.type})` : ''),
        h('dt', {}, 'Origin'),
        h(
          'dd',
          {},
          call.origin,
          call.reason ? ` · ${call.reason}` : '',
          call.sourceExecId && call.origin !== 'executed' ? [' · from ', execLink(call.sourceExecId)] : '',
        ),
        h('dt', {}, 'Input hash'),
        h('dd', { class: 'mono' }, call.inputHash),
      ),
      h('h3', {}, 'Inputs'),
      h('pre', { class: 'input' }, pretty(call.input)),
      h('h3', {}, 'Output'),
      h(
        'pre',
        { class: 'output' },
        call.status === 'completed' ? pretty(call.output) : '(none: the call failed)',
      ),
      h(
        'div',
        { class: 'row-actions' },
        h(
          'button',
          { type: 'button', onclick: () => openReplay({ from: call.id }) },
          'Replay from this call',
        ),
        h(
          'button',
          {
            type: 'button',
            onclick: () =>
              openReplay({ overrides: [[call.id, call.status === 'completed' ? pretty(call.output) : '']] }),
          },
          "Override this call's output…",
        ),
      ),
      h('h3', {}, `Attempts (${call.attempts.length})`),
      attempts.length
        ? attempts
        : h('p', { class: 'muted' }, 'None: this call did not run in this execution.'),
    ),
  );
}

// ---------------------------------------------------------------- replay form

function replayForm(ex, ids, prefill) {
  const listId = 'call-ids';
  const datalist = h(
    'datalist',
    { id: listId },
    ids.slice(0, 5000).map((id) => h('option', { value: id })),
  );
  const from = h('input', {
    id: 'r-from',
    name: 'from',
    list: listId,
    value: prefill.from ?? '',
    placeholder: 'none: reuse every completed call',
    autocomplete: 'off',
  });
  const rows = h('div', { id: 'r-overrides' });
  let n = 0;
  const addRow = (callId = '', json = '') => {
    n++;
    const idInput = h('input', {
      id: `r-ov-id-${n}`,
      class: 'ov-id',
      list: listId,
      value: callId,
      autocomplete: 'off',
      placeholder: 'call id',
    });
    const value = h(
      'textarea',
      { id: `r-ov-value-${n}`, class: 'ov-value', rows: 3, spellcheck: 'false' },
      json,
    );
    const row = h(
      'div',
      { class: 'override-row' },
      h('label', { for: idInput.id }, 'Call', idInput),
      h('label', { for: value.id }, 'Output (JSON)', value),
      h(
        'button',
        { type: 'button', onclick: () => row.remove(), 'aria-label': `Remove override ${n}` },
        'Remove',
      ),
    );
    rows.append(row);
    return idInput;
  };
  for (const [cid, json] of prefill.overrides ?? []) addRow(cid, json);
  const problems = h('div', { role: 'alert', class: 'error' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Start replay');
  const form = h(
    'form',
    {
      class: 'panel form',
      'aria-label': 'Replay',
      onsubmit: async (e) => {
        e.preventDefault();
        problems.replaceChildren();
        const overrides = {};
        for (const row of rows.querySelectorAll('.override-row')) {
          const cid = row.querySelector('.ov-id').value.trim();
          const text = row.querySelector('.ov-value').value;
          if (!cid) continue;
          try {
            overrides[`checkpoint.${cid}`] = JSON.parse(text);
          } catch (err) {
            problems.append(h('p', {}, `Override of ${cid} is not valid JSON: ${err.message}`));
          }
        }
        if (problems.firstChild) return;
        submit.disabled = true;
        try {
          const body = { overrides };
          if (from.value.trim()) body.from = from.value.trim();
          const res = await api(`/executions/${encodeURIComponent(ex.id)}/replay`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          sessionStorage.setItem('kitaru-warnings', JSON.stringify(res.warnings));
          say(`replay ${res.execId} started`);
          setHash(`/e/${res.execId}`);
        } catch (err) {
          submit.disabled = false;
          showError(err, problems);
        }
      },
    },
    h('h2', {}, `Replay ${ex.id}`),
    h(
      'p',
      { class: 'muted' },
      'A new execution of the same flow: completed calls with equal inputs are reused; the call you name and every call after it run again; an override replaces a call’s output without running it.',
    ),
    datalist,
    h('label', { for: 'r-from' }, 'Run again from call', from),
    h('h3', {}, 'Overrides'),
    rows,
    h(
      'div',
      { class: 'row-actions' },
      h('button', { type: 'button', onclick: () => addRow().focus() }, 'Add override'),
    ),
    problems,
    h('div', { class: 'row-actions' }, submit),
  );
  return form;
}

// ---------------------------------------------------------------- diff

async function diffPage(a, b) {
  const token = renderToken;
  const ia = h('input', { id: 'd-a', name: 'a', value: a ?? '', class: 'mono', autocomplete: 'off' });
  const ib = h('input', { id: 'd-b', name: 'b', value: b ?? '', class: 'mono', autocomplete: 'off' });
  const form = h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Executions to compare',
      onsubmit: (e) => {
        e.preventDefault();
        if (ia.value.trim() && ib.value.trim()) {
          location.hash = `#/diff/${encodeURIComponent(ia.value.trim())}/${encodeURIComponent(ib.value.trim())}`;
        }
      },
    },
    h('label', { for: 'd-a' }, 'Execution a', ia),
    h('label', { for: 'd-b' }, 'Execution b', ib),
    h('button', { type: 'submit', class: 'primary' }, 'Compare'),
  );
  main.replaceChildren(h('h1', {}, 'Diff'), form);
  if (!a || !b) {
    main.append(
      h('p', { class: 'muted' }, 'Two executions of one flow, call by call (say, a run and its replay).'),
    );
    (a ? ib : ia).focus();
    return;
  }
  let diff;
  try {
    diff = (await api(`/diff?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`)).diff;
  } catch (err) {
    showError(err);
    return;
  }
  if (token !== renderToken) return;
  const onlyChanges = h('input', { type: 'checkbox', id: 'd-only' });
  const tbody = h('tbody');
  let offset = 0;
  const info = h('span', { id: 'diff-page' });
  const prev = h('button', { type: 'button' }, 'Previous');
  const next = h('button', { type: 'button' }, 'Next');
  const render = () => {
    const rows = onlyChanges.checked ? diff.calls.filter((c) => c.change !== 'same') : diff.calls;
    offset = Math.min(offset, pageOf(Math.max(0, rows.length - 1)));
    const page = rows.slice(offset, offset + PAGE);
    info.textContent = rows.length ? `${offset + 1}–${offset + page.length} of ${rows.length}` : 'no calls';
    prev.disabled = offset === 0;
    next.disabled = offset + PAGE >= rows.length;
    tbody.replaceChildren(
      ...page.map((c) =>
        h(
          'tr',
          { 'data-call': c.id },
          h('td', { class: 'mono' }, c.id),
          h('td', { class: `change-${c.change}` }, c.change.replace('-', ' in ')),
          h('td', {}, `${c.a ? c.a.origin : '–'} → ${c.b ? c.b.origin : '–'}`),
          h('td', { class: 'mono' }, c.a ? fmtValue(c.a.output, 60) : ''),
          h('td', { class: 'mono' }, c.b ? fmtValue(c.b.output, 60) : ''),
          h('td', { class: 'num' }, `${fmtMs(c.a?.durationMs)} → ${fmtMs(c.b?.durationMs)}`),
          h(
            'td',
            { class: 'num' },
            c.durationChangeMs === null
              ? ''
              : `${c.durationChangeMs >= 0 ? '+' : ''}${fmtMs(c.durationChangeMs)}`,
          ),
        ),
      ),
    );
  };
  prev.onclick = () => {
    offset = Math.max(0, offset - PAGE);
    render();
  };
  next.onclick = () => {
    offset += PAGE;
    render();
  };
  onlyChanges.onchange = () => {
    offset = 0;
    render();
  };
  const n = diff.counts;
  main.append(
    h(
      'p',
      { id: 'diff-summary' },
      `flow ${diff.flow}: `,
      execLink(diff.a.id),
      ' ',
      statusBadge(diff.a.status),
      ' → ',
      execLink(diff.b.id),
      ' ',
      statusBadge(diff.b.status),
      ` · ${n.same} same, ${n.changed} changed, ${n['only-a']} only in a, ${n['only-b']} only in b · output ${
        diff.outputChanged ? 'changed' : 'the same'
      }`,
    ),
    h('p', {}, h('label', { for: 'd-only' }, onlyChanges, ' show only calls that differ')),
    h('nav', { class: 'pager', 'aria-label': 'Pages of calls' }, prev, info, next),
    h(
      'table',
      { id: 'diff' },
      h('caption', { class: 'visually-hidden' }, 'Calls compared'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Call', 'Change', 'Origin a → b', 'Output a', 'Output b', 'Duration a → b', 'Δ duration'].map(
            (t) => h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      tbody,
    ),
  );
  render();
}

// ---------------------------------------------------------------- routing

/** What has focus, described so that the same control can be found again after a re-render. */
function focusKey() {
  const el = document.activeElement;
  if (!el || el === document.body || !main.contains(el)) return null;
  return { id: el.id, tag: el.tagName, href: el.getAttribute('href'), text: el.textContent };
}

function restoreFocus(key) {
  if (!key) return;
  const found = key.id
    ? document.getElementById(key.id)
    : [...main.querySelectorAll(key.tag)].find(
        (el) => el.getAttribute('href') === key.href && el.textContent === key.text,
      );
  if (found && !found.disabled) found.focus({ preventScroll: true });
  else main.focus({ preventScroll: true });
}

async function route() {
  renderToken++;
  clearTimeout(pollTimer);
  const focused = focusKey();
  const openDetails = [...main.querySelectorAll('details[open] > summary')].map((s) => s.textContent);
  const { parts, q } = parseHash();
  try {
    if (parts[0] === 'e' && parts[1]) await executionPage(parts[1], q);
    else if (parts[0] === 'diff') await diffPage(parts[1], parts[2]);
    else await listPage(q);
  } catch (err) {
    showError(err);
  }
  // A refresh or a new page of the same view keeps the reader's place: focus and open sections.
  for (const summary of main.querySelectorAll('details > summary')) {
    if (openDetails.includes(summary.textContent)) summary.parentElement.open = true;
  }
  restoreFocus(focused);
  const warnings = JSON.parse(sessionStorage.getItem('kitaru-warnings') ?? '[]');
  if (warnings.length) {
    sessionStorage.removeItem('kitaru-warnings');
    main.prepend(...warnings.map((w) => h('p', { class: 'notice', role: 'status' }, `warning: ${w}`)));
  }
}

let lastPath = '';
window.addEventListener('hashchange', () => {
  const path = parseHash().parts.join('/');
  route().then(() => {
    // A new page moves focus to its content; paging within a page keeps the reader where it was.
    if (path !== lastPath) main.focus({ preventScroll: false });
    lastPath = path;
  });
});
lastPath = parseHash().parts.join('/');
route();

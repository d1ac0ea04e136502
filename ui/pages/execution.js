// @ts-check
// #/e/<id>?call=&offset=: one execution, its waits, its timeline, a page of its calls, and a call opened.
import { cancelExecution, fetchExecution } from '../api.js';
import { execLink, h, main, say, showError, showValue, statusBadge } from '../dom.js';
import { clip, formatDuration, formatTime } from '../format.js';
import { replayForm } from '../forms.js';
import { setHash } from '../hash.js';
import { PAGE, pageOf, pagerOf } from '../paging.js';
import { COLORS, drawTimeline } from '../timeline.js';
import { waitsPanel } from '../waits.js';
import { showCall } from './call.js';

/** @typedef {import('../dom.js').View} View */
/** @typedef {import('../forms.js').Prefill} Prefill */
/** @typedef {import('../../src/views.js').ExecutionHead} ExecutionHead */
/** @typedef {import('../../src/ui/api-views.js').CallSummary} CallSummary */

const COLUMNS = ['#', 'Call', 'Type', 'Status', 'Origin', 'Reason', 'Attempts', 'Duration', 'Last error'];
const NUMERIC = ['#', 'Attempts', 'Duration'];

/**
 * The link that opens a call, on the page of calls that lists it.
 * @param {string} execId
 * @param {string} callId
 * @param {string[]} ids every call id, in call order
 * @param {number} fallbackOffset the page to stay on if the call is not among `ids`
 */
function callHref(execId, callId, ids, fallbackOffset) {
  const index = ids.indexOf(callId);
  const offset = index < 0 ? fallbackOffset : pageOf(index);
  return `#/e/${encodeURIComponent(execId)}?call=${encodeURIComponent(callId)}&offset=${offset}`;
}

/**
 * Flow, times, arguments, output and lineage.
 * @param {ExecutionHead} ex
 */
function factsOf(ex) {
  const overrides = ex.replay ? Object.keys(ex.replay.overrides) : [];
  return h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Flow'),
    h('dd', {}, ex.flow.name, ex.flow.file ? h('span', { class: 'muted' }, ` (${ex.flow.file})`) : ''),
    h('dt', {}, 'Created'),
    h('dd', {}, formatTime(ex.createdAt), h('span', { class: 'muted' }, ` on ${ex.host}`)),
    h('dt', {}, 'Duration'),
    h('dd', {}, formatDuration(ex.durationMs)),
    h('dt', {}, 'Arguments'),
    h('dd', { class: 'mono' }, showValue(ex.args, 300)),
    ex.status === 'completed'
      ? [h('dt', {}, 'Output'), h('dd', { class: 'mono' }, showValue(ex.output, 600))]
      : [],
    ex.originalExecId
      ? [
          h('dt', {}, 'Replay of'),
          h(
            'dd',
            {},
            execLink(ex.originalExecId),
            ex.replay?.from ? ` · from ${ex.replay.from}` : '',
            overrides.length ? ` · overrides ${overrides.join(', ')}` : '',
          ),
        ]
      : [],
  );
}

/**
 * The failure, with a link to the call that failed and a replay from it.
 * @param {ExecutionHead} ex
 * @param {(callId: string) => string} hrefOf
 * @param {(prefill: Prefill) => void} openReplay
 */
function errorOf(ex, hrefOf, openReplay) {
  if (!ex.error) return '';
  const { callId } = ex.error;
  return h(
    'div',
    { class: 'panel', role: 'region', 'aria-label': 'Error' },
    h('p', { class: 'error' }, h('strong', {}, ex.error.type), `: ${ex.error.message}`),
    callId
      ? h(
          'div',
          { class: 'row-actions' },
          h('a', { href: hrefOf(callId) }, `See call ${callId}`),
          h(
            'button',
            { type: 'button', onclick: () => openReplay({ from: callId }) },
            `Replay from ${callId}`,
          ),
        )
      : '',
  );
}

/** Statuses an execution can be cancelled from. */
const CANCELLABLE = ['running', 'queued', 'waiting'];

/**
 * The Cancel button of a running, queued or waiting execution, and where its errors show.
 * @param {ExecutionHead} ex
 * @param {() => void} onCancelled
 */
function cancelOf(ex, onCancelled) {
  if (!CANCELLABLE.includes(ex.status)) return { button: '', problems: '' };
  const problems = h('div', { id: 'cancel-problems', role: 'alert', class: 'error' });
  const button = h('button', { type: 'button', id: 'cancel-execution' }, 'Cancel execution');
  button.onclick = async () => {
    button.disabled = true;
    button.textContent = 'Cancelling…';
    problems.replaceChildren();
    try {
      await cancelExecution(ex.id);
      say(`execution ${ex.id} cancelled`);
      onCancelled();
    } catch (err) {
      button.disabled = false;
      button.textContent = 'Cancel execution';
      showError(err, problems);
    }
  };
  return { button, problems };
}

/**
 * Replay, cancel, and links to diffs.
 * @param {ExecutionHead} ex
 * @param {(prefill: Prefill) => void} openReplay
 * @param {() => void} onCancelled
 */
function actionsOf(ex, openReplay, onCancelled) {
  const enc = encodeURIComponent;
  const cancel = cancelOf(ex, onCancelled);
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'row-actions' },
      cancel.button,
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
        ? h('a', { href: `#/diff/${enc(ex.originalExecId)}/${enc(ex.id)}` }, 'Diff with source')
        : '',
      h('a', { href: `#/diff/${enc(ex.id)}` }, 'Compare with…'),
    ),
    cancel.problems,
  );
}

const legend = () =>
  h(
    'div',
    { class: 'legend', 'aria-hidden': 'true' },
    h(
      'span',
      {},
      h('span', { class: 'swatch', style: `background:${COLORS.completed}` }),
      'completed attempt',
    ),
    h('span', {}, h('span', { class: 'swatch', style: `background:${COLORS.failed}` }), 'failed attempt'),
    h(
      'span',
      {},
      h('span', { class: 'swatch', style: `background:${COLORS.wait};height:2px` }),
      'wait before a retry',
    ),
  );

/**
 * The table of one page of calls.
 * @param {CallSummary[]} calls
 * @param {number} offset
 * @param {string | null} selected the call opened, if any
 * @param {(callId: string) => string} hrefOf
 */
function callsTableOf(calls, offset, selected, hrefOf) {
  return h(
    'table',
    { id: 'calls' },
    h('caption', { class: 'visually-hidden' }, 'Calls of this execution, in call order'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        COLUMNS.map((t) => h('th', { scope: 'col', class: NUMERIC.includes(t) ? 'num' : undefined }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      calls.map((c, i) =>
        h(
          'tr',
          { class: c.id === selected ? 'selected' : undefined, 'data-call': c.id },
          h('td', { class: 'num' }, offset + i + 1),
          h('td', { class: 'mono' }, h('a', { href: hrefOf(c.id) }, c.id)),
          h('td', {}, c.type ?? ''),
          h('td', {}, statusBadge(c.sleep === 'sleeping' || c.sleep === 'interrupted' ? c.sleep : c.status)),
          h('td', { class: `origin-${c.origin}` }, c.origin),
          h('td', {}, c.reason ?? ''),
          h('td', { class: 'num' }, c.attempts),
          h('td', { class: 'num' }, formatDuration(c.durationMs)),
          h('td', { class: 'error' }, c.error ? `${c.error.type}: ${clip(c.error.message, 80)}` : ''),
        ),
      ),
    ),
  );
}

/**
 * @param {View} view
 * @param {string} id
 * @param {URLSearchParams} q
 */
export async function executionPage(view, id, q) {
  const offset = Number(q.get('offset') ?? 0) || 0;
  const callId = q.get('call');
  let data;
  try {
    data = await fetchExecution(id, offset, PAGE);
  } catch (err) {
    main.replaceChildren(h('h1', {}, 'Execution'));
    showError(err);
    return;
  }
  if (!view.current()) return;
  const ex = data.execution;
  const ids = data.timeline ? data.timeline.map((r) => r[0]) : data.calls.map((c) => c.id);
  const hrefOf = (/** @type {string} */ cid) => callHref(ex.id, cid, ids, offset);
  const replayBox = h('div', { id: 'replay-box' });
  /** @param {Prefill} prefill */
  const openReplay = (prefill) => {
    replayBox.replaceChildren(replayForm(ex.id, ids, prefill));
    const first = replayBox.querySelector('input, select, textarea');
    if (first instanceof HTMLElement) first.focus();
  };
  const canvas = h('canvas', {
    id: 'timeline',
    role: 'img',
    'aria-label': 'Timeline of calls',
    'aria-describedby': 'timeline-summary',
  });
  const tlSummary = h('p', { id: 'timeline-summary', class: 'muted' });
  const pager = pagerOf(data.total, offset, (o) => setHash(`/e/${ex.id}`, { offset: o, call: callId }));
  const callBox = h('div', { id: 'call-box' });
  main.replaceChildren(
    h('h1', {}, 'Execution ', h('span', { class: 'mono' }, ex.id), ' ', statusBadge(ex.status)),
    factsOf(ex),
    errorOf(ex, hrefOf, openReplay),
    waitsPanel(ex.id, ex.status === 'waiting' ? ex.waits : [], () => view.refresh()),
    actionsOf(ex, openReplay, () => view.refresh()),
    replayBox,
    h('h2', {}, 'Timeline'),
    h('div', { class: 'timeline-wrap' }, canvas),
    legend(),
    tlSummary,
    callBox,
    h('h2', { id: 'calls-heading' }, `Calls (${data.total})`),
    pager,
    callsTableOf(data.calls, offset, callId, hrefOf),
  );
  if (data.timeline) {
    tlSummary.textContent = drawTimeline(canvas, data.timeline, (cid) =>
      setHash(`/e/${ex.id}`, { call: cid, offset: pageOf(ids.indexOf(cid)) }),
    );
  }
  if (callId) await showCall(callBox, ex.id, callId, openReplay);
  if (!view.current()) return;
  if (ex.status === 'running' || ex.status === 'queued') {
    view.poll(() => {
      if (view.current() && !replayBox.firstChild) view.refresh();
    }, 1000);
  }
}

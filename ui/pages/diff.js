// @ts-check
// #/diff/<a>/<b>: two executions of one flow compared call by call.
import { fetchDiff } from '../api.js';
import { execLink, h, main, showError, showValue, statusBadge } from '../dom.js';
import { formatDuration } from '../format.js';
import { PAGE, pageOf } from '../paging.js';

/** @typedef {import('../dom.js').View} View */
/** @typedef {import('../../src/diff.js').CallDiff} CallDiff */
/** @typedef {import('../../src/diff.js').ExecutionDiff} ExecutionDiff */

const COLUMNS = ['Call', 'Change', 'Origin a → b', 'Output a', 'Output b', 'Duration a → b', 'Δ duration'];

/**
 * One compared call.
 * @param {CallDiff} c
 */
const rowOf = (c) =>
  h(
    'tr',
    { 'data-call': c.id },
    h('td', { class: 'mono' }, c.id),
    h('td', { class: `change-${c.change}` }, c.change.replace('-', ' in ')),
    h('td', {}, `${c.a ? c.a.origin : '–'} → ${c.b ? c.b.origin : '–'}`),
    h('td', { class: 'mono' }, c.a ? showValue(c.a.output, 60) : ''),
    h('td', { class: 'mono' }, c.b ? showValue(c.b.output, 60) : ''),
    h(
      'td',
      { class: 'num' },
      `${formatDuration(c.a?.durationMs ?? null)} → ${formatDuration(c.b?.durationMs ?? null)}`,
    ),
    h(
      'td',
      { class: 'num' },
      c.durationChangeMs === null
        ? ''
        : `${c.durationChangeMs >= 0 ? '+' : ''}${formatDuration(c.durationChangeMs)}`,
    ),
  );

/**
 * The line above the table: both executions, the counts, and whether the output changed.
 * @param {ExecutionDiff} diff
 */
function summaryOf(diff) {
  const n = diff.counts;
  return h(
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
  );
}

/**
 * A form to pick two executions, and their comparison once both are given.
 * @param {View} view
 * @param {string | undefined} a
 * @param {string | undefined} b
 */
export async function diffPage(view, a, b) {
  const ia = h('input', { id: 'd-a', name: 'a', value: a ?? '', class: 'mono', autocomplete: 'off' });
  const ib = h('input', { id: 'd-b', name: 'b', value: b ?? '', class: 'mono', autocomplete: 'off' });
  /** @param {Event} e */
  const onSubmit = (e) => {
    e.preventDefault();
    const [x, y] = [ia.value.trim(), ib.value.trim()];
    if (x && y) location.hash = `#/diff/${encodeURIComponent(x)}/${encodeURIComponent(y)}`;
  };
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Executions to compare', onsubmit: onSubmit },
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
    diff = (await fetchDiff(a, b)).diff;
  } catch (err) {
    showError(err);
    return;
  }
  if (!view.current()) return;
  const { calls } = diff;
  const onlyChanges = h('input', { type: 'checkbox', id: 'd-only' });
  const tbody = h('tbody');
  let offset = 0;
  const info = h('span', { id: 'diff-page' });
  const prev = h('button', { type: 'button' }, 'Previous');
  const next = h('button', { type: 'button' }, 'Next');
  const render = () => {
    const rows = onlyChanges.checked ? calls.filter((c) => c.change !== 'same') : calls;
    offset = Math.min(offset, pageOf(Math.max(0, rows.length - 1)));
    const page = rows.slice(offset, offset + PAGE);
    info.textContent = rows.length ? `${offset + 1}–${offset + page.length} of ${rows.length}` : 'no calls';
    prev.disabled = offset === 0;
    next.disabled = offset + PAGE >= rows.length;
    tbody.replaceChildren(...page.map(rowOf));
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
  main.append(
    summaryOf(diff),
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
          COLUMNS.map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      tbody,
    ),
  );
  render();
}

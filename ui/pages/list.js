// @ts-check
// #/?flow=&status=: the executions, newest first, filtered, updated live.
import { fetchExecutions } from '../api.js';
import { execLink, h, main, say, showError, statusBadge } from '../dom.js';
import { formatDuration, formatTime, STATUSES } from '../format.js';
import { setHash } from '../hash.js';

/** @typedef {import('../dom.js').View} View */
/** @typedef {import('../../src/views.js').ExecutionSummary} ExecutionSummary */

const COLUMNS = ['Execution', 'Flow', 'Status', 'Calls', 'Duration', 'Created', 'Lineage'];

/**
 * One row of the table.
 * @param {ExecutionSummary} e
 */
const rowOf = (e) =>
  h(
    'tr',
    { 'data-id': e.id },
    h('td', { class: 'mono' }, execLink(e.id)),
    h('td', {}, e.flow.name),
    h('td', {}, statusBadge(e.status)),
    h('td', { class: 'num' }, e.checkpointCount),
    h('td', { class: 'num' }, formatDuration(e.durationMs)),
    h('td', {}, formatTime(e.createdAt)),
    h('td', {}, e.originalExecId ? ['replay of ', execLink(e.originalExecId)] : ''),
  );

/**
 * @param {View} view
 * @param {URLSearchParams} q
 */
export async function listPage(view, q) {
  const flow = q.get('flow') ?? '';
  const status = q.get('status') ?? '';
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
        COLUMNS.map((t) =>
          h('th', { scope: 'col', class: t === 'Calls' || t === 'Duration' ? 'num' : undefined }, t),
        ),
      ),
    ),
    tbody,
  );
  main.replaceChildren(h('h1', {}, 'Executions'), filters, count, table);
  let last = '';
  const load = async () => {
    if (!view.current()) return;
    try {
      const data = await fetchExecutions({ flow, status });
      if (!view.current()) return;
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
        tbody.replaceChildren(...data.executions.map(rowOf));
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
    if (view.current()) view.poll(load, 2000);
  };
  await load();
}

// @ts-check
// The replay form: run again from a call, and override the outputs of others.
import { startReplay } from './api.js';
import { h, say, showError } from './dom.js';
import { setHash } from './hash.js';

/**
 * What the form starts with: the call to run again from, and overrides as [call id, JSON text].
 * @typedef {{ from?: string, overrides?: [string, string][] }} Prefill
 */

/** The warnings of a replay just started, shown on the page of the new execution. */
export const WARNINGS_KEY = 'kitaru-warnings';

const EXPLAIN =
  'A new execution of the same flow: completed calls with equal inputs are reused; the call you name and every call after it run again; an override replaces a call’s output without running it.';

/**
 * A form that replays `execId`; `callIds` are offered as choices.
 * @param {string} execId
 * @param {string[]} callIds
 * @param {Prefill} prefill
 */
export function replayForm(execId, callIds, prefill) {
  const listId = 'call-ids';
  const datalist = h(
    'datalist',
    { id: listId },
    callIds.slice(0, 5000).map((id) => h('option', { value: id })),
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
  /** @type {Set<{ idInput: HTMLInputElement, value: HTMLTextAreaElement }>} */
  const overrides = new Set();
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
    const entry = { idInput, value };
    const row = h(
      'div',
      { class: 'override-row' },
      h('label', { for: idInput.id }, 'Call', idInput),
      h('label', { for: value.id }, 'Output (JSON)', value),
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            row.remove();
            overrides.delete(entry);
          },
          'aria-label': `Remove override ${n}`,
        },
        'Remove',
      ),
    );
    overrides.add(entry);
    rows.append(row);
    return idInput;
  };
  for (const [cid, json] of prefill.overrides ?? []) addRow(cid, json);
  const problems = h('div', { role: 'alert', class: 'error' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Start replay');
  /** @param {Event} e */
  const onSubmit = async (e) => {
    e.preventDefault();
    problems.replaceChildren();
    /** @type {Record<string, unknown>} */
    const values = {};
    for (const { idInput, value } of overrides) {
      const cid = idInput.value.trim();
      if (!cid) continue;
      try {
        values[`checkpoint.${cid}`] = JSON.parse(value.value);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        problems.append(h('p', {}, `Override of ${cid} is not valid JSON: ${why}`));
      }
    }
    if (problems.firstChild) return;
    submit.disabled = true;
    try {
      const start = from.value.trim();
      const res = await startReplay(
        execId,
        start ? { overrides: values, from: start } : { overrides: values },
      );
      sessionStorage.setItem(WARNINGS_KEY, JSON.stringify(res.warnings));
      say(`replay ${res.execId} started`);
      setHash(`/e/${res.execId}`);
    } catch (err) {
      submit.disabled = false;
      showError(err, problems);
    }
  };
  return h(
    'form',
    { class: 'panel form', 'aria-label': 'Replay', onsubmit: onSubmit },
    h('h2', {}, `Replay ${execId}`),
    h('p', { class: 'muted' }, EXPLAIN),
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
}

// @ts-check
// Building the page: elements from plain values (never parsed as HTML), and the few pieces every
// view shows the same way.
import { ApiError } from './api.js';
import { clip, statusTone } from './format.js';

/**
 * A child of an element: a node, or text; nothing for null, undefined or false.
 * @typedef {Node | string | number | null | undefined | false} Child
 */

/**
 * Attributes: `on<event>` takes a listener, `class` the class name, `true` an empty attribute;
 * null, undefined and false leave the attribute out.
 * @typedef {Record<string, string | number | boolean | null | undefined | ((event: Event) => unknown)>} Attrs
 */

/**
 * The element with this id, which the page's HTML always has.
 * @param {string} id
 * @returns {HTMLElement}
 */
function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`kitaru ui: the page has no #${id}`);
  return el;
}

/** Where each view draws itself. */
export const main = byId('main');

/**
 * Builds an element.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/**
 * A status word, coloured by its tone.
 * @param {string} status
 */
export const statusBadge = (status) =>
  h('span', { class: `status ${status} tone-${statusTone(status)}` }, status);

/**
 * A link to an execution's page.
 * @param {string} id
 * @param {string} [text]
 */
export const execLink = (id, text) => h('a', { href: `#/e/${encodeURIComponent(id)}` }, text ?? id);

/**
 * A stored value, shown as the JSON it is stored as (tagged values keep their tag), cut at `max`.
 * @param {unknown} value
 * @param {number} [max]
 */
export const showValue = (value, max = 80) => clip(value === undefined ? '' : JSON.stringify(value), max);

/**
 * A stored value as indented JSON.
 * @param {unknown} value
 */
export const pretty = (value) => JSON.stringify(value, null, 2);

/**
 * Tells screen readers what changed.
 * @param {string} text
 */
export function say(text) {
  byId('announce').textContent = text;
}

/**
 * Shows an error as an alert at the end of `where`.
 * @param {unknown} err
 * @param {HTMLElement} [where]
 */
export function showError(err, where = main) {
  const type = err instanceof ApiError ? err.type : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  where.append(h('p', { class: 'error', role: 'alert' }, `${type}: ${message}`));
}

/**
 * What a view is given by the router.
 * @typedef {object} View
 * @property {() => boolean} current false once the reader has moved on (another render started)
 * @property {(fn: () => void, ms: number) => void} poll runs `fn` after `ms`, unless another render starts first
 * @property {() => void} refresh draws the current route again
 */

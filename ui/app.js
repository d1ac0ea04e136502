// @ts-check
// kitaru ui: one page over the store's JSON API (served by `kitaru ui`). Native ES modules, no
// build step, no network beyond the server it came from. This module routes: the hash names the
// view (see hash.js), and a new render supersedes any older one still loading or polling.
import { h, main, showError } from './dom.js';
import { WARNINGS_KEY } from './forms.js';
import { parseHash } from './hash.js';
import { diffPage } from './pages/diff.js';
import { executionPage } from './pages/execution.js';
import { listPage } from './pages/list.js';

/** @typedef {import('./dom.js').View} View */

let renderToken = 0;
let pollTimer = 0;

/**
 * What has focus, described so that the same control can be found again after a re-render.
 * @returns {{ id: string, tag: string, href: string | null, text: string | null } | null}
 */
function focusKey() {
  const el = document.activeElement;
  if (!el || el === document.body || !main.contains(el)) return null;
  return { id: el.id, tag: el.tagName, href: el.getAttribute('href'), text: el.textContent };
}

/** @param {ReturnType<typeof focusKey>} key */
function restoreFocus(key) {
  if (!key) return;
  const found = key.id
    ? document.getElementById(key.id)
    : [...main.querySelectorAll(key.tag)].find(
        (el) => el.getAttribute('href') === key.href && el.textContent === key.text,
      );
  if (found instanceof HTMLElement && !found.matches(':disabled')) found.focus({ preventScroll: true });
  else main.focus({ preventScroll: true });
}

/** Warnings of a replay started from the page, shown once on the next view. */
function showWarnings() {
  /** @type {string[]} */
  const warnings = JSON.parse(sessionStorage.getItem(WARNINGS_KEY) ?? '[]');
  if (!warnings.length) return;
  sessionStorage.removeItem(WARNINGS_KEY);
  main.prepend(...warnings.map((w) => h('p', { class: 'notice', role: 'status' }, `warning: ${w}`)));
}

async function route() {
  const token = ++renderToken;
  window.clearTimeout(pollTimer);
  /** @type {View} */
  const view = {
    current: () => token === renderToken,
    poll: (fn, ms) => {
      window.clearTimeout(pollTimer);
      pollTimer = window.setTimeout(fn, ms);
    },
    refresh: () => void route(),
  };
  const focused = focusKey();
  const openDetails = [...main.querySelectorAll('details[open] > summary')].map((s) => s.textContent);
  const { parts, q } = parseHash();
  try {
    if (parts[0] === 'e' && parts[1]) await executionPage(view, parts[1], q);
    else if (parts[0] === 'diff') await diffPage(view, parts[1], parts[2]);
    else await listPage(view, q);
  } catch (err) {
    showError(err);
  }
  // A refresh or a new page of the same view keeps the reader's place: focus and open sections.
  for (const summary of main.querySelectorAll('details > summary')) {
    const details = summary.parentElement;
    if (details instanceof HTMLDetailsElement && openDetails.includes(summary.textContent))
      details.open = true;
  }
  restoreFocus(focused);
  showWarnings();
}

let lastPath = parseHash().parts.join('/');
window.addEventListener('hashchange', () => {
  const path = parseHash().parts.join('/');
  route().then(() => {
    // A new page moves focus to its content; paging within a page keeps the reader where it was.
    if (path !== lastPath) main.focus({ preventScroll: false });
    lastPath = path;
  });
});
route();

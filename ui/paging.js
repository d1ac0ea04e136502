// @ts-check
// Long lists of calls are shown a page at a time.
import { h } from './dom.js';

/** Calls on one page. */
export const PAGE = 100;

/**
 * The offset of the page that holds the call at `index`.
 * @param {number} index
 */
export const pageOf = (index) => Math.max(0, Math.floor(index / PAGE) * PAGE);

/**
 * Buttons to the first, previous, next and last pages; `go` is given the new offset.
 * @param {number} total
 * @param {number} offset
 * @param {(offset: number) => void} go
 */
export function pagerOf(total, offset, go) {
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

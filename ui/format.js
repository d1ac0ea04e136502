// @ts-check
// How durations, statuses and times read, for the CLI and the page alike. Plain JavaScript with
// JSDoc types: the browser loads it as it is (served by `kitaru ui`), the CLI imports it (esbuild
// bundles it into dist/), and tsc checks it with both.

/** @typedef {import('../src/store/types.js').ExecutionStatus} ExecutionStatus */

/** A status's colour, by meaning: the CLI maps it to a terminal colour, the page to a CSS class. */
/** @typedef {'ok' | 'bad' | 'warn' | 'info'} Tone */

/**
 * Every status an execution can have, in the order a reader meets them, with its tone. A call or
 * an attempt is `completed` or `failed`, a subset.
 * @type {Readonly<Record<ExecutionStatus, Tone>>}
 */
export const STATUS_TONES = Object.freeze({
  queued: 'info',
  running: 'info',
  waiting: 'warn',
  completed: 'ok',
  failed: 'bad',
  cancelled: 'warn',
  crashed: 'bad',
});

/** The statuses, in order (for a filter's choices). */
export const STATUSES = /** @type {ExecutionStatus[]} */ (Object.keys(STATUS_TONES));

/**
 * The tone of a status word; `info` for one this version does not know.
 * @param {string} status
 * @returns {Tone}
 */
export function statusTone(status) {
  return Object.hasOwn(STATUS_TONES, status) ? STATUS_TONES[/** @type {ExecutionStatus} */ (status)] : 'info';
}

const pad2 = (/** @type {number} */ n) => String(n).padStart(2, '0');

/**
 * `830ms`, `2.41s`, `3m05s`, `1h02m03s`; a negative duration (a change) reads `-2.41s`; `-` when
 * there is none.
 * @param {number | null} ms milliseconds
 * @returns {string}
 */
export function formatDuration(ms) {
  if (ms === null) return '-';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  // Thresholds sit where rounding would carry into the next unit (999.6ms is `1.00s`, not `1000ms`).
  if (ms < 999.5) return `${Math.round(ms)}ms`;
  if (ms < 59_995) return `${(ms / 1000).toFixed(2)}s`;
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = `${pad2(seconds % 60)}s`;
  return h > 0 ? `${h}h${pad2(m)}m${s}` : `${m}m${s}`;
}

/**
 * An ISO timestamp to the second, as a table shows it: `2025-01-31 14:05:09`; `-` when there is none.
 * @param {string | null} iso
 * @returns {string}
 */
export function formatTime(iso) {
  return iso ? iso.replace('T', ' ').slice(0, 19) : '-';
}

/**
 * `text` cut to `max` characters, the last one `…` when cut.
 * @param {string} text
 * @param {number} max
 * @returns {string}
 */
export function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// @ts-check
// The timeline: calls as bars over time, one lane per concurrent call, one segment per attempt.
import { formatDuration } from './format.js';

/** @typedef {import('../src/ui/api-views.js').TimelineRow} TimelineRow */
/** @typedef {import('../src/ui/api-views.js').TimelineSpan} TimelineSpan */

/**
 * A call that ran, placed in a lane.
 * @typedef {object} Bar
 * @property {string} id
 * @property {number} start ms from the execution's start
 * @property {number} end
 * @property {TimelineSpan[]} attempts
 * @property {number} lane
 */

/** The colours of the legend under the canvas. */
export const COLORS = { completed: '#2e9d52', failed: '#d0453a', wait: '#b9b9b4' };

/**
 * Calls that ran, each in the first lane free when it started.
 * @param {TimelineRow[]} rows
 */
function place(rows) {
  /** @type {Bar[]} */
  const bars = [];
  for (const [id, , , attempts] of rows) {
    const first = attempts[0];
    const last = attempts[attempts.length - 1];
    if (first && last) bars.push({ id, start: first[0], end: last[1], attempts, lane: 0 });
  }
  bars.sort((a, b) => a.start - b.start);
  /** @type {number[]} */
  const lanesEnd = [];
  for (const bar of bars) {
    let lane = lanesEnd.findIndex((end) => end <= bar.start);
    if (lane < 0) lane = lanesEnd.push(0) - 1;
    lanesEnd[lane] = bar.end;
    bar.lane = lane;
  }
  return { bars, lanes: Math.max(1, lanesEnd.length) };
}

/**
 * Draws `rows` on `canvas`; a click on a bar calls `onPick` with its call id. Returns a sentence
 * that says what the picture shows, for those who cannot see it.
 * @param {HTMLCanvasElement} canvas
 * @param {TimelineRow[]} rows
 * @param {(callId: string) => void} onPick
 * @returns {string}
 */
export function drawTimeline(canvas, rows, onPick) {
  const { bars, lanes } = place(rows);
  const total = Math.max(1, ...bars.map((b) => b.end));
  const laneH = lanes > 40 ? Math.max(2, Math.floor(480 / lanes)) : 14;
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 900;
  const height = lanes * laneH + 26;
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('kitaru ui: this browser cannot draw on a canvas');
  ctx.scale(dpr, dpr);
  ctx.clearRect(0, 0, width, height);
  const x = (/** @type {number} */ ms) => (ms / total) * (width - 2) + 1;
  const barH = Math.max(1, laneH - 3);
  for (const bar of bars) {
    const y = bar.lane * laneH + 2;
    /** @type {number | null} */
    let previousEnd = null;
    for (const [a0, a1, ok] of bar.attempts) {
      if (previousEnd !== null) {
        // the wait between a failed attempt and its retry
        ctx.fillStyle = COLORS.wait;
        ctx.fillRect(x(previousEnd), y + barH / 2, Math.max(0, x(a0) - x(previousEnd)), 1);
      }
      ctx.fillStyle = ok ? COLORS.completed : COLORS.failed;
      ctx.fillRect(x(a0), y, Math.max(1, x(a1) - x(a0)), barH);
      previousEnd = a1;
    }
  }
  ctx.fillStyle = '#5f6368';
  ctx.font = '11px system-ui, sans-serif';
  const axisY = lanes * laneH + 18;
  ctx.textAlign = 'left';
  ctx.fillText('0', 1, axisY);
  ctx.textAlign = 'center';
  ctx.fillText(formatDuration(total / 2), width / 2, axisY);
  ctx.textAlign = 'right';
  ctx.fillText(formatDuration(total), width - 1, axisY);
  // The call under the pointer: in its lane, the nearest bar within a few pixels (measured on the
  // canvas as it is now, which may have been resized since it was drawn).
  const at = (/** @type {MouseEvent} */ ev) => {
    const r = canvas.getBoundingClientRect();
    const ms = ((ev.clientX - r.left - 1) / (r.width - 2)) * total;
    const lane = Math.floor((ev.clientY - r.top - 2) / laneH);
    /** @type {Bar | undefined} */
    let best;
    let bestDistance = (4 / r.width) * total;
    for (const bar of bars) {
      if (bar.lane !== lane) continue;
      const distance = ms < bar.start ? bar.start - ms : ms > bar.end ? ms - bar.end : 0;
      // Bars in one lane never overlap, so the nearest is the one to open.
      if (distance < bestDistance || (distance === 0 && !best)) {
        best = bar;
        bestDistance = distance;
      }
    }
    return best;
  };
  canvas.onmousemove = (ev) => {
    const bar = at(ev);
    const tries = bar ? `${bar.attempts.length} attempt${bar.attempts.length > 1 ? 's' : ''}` : '';
    canvas.title = bar ? `${bar.id}: ${tries}, ${formatDuration(bar.end - bar.start)}` : '';
  };
  canvas.onclick = (ev) => {
    const bar = at(ev);
    if (bar) onPick(bar.id);
  };
  const retried = bars.filter((b) => b.attempts.length > 1).length;
  return `${bars.length} calls ran over ${formatDuration(total)}, up to ${lanes} at once; ${retried} retried; ${
    rows.length - bars.length
  } reused or overridden (not drawn).`;
}

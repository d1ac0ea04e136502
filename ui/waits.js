// @ts-check
// The waits a `waiting` execution is suspended at: each wait's question, metadata and deadline,
// with a box to answer it (JSON, checked here, then validated by the wait's schema on the server).
import { ApiError, giveAnswer } from './api.js';
import { h, pretty, say, showError } from './dom.js';
import { formatTime } from './format.js';

/** @typedef {import('../src/store/types.js').WaitInfo} WaitInfo */
/** @typedef {import('../src/store/types.js').WaitIssue} WaitIssue */

/**
 * The issues of a refused answer, as a list.
 * @param {WaitIssue[]} issues
 */
const issuesList = (issues) =>
  h(
    'ul',
    { class: 'issues' },
    issues.map((i) => h('li', {}, i.path ? h('code', {}, i.path) : '', i.path ? ': ' : '', i.message)),
  );

/**
 * The form answering one wait.
 * @param {string} execId
 * @param {WaitInfo} w
 * @param {number} n the wait's place on the page, for element ids
 * @param {() => void} onAnswered
 */
function answerForm(execId, w, n, onAnswered) {
  const box = h('textarea', {
    id: `w-answer-${n}`,
    class: 'answer',
    rows: 3,
    spellcheck: 'false',
    'aria-describedby': `w-problems-${n}`,
  });
  const problems = h('div', { id: `w-problems-${n}`, role: 'alert', class: 'error' });
  const submit = h('button', { type: 'submit', class: 'primary' }, `Answer ${w.id}`);
  /** @param {Event} e */
  const onSubmit = async (e) => {
    e.preventDefault();
    problems.replaceChildren();
    let value;
    try {
      value = JSON.parse(box.value);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      problems.append(h('p', {}, `The answer is not valid JSON: ${why}`));
      return;
    }
    submit.disabled = true;
    try {
      const res = await giveAnswer(execId, w.id, value);
      say(`wait ${w.id} answered; execution ${res.status}`);
      onAnswered();
    } catch (err) {
      submit.disabled = false;
      showError(err, problems);
      if (err instanceof ApiError && err.issues.length) problems.append(issuesList(err.issues));
    }
  };
  return h(
    'form',
    { class: 'form answer-form', 'aria-label': `Answer wait ${w.id}`, onsubmit: onSubmit },
    h('label', { for: box.id }, `Answer to ${w.id} (JSON)`, box),
    problems,
    h('div', { class: 'row-actions' }, submit),
  );
}

/**
 * One wait or sleep: what it asks, until when, and (for a wait) the box to answer it.
 * @param {string} execId
 * @param {WaitInfo} w
 * @param {number} n
 * @param {() => void} onAnswered
 */
function waitOf(execId, w, n, onAnswered) {
  if (w.kind === 'sleep') {
    return h(
      'div',
      { class: 'wait' },
      h('h3', {}, `Sleep ${w.id}`),
      h('p', {}, `until ${formatTime(w.wakeAt)}`),
    );
  }
  return h(
    'div',
    { class: 'wait', 'data-wait': w.id },
    h('h3', {}, `Wait ${w.id}`),
    h('p', { class: 'question' }, w.question ?? '(no question)'),
    h(
      'dl',
      { class: 'facts' },
      w.metadata === null ? [] : [h('dt', {}, 'Metadata'), h('dd', {}, h('pre', {}, pretty(w.metadata)))],
      h('dt', {}, 'Deadline'),
      h('dd', {}, w.deadline ? formatTime(w.deadline) : 'none'),
      w.rejected
        ? [
            h('dt', {}, 'Last answer refused'),
            h('dd', {}, h('code', {}, JSON.stringify(w.rejected.value)), issuesList(w.rejected.issues)),
          ]
        : [],
    ),
    answerForm(execId, w, n, onAnswered),
  );
}

/**
 * The panel of an execution's pending waits; empty when it has none.
 * @param {string} execId
 * @param {WaitInfo[]} waits
 * @param {() => void} onAnswered called once an answer was taken
 */
export function waitsPanel(execId, waits, onAnswered) {
  if (!waits.length) return '';
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'waits-heading' },
    h('h2', { id: 'waits-heading' }, 'Waiting for'),
    waits.map((w, i) => waitOf(execId, w, i + 1, onAnswered)),
  );
}

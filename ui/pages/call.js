// @ts-check
// One call, opened on its execution's page (?call=<id>): input, output, and each attempt's logs.
import { fetchCall } from '../api.js';
import { execLink, h, pretty, showError, statusBadge } from '../dom.js';
import { formatDuration, formatTime } from '../format.js';

/** @typedef {import('../../src/views.js').AttemptView} AttemptView */
/** @typedef {import('../forms.js').Prefill} Prefill */

/**
 * One attempt: its status, error and stack, and its logs.
 * @param {AttemptView} a
 */
const attemptOf = (a) =>
  h(
    'div',
    { class: `attempt ${a.status}` },
    h(
      'p',
      {},
      h('strong', {}, `Attempt ${a.attempt}`),
      ' ',
      statusBadge(a.status),
      h('span', { class: 'muted' }, ` ${formatTime(a.startedAt)} · ${formatDuration(a.durationMs)}`),
    ),
    a.error
      ? [
          h('p', { class: 'error' }, h('strong', {}, a.error.type), `: ${a.error.message}`),
          a.error.stack ? h('details', {}, h('summary', {}, 'Stack'), h('pre', {}, a.error.stack)) : '',
        ]
      : '',
    a.logs.length
      ? h(
          'details',
          { open: true },
          h('summary', {}, `Logs (${a.logs.length})`),
          h(
            'pre',
            { class: 'logs' },
            a.logs
              .map((l) => `${l.at.slice(11, 23)} ${l.stream} ${l.text ?? JSON.stringify(l.fields)}`)
              .join('\n'),
          ),
        )
      : '',
  );

/**
 * Shows call `callId` of `execId` in `box`; its buttons open the replay form through `openReplay`.
 * @param {HTMLElement} box
 * @param {string} execId
 * @param {string} callId
 * @param {(prefill: Prefill) => void} openReplay
 */
export async function showCall(box, execId, callId, openReplay) {
  let call;
  try {
    call = (await fetchCall(execId, callId)).call;
  } catch (err) {
    showError(err, box);
    return;
  }
  const output = call.status === 'completed' ? pretty(call.output) : '';
  const attempts = call.attempts.map(attemptOf);
  box.replaceChildren(
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'call-heading' },
      h(
        'h2',
        { id: 'call-heading' },
        'Call ',
        h('span', { class: 'mono' }, call.id),
        ' ',
        statusBadge(call.status),
      ),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Checkpoint'),
        h('dd', {}, call.name, call.type ? ` (${call.type})` : ''),
        h('dt', {}, 'Origin'),
        h(
          'dd',
          {},
          call.origin,
          call.reason ? ` · ${call.reason}` : '',
          call.sourceExecId && call.origin !== 'executed' ? [' · from ', execLink(call.sourceExecId)] : '',
        ),
        h('dt', {}, 'Input hash'),
        h('dd', { class: 'mono' }, call.inputHash),
      ),
      h('h3', {}, 'Inputs'),
      h('pre', { class: 'input' }, pretty(call.input)),
      h('h3', {}, 'Output'),
      h('pre', { class: 'output' }, call.status === 'completed' ? output : '(none: the call failed)'),
      h(
        'div',
        { class: 'row-actions' },
        h(
          'button',
          { type: 'button', onclick: () => openReplay({ from: call.id }) },
          'Replay from this call',
        ),
        h(
          'button',
          { type: 'button', onclick: () => openReplay({ overrides: [[call.id, output]] }) },
          "Override this call's output…",
        ),
      ),
      h('h3', {}, `Attempts (${call.attempts.length})`),
      attempts.length
        ? attempts
        : h('p', { class: 'muted' }, 'None: this call did not run in this execution.'),
    ),
  );
}

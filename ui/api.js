// @ts-check
// The page's calls to the JSON API of the server it came from, one function per route.

/** @typedef {import('../src/ui/api-views.js').ListResponse} ListResponse */
/** @typedef {import('../src/ui/api-views.js').ExecutionPageResponse} ExecutionPageResponse */
/** @typedef {import('../src/ui/api-views.js').CallResponse} CallResponse */
/** @typedef {import('../src/ui/api-views.js').ReplayRequest} ReplayRequest */
/** @typedef {import('../src/ui/api-views.js').ReplayResponse} ReplayResponse */
/** @typedef {import('../src/ui/api-views.js').DiffResponse} DiffResponse */
/** @typedef {import('../src/ui/api-views.js').ErrorResponse} ErrorResponse */
/** @typedef {import('../src/ui/api-views.js').InputResponse} InputResponse */
/** @typedef {import('../src/ui/api-views.js').CancelResponse} CancelResponse */
/** @typedef {import('../src/ui/api-views.js').InputRefusedResponse} InputRefusedResponse */
/** @typedef {import('../src/store/types.js').WaitIssue} WaitIssue */

/** An API answer that is not a success, with the error's type as the server named it. */
export class ApiError extends Error {
  /**
   * @param {string} type a kitaru error name, such as `KitaruNotFoundError`
   * @param {string} message
   * @param {WaitIssue[]} [issues] a schema's objections to an answer, when it refused one
   */
  constructor(type, message, issues = []) {
    super(message);
    this.type = type;
    this.issues = issues;
  }
}

/**
 * The JSON body of `/api<path>`; an ApiError if the server refused.
 * @template T
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<T>}
 */
async function request(path, init) {
  const res = await fetch(`/api${path}`, init);
  const body = await res.json();
  if (!res.ok) {
    const { error, issues } = /** @type {Partial<InputRefusedResponse>} */ (body);
    throw new ApiError(error?.type ?? 'Error', error?.message ?? res.statusText, issues ?? []);
  }
  return /** @type {T} */ (body);
}

const enc = encodeURIComponent;

/**
 * The newest executions, filtered (an empty filter matches every one).
 * @param {{ flow: string, status: string }} filter
 * @returns {Promise<ListResponse>}
 */
export function fetchExecutions({ flow, status }) {
  const params = new URLSearchParams();
  if (flow) params.set('flow', flow);
  if (status) params.set('status', status);
  return request(`/executions?${params}`);
}

/**
 * An execution, a page of its calls, and its timeline.
 * @param {string} id
 * @param {number} offset
 * @param {number} limit
 * @returns {Promise<ExecutionPageResponse>}
 */
export function fetchExecution(id, offset, limit) {
  return request(`/executions/${enc(id)}?offset=${offset}&limit=${limit}`);
}

/**
 * One call with its input, output and attempts.
 * @param {string} execId
 * @param {string} callId
 * @returns {Promise<CallResponse>}
 */
export function fetchCall(execId, callId) {
  return request(`/executions/${enc(execId)}/calls/${enc(callId)}`);
}

/**
 * Starts a replay of `execId`; resolves once it has started, to its id.
 * @param {string} execId
 * @param {ReplayRequest} plan
 * @returns {Promise<ReplayResponse>}
 */
export function startReplay(execId, plan) {
  return request(`/executions/${enc(execId)}/replay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(plan),
  });
}

/**
 * Answers a pending wait of `execId` and resumes it; an ApiError with the schema's `issues` if
 * the wait refused the answer.
 * @param {string} execId
 * @param {string} waitId
 * @param {unknown} value
 * @returns {Promise<InputResponse>}
 */
export function giveAnswer(execId, waitId, value) {
  return request(`/executions/${enc(execId)}/waits/${enc(waitId)}/input`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ value }),
  });
}

/**
 * Cancels an execution; resolves once it is recorded cancelled.
 * @param {string} execId
 * @returns {Promise<CancelResponse>}
 */
export function cancelExecution(execId) {
  return request(`/executions/${enc(execId)}/cancel`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
}

/**
 * Two executions of one flow compared call by call.
 * @param {string} a
 * @param {string} b
 * @returns {Promise<DiffResponse>}
 */
export function fetchDiff(a, b) {
  return request(`/diff?a=${enc(a)}&b=${enc(b)}`);
}

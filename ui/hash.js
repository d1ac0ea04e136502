// @ts-check
// Routes live in the hash: #/, #/e/<id>?call=&offset=, #/diff/<a>/<b>.

/** The route now: its path's parts, decoded, and its query. */
export function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path = '', query = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), q: new URLSearchParams(query) };
}

/**
 * Goes to `path`, with the params that have a value.
 * @param {string} path
 * @param {Record<string, string | number | null | undefined>} [params]
 */
export function setHash(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {}))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  location.hash = `#${path}${s ? `?${s}` : ''}`;
}

let second = -1;
let prefix = '';

/**
 * `new Date(ms).toISOString()`, without building a Date each time: the date and time up to the
 * second are reused while the second lasts. Called twice per checkpoint attempt.
 */
export function isoTime(ms = Date.now()): string {
  const s = Math.floor(ms / 1000);
  if (s !== second) {
    second = s;
    prefix = new Date(s * 1000).toISOString().slice(0, 20);
  }
  const milli = ms - s * 1000;
  return `${prefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

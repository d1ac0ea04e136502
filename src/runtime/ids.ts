import { randomBytes } from 'node:crypto';
import { state } from './state.js';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

// Random bytes drawn from a pool: one call into the system's generator per 512 ids.
let pool = Buffer.alloc(0);
let offset = 0;

function randomPart(): number[] {
  if (offset + 12 > pool.length) {
    pool = randomBytes(12 * 512);
    offset = 0;
  }
  const out: number[] = [];
  for (let i = 0; i < 12; i++) out.push((pool[offset + i] as number) & 31);
  offset += 12;
  return out;
}

/**
 * A new execution id: 10 characters of millisecond time then 12 random ones (lowercase Crockford
 * base32, 22 in all). Ids sort by creation time, rise strictly within a process (the random part is
 * incremented within one millisecond) and are unique across processes.
 */
export function newExecutionId(now = Date.now()): string {
  const ids = state.ids;
  if (now <= ids.lastMs) {
    now = ids.lastMs;
    const r = ids.lastRandom;
    let i = r.length - 1;
    while (i >= 0 && r[i] === 31) r[i--] = 0;
    if (i < 0) {
      now += 1;
      ids.lastRandom = randomPart();
    } else r[i] = (r[i] as number) + 1;
  } else {
    ids.lastRandom = randomPart();
  }
  ids.lastMs = now;
  return encodeTime(now) + ids.lastRandom.map((d) => ALPHABET[d]).join('');
}

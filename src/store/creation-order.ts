/** The alphabet of generated ids (lowercase Crockford base32; see runtime/ids.ts). */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** The shape of a generated id: 10 characters of millisecond time, then 12 random ones. */
const GENERATED = /^[0-9abcdefghjkmnpqrstvwxyz]{22}$/;

/** Whether `id` has the generated shape, so carries its creation time. */
export function hasTime(id: string): boolean {
  return GENERATED.test(id);
}

/** The creation time, in ms, written in an id of the generated shape; null for other ids. */
export function idTime(id: string): number | null {
  if (!hasTime(id)) return null;
  let ms = 0;
  for (let i = 0; i < 10; i++) ms = ms * 32 + ALPHABET.indexOf(id[i] as string);
  return ms;
}

/**
 * When an execution was created, in ms, the key `list` orders by: the time in its id when it has
 * the generated shape (readable from the id alone), else its `createdAt`. The two differ by the
 * moment between making the id and the record, well under a millisecond or two.
 */
export function creationMs(id: string, createdAt: string): number {
  const fromId = idTime(id);
  if (fromId !== null) return fromId;
  const ms = Date.parse(createdAt);
  return Number.isFinite(ms) ? ms : 0;
}

/** An execution's id and creation time (`creationMs`). */
export interface Created {
  id: string;
  ms: number;
}

/** Newest first: by creation time, then (created in the same ms) by id, as ids sort. */
export function newestFirst(a: Created, b: Created): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

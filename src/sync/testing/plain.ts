/**
 * Copies and comparison of plain JSON data for the in-memory stores. Strings are immutable, so a copy shares them and only the
 * objects and arrays are new: the stored value and the caller's cannot affect each other, and a hundred thousand
 * stored links do not hold a second copy of every subject, body and instant (a JSON round trip would).
 */
export function copyPlain<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(copyPlain) as T;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = copyPlain(x);
  return out as T;
}

/** Deep equality of plain JSON data (key order ignored). */
export function plainEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => plainEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * A string to keep for long: V8 builds long JSON.stringify results and concatenations as ropes of parts; reading
 * one character makes it flatten the rope into one string, so a kept text costs its length and not its length plus
 * a tree of fragments (about 30% less for a stored link).
 */
export function flatString(s: string): string {
  s.charCodeAt(0);
  return s;
}

const WIDE = /[\u0100-\uffff]/g;

/** Every character above U+00FF as a JSON \uXXXX escape (surrogate halves one by one, as JSON allows). */
export function escapeWide(json: string): string {
  return json.replace(WIDE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON text to keep, in V8's one-byte form when that is smaller: a single character above U+00FF (a ’ in a trail
 * sentence, an emoji in a subject) makes V8 store the whole string with two bytes per character; escaped, each
 * such character costs six one-byte characters instead. Only for JSON text: outside strings there is nothing wide.
 */
export function compactJson(json: string): string {
  const wide = json.match(WIDE)?.length ?? 0;
  if (wide === 0 || wide * 5 >= json.length) return flatString(json);
  // replace() answers a two-byte string for a two-byte one even when nothing wide is left; JSON.parse builds a new
  // string in the narrowest form.
  return JSON.parse(JSON.stringify(escapeWide(json))) as string;
}

import type { z } from 'zod';
import { HttpError } from '../errors';
import { firstUnknownKey } from './unknown-keys';

/** Parses one part of a request; a failure names the first offending field (`fields.password`, `limit`…). */
export function parsePart<S extends z.ZodType>(
  schema: S,
  value: unknown,
  part: 'params' | 'query' | 'body',
): z.infer<S> {
  const input = value ?? (part === 'body' ? {} : value);
  const r = schema.safeParse(input);
  if (r.success) {
    // Bodies are strict: an undeclared key is an error naming it, not silently dropped.
    const unknown = part === 'body' ? firstUnknownKey(schema, input) : null;
    if (unknown) {
      const path = unknown.join('.');
      const e = new HttpError(400, 'validation', `${path}: unknown field`, path);
      (e as HttpError & { issues?: unknown }).issues = [{ path, message: 'unknown field' }];
      throw e;
    }
    return r.data;
  }
  const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || part, message: i.message }));
  const first = issues[0] ?? { path: part, message: 'invalid' };
  const e = new HttpError(400, 'validation', `${first.path}: ${first.message}`, first.path);
  (e as HttpError & { issues?: typeof issues }).issues = issues;
  throw e;
}

import type { z } from 'zod';
import { HttpError } from '../errors';

/** Parses one part of a request; a failure names the first offending field (`fields.password`, `limit`…). */
export function parsePart<S extends z.ZodType>(
  schema: S,
  value: unknown,
  part: 'params' | 'query' | 'body',
): z.infer<S> {
  const r = schema.safeParse(value ?? (part === 'body' ? {} : value));
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || part, message: i.message }));
  const first = issues[0] ?? { path: part, message: 'invalid' };
  const e = new HttpError(400, 'validation', `${first.path}: ${first.message}`, first.path);
  (e as HttpError & { issues?: typeof issues }).issues = issues;
  throw e;
}

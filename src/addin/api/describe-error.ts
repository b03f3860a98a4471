/**
 * Turns whatever a call threw into sentences for the user: one for the whole action, and one per input field
 * the server (or the pane's own check with the same schema) named, so forms can show it at the field.
 */
import { messages } from '../messages';
import { ApiCallError, ApiUnreachableError, InputError } from './client';

export interface FieldProblem {
  /** The request's field path as the API names it: `url`, `fields.password`, `set.syncIntervalMinutes`, `name`. */
  field: string;
  message: string;
}

/** zod's default messages, said the way a form says them. */
const friendly: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^Too big: expected number to be <=\s*(\S+)/, (m) => messages.fieldErrors.max(m[1]!)],
  [/^Too big: expected number to be <\s*(\S+)/, (m) => messages.fieldErrors.below(m[1]!)],
  [/^Too small: expected number to be >=\s*(\S+)/, (m) => messages.fieldErrors.min(m[1]!)],
  [/^Too small: expected number to be >\s*(\S+)/, (m) => messages.fieldErrors.above(m[1]!)],
  [/^Too small: expected (string|array) to have >=\s*1 (characters|items)/, () => messages.fieldErrors.required],
  [/^Too small: expected string to have >=\s*(\d+)/, (m) => messages.fieldErrors.minLength(m[1]!)],
  [/^Too big: expected string to have <=\s*(\d+)/, (m) => messages.fieldErrors.maxLength(m[1]!)],
  [/^Invalid URL/i, () => messages.fieldErrors.url],
  [/^Invalid email/i, () => messages.fieldErrors.email],
  [/expected int/i, () => messages.fieldErrors.wholeNumber],
  [/^Invalid input: expected number/i, () => messages.fieldErrors.number],
  [/^Invalid option/i, () => messages.fieldErrors.option],
];

export function friendlyIssue(message: string): string {
  for (const [re, say] of friendly) {
    const m = re.exec(message);
    if (m) return say(m);
  }
  const s = message.trim();
  return s ? `${s[0]!.toUpperCase()}${s.slice(1)}${/[.!?]$/.test(s) ? '' : '.'}` : messages.unknownError;
}

/** The fields a validation error names, first problem per field; empty for any other error. */
export function fieldProblems(err: unknown): FieldProblem[] {
  let raw: { path: string; message: string }[] = [];
  if (err instanceof InputError) raw = err.issues;
  else if (err instanceof ApiCallError && (err.body.error === 'validation' || err.body.reason === 'invalid')) {
    const { issues, field, message } = err.body;
    if (issues?.length) raw = issues;
    else if (field)
      raw = [{ path: field, message: message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message }];
  } else if (err instanceof ApiCallError && err.body.error === 'connection-failed' && err.body.field) {
    raw = [{ path: err.body.field, message: describeError(err) }];
  }
  const seen = new Set<string>();
  const out: FieldProblem[] = [];
  for (const i of raw) {
    if (seen.has(i.path)) continue;
    seen.add(i.path);
    out.push({ field: i.path, message: friendlyIssue(i.message) });
  }
  return out;
}

/** The problem for `field` (or any field under it, e.g. `set.x` for `set`), if the error names it. */
export function problemFor(problems: FieldProblem[], field: string): string | undefined {
  return problems.find((p) => p.field === field || p.field.startsWith(`${field}.`))?.message;
}

export function describeError(err: unknown): string {
  if (err instanceof ApiUnreachableError) return messages.serverUnreachable;
  if (err instanceof InputError) return messages.fieldErrors.checkFields;
  if (err instanceof ApiCallError) {
    const { body } = err;
    if (body.error === 'connection-failed') {
      const reason =
        messages.connections.failureReasons[body.reason ?? 'other'] ?? messages.connections.failureReasons.other;
      // The provider's own words only when they add something (not the same refusal said twice).
      // A blocked address's detail is for admins (it names the server setting); the reason says "ask your admin".
      const detail = body.reason === 'blocked-url' ? '' : body.message?.trim();
      return detail && !sameGist(detail, reason ?? '')
        ? `${reason} ${friendlyIssue(detail)}`
        : (reason ?? body.message);
    }
    if (body.error === 'validation' && body.field) return messages.fieldErrors.checkFields;
    if (body.error === 'rate-limited') return messages.rateLimited;
    if (body.error === 'internal') return messages.unknownError;
    return friendlyIssue(body.message);
  }
  return messages.unknownError;
}

/** Two sentences saying the same thing ("refused these credentials" / "rejected these credentials"). */
function sameGist(a: string, b: string): boolean {
  const words = (s: string) =>
    new Set(
      s
        .toLowerCase()
        .replace(/[^a-z ]/g, ' ')
        .split(/\s+/)
        .filter((w) => w.length > 3 && !['refused', 'rejected', 'these', 'this', 'that', 'with'].includes(w)),
    );
  const wa = words(a);
  const wb = words(b);
  if (wa.size === 0 || wb.size === 0) return true;
  let common = 0;
  for (const w of wa) if (wb.has(w)) common++;
  return common / Math.min(wa.size, wb.size) >= 0.5;
}

/** The CRM connectors' connect forms: a required field, or an optional field API name, refused by name. */
import type { ConnectInput } from '../connector';
import { ConnectError } from '../http/connect-error';

export function requiredField(input: ConnectInput, key: string, what: string): string {
  const v = input.fields[key]?.trim();
  if (!v) throw new ConnectError('invalid-input', `${what} is required`, `fields.${key}`);
  return v;
}

/** An optional field naming a CRM field by its API name (the Sync-to-calendar flag), checked against `pattern`. */
export function optionalApiName(
  input: ConnectInput,
  key: string,
  pattern: RegExp,
  expected: string,
): string | undefined {
  const f = input.fields[key]?.trim() ?? '';
  if (f && !pattern.test(f)) throw new ConnectError('invalid-input', `expected ${expected}`, `fields.${key}`);
  return f || undefined;
}

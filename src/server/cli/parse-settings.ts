import {
  partialSettingsSchema,
  settingKeys,
  syncSettingsSchema,
  type PartialSettings,
  type SettingKey,
} from '../../shared/settings';

export class CliInputError extends Error {}

function coerce(key: SettingKey, raw: string): unknown {
  const shape = syncSettingsSchema.shape[key];
  const sample = shape.safeParse(true).success
    ? 'boolean'
    : shape.safeParse(5).success || shape.safeParse(15).success
      ? 'number'
      : shape.safeParse(['meeting']).success
        ? 'list'
        : 'string';
  if (key === 'defaultReminderMinutes') return raw === 'none' || raw === 'null' ? null : Number(raw);
  if (sample === 'boolean') {
    if (['on', 'true', 'yes', '1'].includes(raw)) return true;
    if (['off', 'false', 'no', '0'].includes(raw)) return false;
    return raw;
  }
  if (sample === 'number') return raw.trim() === '' ? raw : Number(raw);
  if (sample === 'list')
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return raw;
}

/** `key=value` pairs of the CLI (SPEC §11 setting keys) → validated partial settings; errors name the key. */
export function parseSettingPairs(pairs: readonly string[]): PartialSettings {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new CliInputError(`expected key=value, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, i).trim();
    if (!settingKeys.includes(key as SettingKey)) {
      throw new CliInputError(`unknown setting ${key} (known: ${settingKeys.join(', ')})`);
    }
    out[key] = coerce(key as SettingKey, pair.slice(i + 1).trim());
  }
  const r = partialSettingsSchema.safeParse(out);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new CliInputError(`invalid ${issue?.path.join('.') ?? 'setting'}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

export function parseSettingKeys(keys: readonly string[]): SettingKey[] {
  for (const k of keys) {
    if (!settingKeys.includes(k as SettingKey)) throw new CliInputError(`unknown setting ${k}`);
  }
  return keys as SettingKey[];
}

/** `--field key=value` → record. */
export function parseFields(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new CliInputError(`--field expects key=value, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, i).trim()] = pair.slice(i + 1);
  }
  return out;
}

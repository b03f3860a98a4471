/**
 * An audit entry in words: who did what to which profile or user, and for settings each change as
 * "Label: before → after" from the before/after the server records (SPEC §8).
 */
import { settingKeys, type SettingKey, type SyncSettings } from '../../../shared/settings';
import type { AuditEntry } from '../../../shared/api';
import { messages } from '../../messages';
import { formatSetting } from '../settings/SettingControl';

type Values = Partial<Record<SettingKey, unknown>>;

const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const keysOf = (v: unknown): SettingKey[] =>
  Array.isArray(v) ? v.filter((k): k is SettingKey => settingKeys.includes(k as SettingKey)) : [];

function show(key: SettingKey, value: unknown): string {
  if (value === undefined) return messages.admin.audit.notSet;
  try {
    return formatSetting(key, value as SyncSettings[typeof key]);
  } catch {
    return JSON.stringify(value);
  }
}

/** One line per setting whose value or lock differs. */
export function settingChanges(before: unknown, after: unknown, lockedBefore: unknown, lockedAfter: unknown): string[] {
  const a = record(before) as Values;
  const b = record(after) as Values;
  const la = keysOf(lockedBefore);
  const lb = keysOf(lockedAfter);
  const out: string[] = [];
  for (const key of settingKeys) {
    const label = messages.settings.labels[key];
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) {
      out.push(messages.admin.audit.change(label, show(key, a[key]), show(key, b[key])));
    }
    if (la.includes(key) !== lb.includes(key)) {
      out.push(lb.includes(key) ? messages.admin.audit.locked(label) : messages.admin.audit.unlocked(label));
    }
  }
  return out;
}

export function describeAudit(e: AuditEntry): { summary: string; changes: string[] } {
  const t = messages.admin.audit;
  const d = record(e.details);
  const target = e.target ?? '';
  switch (e.action) {
    case 'global-settings.update':
      return { summary: t.globalUpdated, changes: settingChanges(d.before, d.after, [], []) };
    case 'profile.create':
      return { summary: t.profileCreated(target), changes: settingChanges({}, d.values, [], d.locked) };
    case 'profile.update': {
      const before = record(d.before);
      const after = record(d.after);
      const changes = settingChanges(before.values, after.values, before.locked, after.locked);
      if (typeof before.name === 'string' && typeof after.name === 'string' && before.name !== after.name) {
        changes.unshift(t.renamed(before.name, after.name));
      }
      return { summary: t.profileUpdated(target), changes };
    }
    case 'profile.delete':
      return { summary: t.profileDeleted(target), changes: [] };
    case 'profile.assign':
      return {
        summary: typeof d.profile === 'string' ? t.assigned(d.profile, target) : t.unassigned(target),
        changes: [],
      };
    default:
      return { summary: target ? `${e.action} (${target})` : e.action, changes: [] };
  }
}

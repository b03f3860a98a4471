/**
 * Which settings changes can make the next run delete items or send mail (SPEC §4, §5): those need the preview
 * counts before they are saved. Narrowing the scope deletes the events the connector created for items that
 * leave it; turning invitations on (or invitees on while invitations are on) e-mails attendees.
 */
import type { PartialSettings, SyncSettings } from '../../../shared/settings';

export type Risk = 'deletes' | 'emails';

const order = { related: 0, all: 1 } as const;
const privateScope = { skip: 0, busy: 1, private: 1 } as const;

export function riskyChanges(current: SyncSettings, changes: PartialSettings): Risk[] {
  const next: SyncSettings = { ...current, ...changes };
  const risks = new Set<Risk>();
  if (order[next.syncRecords] < order[current.syncRecords]) risks.add('deletes');
  if (current.activityTypes.some((t) => !next.activityTypes.includes(t))) risks.add('deletes');
  if (privateScope[next.privateEvents] < privateScope[current.privateEvents]) risks.add('deletes');
  if (next.pastWindowDays < current.pastWindowDays) risks.add('deletes');
  const mailsBefore = current.invitations !== 'never' && current.syncInvitees;
  const mailsAfter = next.invitations !== 'never' && next.syncInvitees;
  if (mailsAfter && !mailsBefore) risks.add('emails');
  return [...risks];
}

/** The changed keys of a draft compared with the effective settings. */
export function changedSettings(current: SyncSettings, draft: PartialSettings): PartialSettings {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(draft)) {
    if (JSON.stringify(v) !== JSON.stringify(current[k as keyof SyncSettings])) out[k] = v;
  }
  return out as PartialSettings;
}

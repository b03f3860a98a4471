/**
 * The item panel's last resort (issue 18): with a calendar connection that cannot resolve an Outlook item id
 * (Google, CalDAV — no Graph), and Office.js exposing no iCalUId, the open appointment is matched to the synced
 * links by what Outlook shows of it: the same start, the same subject (trimmed, case-insensitive) on either side,
 * and an organiser the link does not contradict (the signed-in user, or someone among the link's attendees on
 * either side, or a link without attendees). The panel shows such a match as "probable".
 */
import type { Person, SyncedFields, Timing } from '../../sync/model';
import type { LinkRecord } from '../../sync/status-store';

export interface OutlookItemHint {
  subject: string;
  /** ISO instant of the item's start (Office.js item.start). */
  start: string;
  /** Lower-case e-mail of the organiser, when Outlook gives one. */
  organizer: string | null;
}

const dayMs = 86_400_000;

function sameStart(t: Timing, start: string): boolean {
  const at = Date.parse(start);
  if (Number.isNaN(at)) return false;
  if (t.kind === 'timed') return Date.parse(t.start) === at;
  // An all-day item starts at local midnight: within a day of the date's UTC midnight, either side of UTC.
  return Math.abs(Date.parse(`${t.startDate}T00:00:00Z`) - at) < dayMs / 2 + 2 * 3_600_000;
}

function norm(s: string): string {
  return s.trim().replace(/\s+/g, ' ').toLowerCase();
}

function sameMeeting(f: SyncedFields, hint: OutlookItemHint): boolean {
  return norm(f.subject) === norm(hint.subject) && sameStart(f.timing, hint.start);
}

function organiserFits(link: LinkRecord, organizer: string | null, self: string): boolean {
  if (!organizer || organizer === self) return true;
  const people: Person[] = [...link.crmFields.attendees, ...link.eventFields.attendees];
  return people.length === 0 || people.some((p) => p.email.toLowerCase() === organizer);
}

/** The links that probably belong to the open Outlook item (at most 5: the panel is a glance, not a search). */
export function probableLinks(links: LinkRecord[], hint: OutlookItemHint, selfEmail: string): LinkRecord[] {
  if (!norm(hint.subject)) return [];
  const self = selfEmail.toLowerCase();
  return links
    .filter((l) => sameMeeting(l.eventFields, hint) || sameMeeting(l.crmFields, hint))
    .filter((l) => organiserFits(l, hint.organizer, self))
    .slice(0, 5);
}

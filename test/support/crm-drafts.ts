/**
 * A meeting's synced fields and a CRM create draft for connector tests: a timed hour on 2030-01-12 in UTC with an
 * agenda and a room; each test file names only what differs (its subject, its end).
 */
import crypto from 'node:crypto';
import type { CrmDraft, SyncedFields } from '../../src/sync/model';

export function meetingFields(over: Partial<SyncedFields> = {}): SyncedFields {
  return {
    subject: 'Quarterly review',
    timing: { kind: 'timed', start: '2030-01-12T09:00:00.000Z', end: '2030-01-12T10:00:00.000Z', timeZone: 'UTC' },
    body: 'Agenda',
    location: 'Room 4',
    visibility: 'normal',
    showAs: 'busy',
    attendees: [],
    recurrence: null,
    reminderMinutes: null,
    ...over,
  };
}

/** A draft of a meeting to create, with a fresh iCalUId, flagged for the calendar and linked to no one. */
export function meetingDraft(fields: SyncedFields, over: Partial<CrmDraft> = {}): CrmDraft {
  return {
    type: 'meeting',
    fields,
    iCalUId: `uid-${crypto.randomUUID()}@calendar.example`,
    syncToCalendar: true,
    links: { contactIds: [], companyIds: [] },
    ...over,
  };
}

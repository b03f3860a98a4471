/**
 * Salesforce Event/Task records ↔ the engine's model. Events keep their instants (UTC) and all-day dates; a
 * task's due date is a date only, mapped to midnight UTC. The iCalUId tag and the optional Sync-to-calendar flag
 * live in custom fields the org admin adds (docs/crm.md), because Salesforce activities have no standard ones.
 */
import type { CrmItem, Person, Priority, Timing } from '../../../sync/model';
import { readICalUIdTag } from '../ical-uid-tag';

export const iCalUIdField = 'CrmSync_ICalUId__c';

export interface SfEvent {
  attributes?: { type: string };
  Id: string;
  Subject: string | null;
  StartDateTime: string | null;
  EndDateTime: string | null;
  IsAllDayEvent: boolean;
  ActivityDate: string | null;
  DurationInMinutes: number | null;
  Description: string | null;
  Location: string | null;
  ShowAs: string | null;
  IsPrivate: boolean;
  IsReminderSet: boolean;
  ReminderDateTime: string | null;
  WhoId: string | null;
  WhatId: string | null;
  AccountId: string | null;
  OwnerId: string;
  Type: string | null;
  SystemModstamp: string;
  [field: string]: unknown;
}

export interface SfTask {
  attributes?: { type: string };
  Id: string;
  Subject: string | null;
  ActivityDate: string | null;
  Description: string | null;
  Status: string | null;
  Priority: string | null;
  IsClosed: boolean;
  WhoId: string | null;
  WhatId: string | null;
  AccountId: string | null;
  OwnerId: string;
  SystemModstamp: string;
  [field: string]: unknown;
}

export const eventFields = [
  'Id',
  'Subject',
  'StartDateTime',
  'EndDateTime',
  'IsAllDayEvent',
  'ActivityDate',
  'DurationInMinutes',
  'Description',
  'Location',
  'ShowAs',
  'IsPrivate',
  'IsReminderSet',
  'ReminderDateTime',
  'WhoId',
  'WhatId',
  'AccountId',
  'OwnerId',
  'SystemModstamp',
];

export const taskFields = [
  'Id',
  'Subject',
  'ActivityDate',
  'Description',
  'Status',
  'Priority',
  'IsClosed',
  'WhoId',
  'WhatId',
  'AccountId',
  'OwnerId',
  'SystemModstamp',
];

/** Key prefixes of Salesforce ids. */
export const prefixes = {
  event: '00U',
  task: '00T',
  contact: '003',
  lead: '00Q',
  account: '001',
  user: '005',
} as const;

export const isEventId = (id: string) => id.startsWith(prefixes.event);
export const isTaskId = (id: string) => id.startsWith(prefixes.task);
export const isPersonId = (id: string) => id.startsWith(prefixes.contact) || id.startsWith(prefixes.lead);

export interface SfPerson {
  id: string;
  email: string;
  name: string | null;
  kind: 'contact' | 'lead';
  companyId: string | null;
}

export interface SfContext {
  instanceUrl: string;
  invitees: string[]; // relation ids (contacts/leads) invited to the event
  /** Contacts/leads related to the event without being invited (Shared Activities: EventRelation.IsParent). */
  related?: string[];
  people: Map<string, SfPerson>;
  me: { id: string; email: string | null };
  syncFlagField: string | null;
}

const iso = (v: string | null): string | null => (v ? new Date(v).toISOString() : null);

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function eventTiming(e: SfEvent): Timing | null {
  if (e.IsAllDayEvent && e.ActivityDate) {
    const days = Math.max(1, Math.round((e.DurationInMinutes ?? 1440) / 1440));
    return { kind: 'all-day', startDate: e.ActivityDate, endDate: addDays(e.ActivityDate, days) };
  }
  const start = iso(e.StartDateTime);
  const end = iso(e.EndDateTime) ?? start;
  return start && end ? { kind: 'timed', start, end, timeZone: 'UTC' } : null;
}

function links(who: string | null, invitees: string[], account: string | null, what: string | null) {
  const contactIds = [...new Set([...(who && isPersonId(who) ? [who] : []), ...invitees])];
  const companyIds = [
    ...new Set([account, what].filter((x): x is string => Boolean(x && x.startsWith(prefixes.account)))),
  ];
  return { contactIds, companyIds };
}

function attendeesOf(ids: string[], people: Map<string, SfPerson>): Person[] {
  return ids
    .map((id) => people.get(id))
    .filter((p): p is SfPerson => Boolean(p))
    .map((p) => (p.name ? { email: p.email, name: p.name } : { email: p.email }));
}

const flagOf = (r: Record<string, unknown>, field: string | null): boolean | null =>
  field ? (typeof r[field] === 'boolean' ? (r[field] as boolean) : null) : null;

export function eventToItem(e: SfEvent, ctx: SfContext): CrmItem {
  const timing = eventTiming(e);
  const reminderAt = e.IsReminderSet ? iso(e.ReminderDateTime) : null;
  const start = timing?.kind === 'timed' ? timing.start : timing ? `${timing.startDate}T00:00:00.000Z` : null;
  const l = links(e.WhoId, [...ctx.invitees, ...(ctx.related ?? [])], e.AccountId, e.WhatId);
  const invited = links(e.WhoId, ctx.invitees, null, null).contactIds;
  const tag = readICalUIdTag(e[iCalUIdField]);
  return {
    id: e.Id,
    type: e.Type === 'Call' ? 'call' : 'meeting',
    version: e.SystemModstamp,
    modifiedAt: new Date(e.SystemModstamp).toISOString(),
    fields: {
      subject: e.Subject ?? '',
      timing,
      body: e.Description ?? '',
      location: e.Location ?? '',
      visibility: e.IsPrivate ? 'private' : 'normal',
      showAs: e.ShowAs === 'Free' ? 'free' : 'busy',
      attendees: attendeesOf(invited, ctx.people),
      recurrence: null,
      reminderMinutes:
        reminderAt && start ? Math.max(0, Math.round((Date.parse(start) - Date.parse(reminderAt)) / 60_000)) : null,
    },
    syncToCalendar: flagOf(e, ctx.syncFlagField),
    archived: false,
    iCalUId: tag.iCalUId,
    origin: tag.origin,
    url: `${ctx.instanceUrl}/${e.Id}`,
    links: l,
    ownerEmails: e.OwnerId === ctx.me.id && ctx.me.email ? [ctx.me.email] : [],
  };
}

const priorities: Record<string, Priority> = { High: 'high', Normal: 'normal', Low: 'low' };
export const priorityToSf: Record<Priority, string> = { high: 'High', normal: 'Normal', low: 'Low' };

export function taskToItem(t: SfTask, ctx: SfContext): CrmItem {
  const due = t.ActivityDate ? `${t.ActivityDate}T00:00:00.000Z` : null;
  const l = links(t.WhoId, [], t.AccountId, t.WhatId);
  const tag = readICalUIdTag(t[iCalUIdField]);
  return {
    id: t.Id,
    type: 'task',
    version: t.SystemModstamp,
    modifiedAt: new Date(t.SystemModstamp).toISOString(),
    fields: {
      subject: t.Subject ?? '',
      timing: due ? { kind: 'timed', start: due, end: due, timeZone: 'UTC' } : null,
      body: t.Description ?? '',
      location: '',
      visibility: 'normal',
      showAs: t.IsClosed ? 'free' : 'busy',
      attendees: attendeesOf(l.contactIds, ctx.people),
      recurrence: null,
      reminderMinutes: null,
    },
    completed: t.IsClosed,
    priority: priorities[t.Priority ?? ''] ?? 'normal',
    syncToCalendar: flagOf(t, ctx.syncFlagField),
    archived: false,
    iCalUId: tag.iCalUId,
    origin: tag.origin,
    url: `${ctx.instanceUrl}/${t.Id}`,
    links: l,
    ownerEmails: t.OwnerId === ctx.me.id && ctx.me.email ? [ctx.me.email] : [],
  };
}

/** Event body fields for create/update from synced fields. */
export function eventTimingFields(t: Timing): Record<string, unknown> {
  if (t.kind === 'all-day') {
    const days = Math.max(1, Math.round((Date.parse(t.endDate) - Date.parse(t.startDate)) / 86_400_000));
    return { IsAllDayEvent: true, ActivityDate: t.startDate, DurationInMinutes: days * 1440 };
  }
  return { IsAllDayEvent: false, StartDateTime: t.start, EndDateTime: t.end };
}

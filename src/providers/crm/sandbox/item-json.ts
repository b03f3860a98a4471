/**
 * The Sandbox CRM's public item shape: what `crm-sync sandbox … list --json` prints, what `import` and the
 * /sandbox/v1 API accept. Flat and human-writable (start/end/due instead of the engine's Timing union);
 * converted to and from the repository's SandboxItemData here, validated with zod at the edge.
 */
import { z } from 'zod';
import { activityTypeSchema } from '../../../shared/settings';
import type { Timing } from '../../../sync/model';
import type { SandboxItem, SandboxItemData, SandboxRepository } from './repository';

const isoInstant = z.iso.datetime({ offset: true });
const isoDate = z.iso.date();

const baseShape = {
  type: activityTypeSchema,
  subject: z.string().trim().min(1, 'subject must not be empty').max(255),
  /** Timed items: ISO instants. All-day items: YYYY-MM-DD dates, end exclusive. */
  start: z.string().nullable().optional(),
  end: z.string().nullable().optional(),
  allDay: z.boolean().optional(),
  /** IANA zone the times were written in. */
  timeZone: z.string().min(1).max(64).nullable().optional(),
  /** Tasks: the due instant. */
  due: isoInstant.nullable().optional(),
  body: z.string().max(32_000).optional(),
  location: z.string().max(255).optional(),
  invitees: z.array(z.email()).max(500).optional(),
  /** The Sync-to-calendar flag; null/absent = the connector's default rule. */
  sync: z.boolean().nullable().optional(),
  completed: z.boolean().optional(),
  priority: z.enum(['low', 'normal', 'high']).optional(),
  visibility: z.enum(['normal', 'private']).optional(),
  showAs: z.enum(['busy', 'free']).optional(),
  reminderMinutes: z.number().int().min(0).max(40_320).nullable().optional(),
  recurrence: z
    .object({ rrule: z.string().regex(/^FREQ=[A-Z]+/, 'rrule must start with FREQ='), exdates: z.array(z.string()) })
    .nullable()
    .optional(),
  archived: z.boolean().optional(),
  iCalUId: z.string().min(1).max(1024).nullable().optional(),
  contactIds: z.array(z.string()).optional(),
  companyIds: z.array(z.string()).optional(),
};

/** Fields `list --json` prints that an import ignores (the store assigns them). */
const outputOnlyShape = {
  id: z.string().optional(),
  origin: z.enum(['crm', 'calendar']).optional(),
  owners: z.array(z.string()).optional(),
  version: z.number().optional(),
  createdAt: z.string().optional(),
  modifiedAt: z.string().optional(),
};

export const sandboxItemInputSchema = z.strictObject({ ...baseShape, ...outputOnlyShape });
export type SandboxItemInput = z.infer<typeof sandboxItemInputSchema>;

/** A partial update; validated again as a whole once merged with the stored item. */
export const sandboxItemPatchSchema = z.strictObject(baseShape).partial();
export type SandboxItemPatch = z.infer<typeof sandboxItemPatchSchema>;

export interface SandboxItemJson {
  id: string;
  type: SandboxItemData['type'];
  subject: string;
  start: string | null;
  end: string | null;
  allDay: boolean;
  timeZone: string | null;
  due: string | null;
  body: string;
  location: string;
  invitees: string[];
  sync: boolean | null;
  completed: boolean;
  priority: SandboxItemData['priority'];
  visibility: SandboxItemData['visibility'];
  showAs: SandboxItemData['showAs'];
  reminderMinutes: number | null;
  recurrence: SandboxItemData['recurrence'];
  archived: boolean;
  iCalUId: string | null;
  origin: 'crm' | 'calendar';
  contactIds: string[];
  companyIds: string[];
  owners: string[];
  version: number;
  createdAt: string;
  modifiedAt: string;
}

export function toItemJson(item: SandboxItem): SandboxItemJson {
  const t = item.timing;
  const isTask = item.type === 'task';
  return {
    id: item.id,
    type: item.type,
    subject: item.subject,
    start: isTask || !t ? null : t.kind === 'timed' ? t.start : t.startDate,
    end: isTask || !t ? null : t.kind === 'timed' ? t.end : t.endDate,
    allDay: !isTask && t?.kind === 'all-day',
    timeZone: !isTask && t?.kind === 'timed' ? t.timeZone : null,
    due: isTask && t?.kind === 'timed' ? t.start : null,
    body: item.body,
    location: item.location,
    invitees: item.attendees.map((a) => a.email),
    sync: item.syncToCalendar,
    completed: item.completed,
    priority: item.priority,
    visibility: item.visibility,
    showAs: item.showAs,
    reminderMinutes: item.reminderMinutes,
    recurrence: item.recurrence,
    archived: item.archived,
    iCalUId: item.iCalUId,
    origin: item.origin,
    contactIds: item.links.contactIds,
    companyIds: item.links.companyIds,
    owners: item.ownerEmails,
    version: item.version,
    createdAt: item.createdAt,
    modifiedAt: item.modifiedAt,
  };
}

/** A problem with one input field, named so the CLI and the API can say which. */
export class SandboxInputError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'SandboxInputError';
    this.field = field;
  }
}

function timingOf(input: SandboxItemPatch & Pick<SandboxItemInput, 'type'>): Timing | null {
  if (input.type === 'task') {
    if (input.start || input.end) throw new SandboxInputError('start', 'a task has a due date (--due), not start/end');
    return input.due ? { kind: 'timed', start: iso(input.due), end: iso(input.due), timeZone: 'UTC' } : null;
  }
  if (input.due) throw new SandboxInputError('due', `a ${input.type} has start and end, not a due date`);
  if (!input.start && !input.end) {
    if (input.type === 'note') return null;
    throw new SandboxInputError('start', `a ${input.type} needs a start and an end`);
  }
  if (!input.start) throw new SandboxInputError('start', 'missing');
  if (!input.end) throw new SandboxInputError('end', 'missing');
  if (input.allDay) {
    if (!isoDate.safeParse(input.start).success) throw new SandboxInputError('start', 'expected YYYY-MM-DD');
    if (!isoDate.safeParse(input.end).success) throw new SandboxInputError('end', 'expected YYYY-MM-DD');
    if (input.end <= input.start) throw new SandboxInputError('end', 'must be after start (end date is exclusive)');
    return { kind: 'all-day', startDate: input.start, endDate: input.end };
  }
  if (!isoInstant.safeParse(input.start).success) throw new SandboxInputError('start', 'expected an ISO date-time');
  if (!isoInstant.safeParse(input.end).success) throw new SandboxInputError('end', 'expected an ISO date-time');
  const start = iso(input.start);
  const end = iso(input.end);
  if (end < start) throw new SandboxInputError('end', 'must not be before start');
  const timeZone = input.timeZone ?? 'UTC';
  if (!isKnownZone(timeZone)) throw new SandboxInputError('timeZone', `unknown time zone ${timeZone}`);
  return { kind: 'timed', start, end, timeZone };
}

function iso(value: string): string {
  return new Date(value).toISOString();
}

function isKnownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Converts a validated input into stored data (links resolved separately by `withResolvedLinks`). */
export function fromItemInput(
  input: SandboxItemInput | (SandboxItemPatch & Pick<SandboxItemInput, 'type' | 'subject'>),
): SandboxItemData {
  return {
    type: input.type,
    subject: input.subject,
    timing: timingOf(input),
    body: input.body ?? '',
    location: input.location ?? '',
    visibility: input.visibility ?? 'normal',
    showAs: input.showAs ?? (input.type === 'task' && input.completed ? 'free' : 'busy'),
    attendees: [...new Set((input.invitees ?? []).map((e) => e.toLowerCase()))].map((email) => ({ email })),
    recurrence: input.recurrence ?? null,
    reminderMinutes: input.reminderMinutes ?? null,
    completed: input.completed ?? false,
    priority: input.priority ?? 'normal',
    syncToCalendar: input.sync ?? null,
    archived: input.archived ?? false,
    iCalUId: input.iCalUId ?? null,
    origin: 'crm',
    occurrence: null,
    links: { contactIds: input.contactIds ?? [], companyIds: input.companyIds ?? [] },
  };
}

/** Merges a patch over a stored item and validates the result as a whole. */
export function applyItemPatch(current: SandboxItem, patch: SandboxItemPatch): SandboxItemData {
  const base = toItemJson(current);
  const merged: SandboxItemPatch & Pick<SandboxItemInput, 'type' | 'subject'> = {
    ...base,
    timeZone: base.timeZone ?? undefined,
    ...patch,
  };
  const typeChanged = patch.type !== undefined && patch.type !== current.type;
  if (typeChanged && (patch.type === 'task') !== (current.type === 'task')) {
    // Switching between a dated task and a timed activity: the old timing does not carry over.
    if (patch.due === undefined) merged.due = null;
    if (patch.start === undefined) merged.start = null;
    if (patch.end === undefined) merged.end = null;
  }
  const data = fromItemInput(merged);
  return { ...data, origin: current.origin, occurrence: current.occurrence };
}

/**
 * Links an item to the contacts/leads among its invitees and to their companies, as a CRM user would by picking
 * them, unless the input named the links itself.
 */
export async function withResolvedLinks(
  repo: SandboxRepository,
  data: SandboxItemData,
  explicit: boolean,
): Promise<SandboxItemData> {
  if (explicit || data.attendees.length === 0) return data;
  const people = await repo.findPeople(data.attendees.map((a) => a.email));
  const contactIds = [...new Set(people.map((p) => p.id))];
  const companyIds = [...new Set(people.flatMap((p) => (p.companyId ? [p.companyId] : [])))];
  return { ...data, links: { contactIds, companyIds } };
}

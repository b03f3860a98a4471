/**
 * Duplicate cleanup (SPEC §6): preview the groups and which copy is kept; apply removes the extra copies (never
 * the last one, never a linked one, merging CRM data the kept copy lacks first), logs every removal with a
 * snapshot, and can be undone for 7 days. Calendar copies are deleted without cancellations; CRM copies are
 * archived (CRM data is never deleted).
 */
import { parseOccurrenceEventId } from './occurrences';
import type { CalendarEvent, CrmItem, SyncedFields } from './model';
import type { CrmWrite, EventWrite } from './ports';
import type { CleanupRecord, CleanupRemoval, LinkRecord } from './status-store';
import type { EngineContext } from './run';
import { engineEnv } from './run';
import { defaultSleep, withRetry } from './retry';
import { fingerprint, windowStart } from './mapping';
import { normAttendees } from './canonical';
import { ProviderError } from './errors';
import { recordHistoryAction } from './history';

export interface DuplicateGroup {
  kind: 'tagged-events' | 'ical-activities' | 'fingerprint';
  keep: { side: 'crm' | 'calendar'; id: string; subject: string };
  remove: { side: 'crm' | 'calendar'; id: string; subject: string }[];
  /** Human descriptions of the data moved onto the kept copy before removal. */
  merged: string[];
}

export interface CleanupPreview {
  groups: DuplicateGroup[];
}

const UNDO_DAYS = 7;

interface Merge {
  side: 'crm' | 'calendar';
  id: string;
  before: SyncedFields | CrmItem['fields'];
  patch: Partial<SyncedFields>;
  links?: CrmItem['links'];
  calendarId?: string;
  crmTag?: string | null;
}

interface Found {
  groups: DuplicateGroup[];
  merges: Merge[];
  events: Map<string, CalendarEvent>;
  items: Map<string, CrmItem>;
}

/** Text fields and attendees a removed copy has but the kept one lacks. */
function mergePatch(
  keep: { body: string; location: string; attendees: { email: string; name?: string }[] },
  drop: { body: string; location: string; attendees: { email: string; name?: string }[] },
  userEmail: string,
): { patch: Partial<SyncedFields>; notes: string[] } {
  const patch: Partial<SyncedFields> = {};
  const notes: string[] = [];
  if (!keep.body.trim() && drop.body.trim()) {
    patch.body = drop.body;
    notes.push('description');
  }
  if (!keep.location.trim() && drop.location.trim()) {
    patch.location = drop.location;
    notes.push('location');
  }
  const have = new Set(keep.attendees.map((a) => a.email.toLowerCase()));
  const extra = drop.attendees.filter((a) => !have.has(a.email.toLowerCase()));
  if (extra.length > 0) {
    patch.attendees = normAttendees([...keep.attendees, ...extra], userEmail);
    notes.push(`${extra.length} attendee(s)`);
  }
  return { patch, notes };
}

async function listAll(
  ctx: EngineContext,
): Promise<{ events: CalendarEvent[]; items: CrmItem[]; links: LinkRecord[] }> {
  const env = engineEnv(ctx);
  const sleep = ctx.sleep ?? defaultSleep;
  const window = { from: windowStart(env), to: null };
  const items = (await withRetry(() => ctx.crm.listChanges(null, window), sleep, ctx.signal)).upserts;
  const events: CalendarEvent[] = [];
  for (const id of new Set([ctx.calendars.targetCalendarId, ...ctx.calendars.sourceCalendarIds])) {
    events.push(...(await withRetry(() => ctx.calendar.listChanges(id, null, window), sleep, ctx.signal)).upserts);
  }
  return { events, items, links: await ctx.store.loadLinks() };
}

function byOldest<T extends { modifiedAt: string; id: string }>(a: T, b: T): number {
  return a.modifiedAt < b.modifiedAt ? -1 : a.modifiedAt > b.modifiedAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Groups of two or more with the same key (null: no group). */
function group<T>(list: T[], key: (t: T) => string | null): T[][] {
  const m = new Map<string, T[]>();
  for (const t of list) {
    const k = key(t);
    if (k === null) continue;
    const l = m.get(k);
    if (l) l.push(t);
    else m.set(k, [t]);
  }
  return [...m.values()].filter((l) => l.length > 1);
}

async function findDuplicates(ctx: EngineContext): Promise<Found> {
  const userEmail = ctx.userEmail.toLowerCase();
  const { events, items, links } = await listAll(ctx);
  const linkedEvents = new Set(links.map((l) => l.eventId));
  // A series whose occurrences are linked one by one (CRM without recurrence) is linked too: never removed.
  for (const l of links) {
    const ref = parseOccurrenceEventId(l.eventId);
    if (ref) linkedEvents.add(ref.seriesId);
  }
  const linkedItems = new Set(links.map((l) => l.crmId));
  const groups: DuplicateGroup[] = [];
  const merges: Merge[] = [];
  const taken = new Set<string>();
  const evMap = new Map(events.map((e) => [e.id, e]));
  const itemMap = new Map(items.map((i) => [i.id, i]));

  const addEventGroup = (kind: DuplicateGroup['kind'], copies: CalendarEvent[]): void => {
    const live = copies.filter((e) => !taken.has(`e:${e.id}`));
    if (live.length < 2) return;
    const keep = live.find((e) => linkedEvents.has(e.id)) ?? [...live].sort(byOldest)[0]!;
    const remove = live.filter((e) => e !== keep && !linkedEvents.has(e.id));
    if (remove.length === 0) return;
    const merged: string[] = [];
    let kept = { ...keep.fields };
    const patch: Partial<SyncedFields> = {};
    for (const r of remove) {
      const m = mergePatch(kept, r.fields, userEmail);
      if (m.notes.length) merged.push(`${m.notes.join(', ')} from event ${r.id}`);
      Object.assign(patch, m.patch);
      kept = { ...kept, ...m.patch };
    }
    if (Object.keys(patch).length > 0) {
      merges.push({
        side: 'calendar',
        id: keep.id,
        before: keep.fields,
        patch,
        calendarId: keep.calendarId,
        crmTag: keep.crmTag,
      });
    }
    for (const e of [keep, ...remove]) taken.add(`e:${e.id}`);
    groups.push({
      kind,
      keep: { side: 'calendar', id: keep.id, subject: keep.fields.subject },
      remove: remove.map((e) => ({ side: 'calendar', id: e.id, subject: e.fields.subject })),
      merged,
    });
  };

  const addItemGroup = (kind: DuplicateGroup['kind'], copies: CrmItem[]): void => {
    const live = copies.filter((i) => !taken.has(`c:${i.id}`) && !i.archived);
    if (live.length < 2) return;
    const keep = live.find((i) => linkedItems.has(i.id)) ?? [...live].sort(byOldest)[0]!;
    const remove = live.filter((i) => i !== keep && !linkedItems.has(i.id));
    if (remove.length === 0) return;
    const merged: string[] = [];
    let kept = { ...keep.fields };
    const patch: Partial<SyncedFields> = {};
    const contactIds = new Set(keep.links.contactIds);
    const companyIds = new Set(keep.links.companyIds);
    for (const r of remove) {
      const m = mergePatch(kept, r.fields, userEmail);
      const newContacts = r.links.contactIds.filter((c) => !contactIds.has(c));
      r.links.contactIds.forEach((c) => contactIds.add(c));
      r.links.companyIds.forEach((c) => companyIds.add(c));
      if (newContacts.length) m.notes.push(`${newContacts.length} linked contact(s)`);
      if (m.notes.length) merged.push(`${m.notes.join(', ')} from activity ${r.id}`);
      Object.assign(patch, m.patch);
      kept = { ...kept, ...m.patch };
    }
    const linksGrew = contactIds.size > keep.links.contactIds.length || companyIds.size > keep.links.companyIds.length;
    if (Object.keys(patch).length > 0 || linksGrew) {
      merges.push({
        side: 'crm',
        id: keep.id,
        before: keep.fields,
        patch,
        ...(linksGrew ? { links: { contactIds: [...contactIds], companyIds: [...companyIds] } } : {}),
      });
    }
    for (const i of [keep, ...remove]) taken.add(`c:${i.id}`);
    groups.push({
      kind,
      keep: { side: 'crm', id: keep.id, subject: keep.fields.subject },
      remove: remove.map((i) => ({ side: 'crm', id: i.id, subject: i.fields.subject })),
      merged,
    });
  };

  // 1. Several events tagged with one CRM id.
  for (const copies of group(events, (e) => e.crmTag || null)) addEventGroup('tagged-events', copies);
  // 2. Several CRM activities for one iCalUId.
  for (const copies of group(
    items.filter((i) => !i.archived),
    (i) => (i.iCalUId ? `${i.iCalUId}|${i.occurrence?.originalStart ?? ''}` : null),
  )) {
    addItemGroup('ical-activities', copies);
  }
  // 3. Identical subject + start + end where one copy is linked.
  for (const copies of group(events, (e) => (e.cancelled ? null : fingerprint(e.fields.subject, e.fields.timing)))) {
    if (copies.some((e) => linkedEvents.has(e.id))) addEventGroup('fingerprint', copies);
  }
  for (const copies of group(
    items.filter((i) => !i.archived && i.fields.timing),
    (i) => fingerprint(i.fields.subject, i.fields.timing!),
  )) {
    if (copies.some((i) => linkedItems.has(i.id))) addItemGroup('fingerprint', copies);
  }
  return { groups, merges, events: evMap, items: itemMap };
}

export async function previewCleanup(ctx: EngineContext): Promise<CleanupPreview> {
  return { groups: (await findDuplicates(ctx)).groups };
}

async function writeEvents(
  ctx: EngineContext,
  calendarId: string,
  writes: EventWrite[],
): Promise<(CalendarEvent | null)[]> {
  const out: (CalendarEvent | null)[] = [];
  const size = Math.max(1, ctx.calendar.capabilities.maxBatch);
  for (let i = 0; i < writes.length; i += size) {
    const part = writes.slice(i, i + size);
    const res = await withRetry(
      async () => {
        const r = await ctx.calendar.writeEvents(calendarId, part);
        const bad = r.find((x) => !x.ok && x.error.kind === 'transient');
        if (bad && !bad.ok) throw bad.error;
        return r;
      },
      ctx.sleep ?? defaultSleep,
      ctx.signal,
    );
    for (const r of res) {
      if (!r.ok && r.error.kind !== 'not-found') throw r.error;
      out.push(r.ok ? r.value : null);
    }
  }
  return out;
}

async function writeItems(ctx: EngineContext, writes: CrmWrite[]): Promise<(CrmItem | null)[]> {
  const out: (CrmItem | null)[] = [];
  const size = Math.max(1, ctx.crm.capabilities.maxBatch);
  for (let i = 0; i < writes.length; i += size) {
    const part = writes.slice(i, i + size);
    const res = await withRetry(
      async () => {
        const r = await ctx.crm.writeItems(part);
        const bad = r.find((x) => !x.ok && x.error.kind === 'transient');
        if (bad && !bad.ok) throw bad.error;
        return r;
      },
      ctx.sleep ?? defaultSleep,
      ctx.signal,
    );
    for (const r of res) {
      if (!r.ok && r.error.kind !== 'not-found') throw r.error;
      out.push(r.ok ? r.value : null);
    }
  }
  return out;
}

function newId(now: Date): string {
  return `cleanup-${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export async function applyCleanup(ctx: EngineContext): Promise<CleanupRecord> {
  const now = ctx.now();
  const found = await findDuplicates(ctx);
  const record: CleanupRecord = {
    id: newId(now),
    createdAt: now.toISOString(),
    appliedAt: null,
    undoneAt: null,
    undoUntil: new Date(now.getTime() + UNDO_DAYS * 86_400_000).toISOString(),
    removals: [],
    merges: found.merges,
  };
  // Saved first: whatever happens next, the snapshots of what this cleanup touches are on record.
  for (const g of found.groups) {
    for (const r of g.remove) {
      const snapshot = r.side === 'calendar' ? found.events.get(r.id) : found.items.get(r.id);
      record.removals.push({ side: r.side, id: r.id, snapshot });
    }
  }
  await ctx.store.saveCleanup(record);

  // Merge first, so no data exists only on a copy about to be removed.
  for (const m of found.merges) {
    if (m.side === 'crm') {
      const item = found.items.get(m.id)!;
      await writeItems(ctx, [
        { op: 'update', id: m.id, ifMatch: item.version, fields: m.patch, ...(m.links ? { links: m.links } : {}) },
      ]);
    } else {
      const ev = found.events.get(m.id)!;
      await writeEvents(ctx, ev.calendarId, [
        {
          op: 'update',
          id: ev.id,
          ifMatch: ev.version,
          draft: {
            fields: { ...ev.fields, ...m.patch },
            crmTag: ev.crmTag ?? '',
            crmUrl: null,
            sendInvitations: false,
            priority: null,
            ...(ev.occurrence ? { occurrence: ev.occurrence } : {}),
          },
        },
      ]);
    }
  }
  const byCalendar = new Map<string, EventWrite[]>();
  const crmWrites: CrmWrite[] = [];
  for (const r of record.removals) {
    if (r.side === 'calendar') {
      const ev = found.events.get(r.id)!;
      const list = byCalendar.get(ev.calendarId) ?? [];
      list.push({ op: 'delete', id: ev.id, ifMatch: ev.version, sendCancellations: false });
      byCalendar.set(ev.calendarId, list);
    } else crmWrites.push({ op: 'archive', id: r.id });
  }
  for (const [calendarId, writes] of byCalendar) await writeEvents(ctx, calendarId, writes);
  if (crmWrites.length) await writeItems(ctx, crmWrites);
  record.appliedAt = ctx.now().toISOString();
  await ctx.store.saveCleanup(record);
  await ctx.store.addTrail(
    record.removals.map((r) => ({
      runId: record.id,
      at: record.appliedAt!,
      crmId: r.side === 'crm' ? r.id : null,
      eventId: r.side === 'calendar' ? r.id : null,
      action: r.side === 'crm' ? 'cleanup:archive' : 'cleanup:delete',
      reason: 'Duplicate removed by duplicate cleanup (undo possible for 7 days).',
      subject: subjectOf(r.snapshot),
    })),
  );
  // A cleanup that found nothing to remove changed nothing, so History has nothing to tell.
  if (record.removals.length > 0) {
    await recordHistoryAction(ctx.store, {
      id: record.id,
      kind: 'cleanup',
      at: record.appliedAt,
      crm: { archived: record.removals.filter((r) => r.side === 'crm').length },
      calendar: { deleted: record.removals.filter((r) => r.side === 'calendar').length },
    });
  }
  return record;
}

/** The removed copy's subject, from its snapshot (an event or a CRM item: both keep it in fields). */
function subjectOf(snapshot: unknown): string | null {
  if (typeof snapshot !== 'object' || snapshot === null || !('fields' in snapshot)) return null;
  const fields = (snapshot as { fields: unknown }).fields;
  if (typeof fields !== 'object' || fields === null || !('subject' in fields)) return null;
  const subject = (fields as { subject: unknown }).subject;
  return typeof subject === 'string' ? subject : null;
}

function isEvent(s: unknown): s is CalendarEvent {
  return typeof s === 'object' && s !== null && 'calendarId' in s && 'fields' in s;
}

export async function undoCleanup(ctx: EngineContext, cleanupId: string): Promise<CleanupRecord> {
  const now = ctx.now();
  const record = await ctx.store.getCleanup(cleanupId);
  if (!record) throw new ProviderError('not-found', `No duplicate cleanup ${cleanupId}`);
  if (record.undoneAt) throw new ProviderError('invalid', `Duplicate cleanup ${cleanupId} was already undone`);
  if (now.toISOString() > record.undoUntil) {
    throw new ProviderError('invalid', `Duplicate cleanup ${cleanupId} can no longer be undone (7 days passed)`);
  }
  const restored: CleanupRemoval[] = [];
  const byCalendar = new Map<string, EventWrite[]>();
  const unarchive: CrmWrite[] = [];
  for (const r of record.removals) {
    if (r.side === 'calendar' && isEvent(r.snapshot)) {
      const ev = r.snapshot;
      const list = byCalendar.get(ev.calendarId) ?? [];
      list.push({
        op: 'create',
        idempotencyKey: `undo-${record.id}-${ev.id}`,
        draft: {
          fields: ev.fields,
          crmTag: ev.crmTag ?? '',
          crmUrl: null,
          sendInvitations: false,
          priority: null,
          ...(ev.occurrence ? { occurrence: ev.occurrence } : {}),
        },
      });
      byCalendar.set(ev.calendarId, list);
    } else if (r.side === 'crm') unarchive.push({ op: 'unarchive', id: r.id });
    restored.push(r);
  }
  for (const [calendarId, writes] of byCalendar) await writeEvents(ctx, calendarId, writes);
  if (unarchive.length) await writeItems(ctx, unarchive);
  // Put the kept copies' fields back as they were before the merge.
  for (const raw of record.merges) {
    const m = raw as Merge;
    const keys = Object.keys(m.patch) as (keyof SyncedFields)[];
    if (keys.length === 0) continue;
    const before: Partial<SyncedFields> = {};
    for (const k of keys) (before as Record<string, unknown>)[k] = (m.before as unknown as Record<string, unknown>)[k];
    try {
      if (m.side === 'crm') await writeItems(ctx, [{ op: 'update', id: m.id, ifMatch: null, fields: before }]);
      else if (m.calendarId) {
        const draft = {
          fields: m.before as SyncedFields,
          crmTag: m.crmTag ?? '',
          crmUrl: null,
          sendInvitations: false,
          priority: null,
        };
        await writeEvents(ctx, m.calendarId, [{ op: 'update', id: m.id, ifMatch: null, draft }]);
      }
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
    }
  }
  record.undoneAt = now.toISOString();
  await ctx.store.saveCleanup(record);
  const undoId = `${record.id}:undo`;
  await ctx.store.addTrail(
    restored.map((r) => ({
      runId: undoId,
      at: record.undoneAt!,
      crmId: r.side === 'crm' ? r.id : null,
      eventId: r.side === 'calendar' ? r.id : null,
      action: r.side === 'crm' ? 'cleanup-undo:unarchive' : 'cleanup-undo:create',
      reason: 'Restored by undoing the duplicate cleanup.',
      subject: subjectOf(r.snapshot),
    })),
  );
  await recordHistoryAction(ctx.store, {
    id: undoId,
    kind: 'cleanup-undo',
    at: record.undoneAt,
    crm: { updated: restored.filter((r) => r.side === 'crm').length },
    calendar: { created: restored.filter((r) => r.side === 'calendar').length },
  });
  return record;
}

/**
 * Unlinked events (SPEC §5.1 "Unlinked items", calendar side): an event carrying our tag is linked to its CRM item
 * without a write; an untagged event in a source calendar, in scope, is linked to the CRM item of the same meeting
 * (iCalUId), or — only while re-pairing after a reset — to the one unlinked CRM item with the same subject, start
 * and end; else it is imported as a CRM activity. "Not again" notes and archived activities keep it out.
 */
import type { CalendarEvent, CrmItem } from '../model';
import type { CreateCrmOp, PairBase } from '../plan';
import { crmCanonical, crmInfoOf, eventCanonical, eventScope, fingerprint } from '../mapping';
import type { PlanContext } from './context';
import { planPair } from './pair';
import { activityForEvent, createKey, eventHash, linkId, PERMANENT } from './writes';

const ARCHIVED_NOT_AGAIN = 'Its CRM activity was archived: not imported again until the event changes.';

export function planUnlinkedEvents(ctx: PlanContext): void {
  const events: CalendarEvent[] = [];
  for (const c of ctx.input.events) events.push(...c.upserts);
  for (const e of ctx.input.taggedExtra) if (!ctx.evById.has(e.id)) events.push(e);
  // Tagged events first, so a CRM item is paired with its own mirror before anything else can claim it.
  const ordered = [...events.filter((e) => e.crmTag), ...events.filter((e) => !e.crmTag)];
  const fingerprints = ctx.input.meta.repairing ? unlinkedFingerprints(ctx) : null;
  for (const ev of ordered) {
    if (ctx.linkByEvent.has(ev.id) || ctx.handledEv.has(ev.id)) continue;
    ctx.handledEv.add(ev.id);
    if (ev.crmTag) planTaggedEvent(ctx, ev);
    else planUntaggedEvent(ctx, ev, fingerprints);
  }
}

function planUntaggedEvent(ctx: PlanContext, ev: CalendarEvent, fingerprints: Map<string, CrmItem[]> | null): void {
  const env = ctx.env;
  const skip = (reason: string, crmId: string | null = null): void =>
    ctx.skip({ side: 'crm', crmId, eventId: ev.id, subject: ev.fields.subject, reason });
  const scope = eventScope(ev, ctx.sources, false, env);
  if (!scope.in) {
    if (scope.code !== 'not-source') skip(scope.reason);
    return;
  }
  if (env.settings.direction === 'crm-to-calendar') return;
  if (ctx.tombstone('crm', ev.id)?.sourceHash === PERMANENT) {
    skip('Its CRM activity was deleted or turned off in the CRM: this occurrence is not imported again.');
    return;
  }
  // One activity per meeting: another CRM user (or an earlier import) already has this iCalUId.
  const shared = findByICalUId(ctx, ev.iCalUId);
  if (shared) {
    if (ctx.linkByCrm.has(shared.id) || ctx.handledCrm.has(shared.id)) {
      skip('Another event of yours is already linked to the CRM activity of this meeting.', shared.id);
      return;
    }
    matchPair(ctx, shared, ev, 'calendar', 'Same meeting (iCalUId) as an existing CRM activity.', true);
    return;
  }
  if (fingerprints) {
    const candidates = fingerprints.get(fingerprint(ev.fields.subject, ev.fields.timing)) ?? [];
    const free = candidates.filter((c) => !ctx.handledCrm.has(c.id));
    if (free.length === 1) {
      const item = free[0]!;
      matchPair(ctx, item, ev, item.origin, 'Re-paired after a reset (same subject, start and end).');
      return;
    }
  }
  const hash = eventHash(eventCanonical(ev, env), ev.cancelled);
  const tomb = ctx.tombstone('crm', ev.id);
  const archived = archivedOnly(ctx, ev.iCalUId);
  // Changed in the calendar after its activity was archived (clocks of two systems: good enough to tell "the
  // meeting moved on since" from "the user archived it and nothing happened").
  const changedSinceArchive =
    archived.length > 0 && archived.every((i) => Date.parse(ev.modifiedAt) > Date.parse(i.modifiedAt));
  if (archived.length > 0 && (ctx.input.meta.repairing || (!tomb && !changedSinceArchive))) {
    // The user archived this meeting's activity while it was not linked (after a reset, or after the event had
    // left scope). Importing it again would bring it back as a second activity; remember it as one-way sync
    // would (not again until the event changes).
    ctx.newTombstones.push({ side: 'crm', sourceId: ev.id, sourceHash: hash, createdAt: env.now.toISOString() });
    skip(ARCHIVED_NOT_AGAIN);
    return;
  }
  if (tomb && tomb.sourceHash === hash) {
    skip(
      archived.length > 0
        ? ARCHIVED_NOT_AGAIN
        : 'Its CRM activity was deleted in the CRM (one-way sync): not imported again until the event changes.',
    );
    return;
  }
  // A re-import after an archive does not reuse the first import's idempotency key (importSource).
  planImport(ctx, ev, hash);
}

function unlinkedFingerprints(ctx: PlanContext): Map<string, CrmItem[]> {
  const map = new Map<string, CrmItem[]>();
  for (const item of ctx.input.crm.upserts) {
    if (item.archived || item.syncToCalendar === false || ctx.linkByCrm.has(item.id) || !item.fields.timing) continue;
    const canon = crmCanonical(item, ctx.env);
    if (!canon) continue;
    const fp = fingerprint(canon.subject, canon.timing);
    const list = map.get(fp) ?? [];
    list.push(item);
    map.set(fp, list);
  }
  return map;
}

/** The meeting's activities when every one of them is archived (else none). */
function archivedOnly(ctx: PlanContext, iCalUId: string): CrmItem[] {
  const byId = new Map<string, CrmItem>();
  for (const i of [...ctx.input.crm.upserts, ...ctx.input.sharedItems]) if (i.iCalUId === iCalUId) byId.set(i.id, i);
  const all = [...byId.values()];
  return all.length > 0 && all.every((i) => i.archived) ? all : [];
}

function findByICalUId(ctx: PlanContext, iCalUId: string): CrmItem | undefined {
  let found: CrmItem | undefined;
  for (const i of ctx.input.crm.upserts) if (i.iCalUId === iCalUId && !i.archived) found ??= i;
  if (found) return found;
  for (const i of ctx.input.sharedItems) {
    if (i.iCalUId === iCalUId && !i.archived && !ctx.crmRemoved.has(i.id)) return i;
  }
  return undefined;
}

function planTaggedEvent(ctx: PlanContext, ev: CalendarEvent): void {
  const tag = ev.crmTag!;
  const item = ctx.crmById.get(tag);
  const skip = (reason: string): void =>
    ctx.skip({ side: 'calendar', crmId: tag, eventId: ev.id, subject: ev.fields.subject, reason });
  // A linked item missing from the listing is unchanged, not gone: this event is then a second one.
  const linked = ctx.linkByCrm.has(tag) || ctx.handledCrm.has(tag);
  if (item?.archived || (!item && !linked)) {
    skip('Connector event for a CRM item that is gone or not visible: left in place.');
    return;
  }
  if (linked || !item) {
    skip('A second event carries this CRM item’s tag: run duplicate cleanup.');
    return;
  }
  matchPair(ctx, item, ev, 'crm', 'The event carries this CRM item’s tag.');
}

/** Links a CRM item and an event found to belong together; the origin side's values win where they differ. */
function matchPair(
  ctx: PlanContext,
  item: CrmItem,
  ev: CalendarEvent,
  origin: 'crm' | 'calendar',
  reason: string,
  shared = false,
): void {
  const env = ctx.env;
  // Another CRM user's activity for this meeting: this user's copy is only linked to it (add-owner), not
  // merged into it. Each user sees the attendees without themself, so "the event wins" would rewrite the
  // shared activity from one attendee's point of view (and the organiser's connector would mail the change).
  const adopt = shared && !item.ownerEmails.some((o) => o.toLowerCase() === env.userEmail.toLowerCase());
  const crmCur = crmCanonical(item, env);
  ctx.handledCrm.add(item.id);
  ctx.handledEv.add(ev.id);
  if (!crmCur) return;
  const evCur = eventCanonical(ev, env);
  const base: PairBase = {
    id: linkId(item.id, ev.id),
    crmId: item.id,
    eventId: ev.id,
    calendarId: ev.calendarId,
    iCalUId: ev.iCalUId,
    origin,
    old: null,
  };
  const info = crmInfoOf(item);
  planPair(ctx, base, {
    crm: {
      current: crmCur,
      version: item.version,
      info,
      modifiedAt: item.modifiedAt,
      links: item.links,
      iCalUId: item.iCalUId,
      owners: env.settings.direction === 'crm-to-calendar' ? null : item.ownerEmails,
      previous: origin === 'crm' && !adopt ? null : { fields: crmCur, info },
    },
    event: {
      current: evCur,
      version: ev.version,
      modifiedAt: ev.modifiedAt,
      isOrganizer: ev.isOrganizer,
      writesNotify: ev.writesNotifyAttendees === true,
      occurrence: ev.occurrence,
      previous: origin === 'calendar' && !adopt ? null : evCur,
    },
    reason,
  });
}

/**
 * What an import's idempotency key is derived from. A meeting whose activity was archived (cancelled, then
 * restored — or an occurrence a shortened series gave back) is imported afresh: its key must not be the one
 * that created the archived activity, or the CRM would hand that one back.
 */
function importSource(ctx: PlanContext, ev: CalendarEvent): string {
  const base = ev.iCalUId + (ev.occurrence ? `|${ev.occurrence.originalStart}` : '');
  const archived = [...ctx.input.crm.upserts, ...ctx.input.sharedItems]
    .filter((i) => i.iCalUId === ev.iCalUId && i.archived)
    .map((i) => i.id)
    .sort();
  return archived.length > 0 ? `${base}|after:${[...new Set(archived)].join(',')}` : base;
}

const IMPORT_REASON = 'New event in a source calendar: imported as a CRM activity.';

function planImport(ctx: PlanContext, ev: CalendarEvent, hash: string): void {
  const env = ctx.env;
  let occurrence: CreateCrmOp['draft']['occurrence'];
  if (ev.occurrence) {
    const series = ctx.linkByEvent.get(ev.occurrence.seriesId);
    if (!series) {
      ctx.deferred += 1;
      ctx.skip({
        side: 'crm',
        crmId: null,
        eventId: ev.id,
        subject: ev.fields.subject,
        reason: 'Modified occurrence of a series that is not synced yet: it follows the series.',
      });
      return;
    }
    occurrence = { seriesId: series.crmId, originalStart: ev.occurrence.originalStart };
  }
  const evCur = eventCanonical(ev, env);
  const { draft, unknownEmails } = activityForEvent(ev, evCur, occurrence, env, (a) => ctx.matchPeople(a));
  ctx.ops.push({
    kind: 'create-crm',
    event: ev,
    eventCurrent: evCur,
    key: createKey('crm', env.userEmail, importSource(ctx, ev), hash),
    draft,
    unknownEmails,
    summaries: [
      {
        side: 'crm',
        action: 'create',
        crmId: null,
        eventId: ev.id,
        subject: draft.fields.subject,
        reason: IMPORT_REASON,
        sendsInvitation: false,
      },
    ],
    reason: IMPORT_REASON,
  });
}

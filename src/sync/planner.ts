/**
 * The planner: a pure function from (changes on both sides, status, effective settings) to a plan (SPEC §5, §5.1).
 * It performs no I/O and reads no clock: everything it needs is in PlanInput, so every rule is unit-testable.
 */
import type { ActivityType, CalendarEvent, CrmItem, PersonMatch, SyncedFieldName, SyncedFields } from './model';
import { syncedFieldNames } from './model';
import type { CrmWrite, EventWrite, ListingSkip } from './ports';
import {
  PERMANENT_TOMBSTONE,
  type LinkRecord,
  type LinkedCrmInfo,
  type SyncMeta,
  type Tombstone,
} from './status-store';
import type {
  CreateCrmOp,
  CreateEventOp,
  CrmBornEvent,
  PairBase,
  PairOp,
  Plan,
  PlanOp,
  PlannedActionSummary,
  PlannedConflict,
  SyncCalendars,
  UnlinkOp,
} from './plan';
import { contentHash, crmSubject, fieldKey, hashString } from './canonical';
import { isOccurrenceEventId } from './occurrences';
import { indexLinks, type LinkIndex } from './link-index';
import {
  crmCanonical,
  crmHash,
  crmInfoOf,
  crmScope,
  crmValueFromEvent,
  crmView,
  eventCanonical,
  eventScope,
  eventView,
  fieldRules,
  fingerprint,
  isBusy,
  isPast,
  type EngineEnv,
} from './mapping';

export interface PlanInput {
  env: EngineEnv;
  calendars: SyncCalendars;
  meta: SyncMeta;
  links: LinkRecord[];
  /** `links` indexed, when the caller has built it already (indexLinks). */
  linkIndex?: LinkIndex;
  tombstones: Tombstone[];
  crm: Listing<CrmItem>;
  events: (Listing<CalendarEvent> & { calendarId: string })[];
  /** Tagged events found by lookup (pending write intents), beyond the listings. */
  taggedExtra: CalendarEvent[];
  /** CRM items found by iCalUId (this user's or another CRM user's: one activity per meeting). */
  sharedItems: CrmItem[];
  /** Contacts / leads for attendee e-mails. */
  people: PersonMatch[];
  /** Settings changed since the last run: every pair is re-derived from its origin side. */
  resync: boolean;
}

/** One side's listing as planned: what changed, what was removed, and what was listed but dropped as unchanged. */
export interface Listing<T> {
  upserts: T[];
  removedIds: string[];
  full: boolean;
  /**
   * Ids listed exactly as last synced and left out of `upserts` while listing (crmItemUnchanged /
   * eventUnchanged): present, unlike an id a complete listing leaves out.
   */
  unchanged?: ReadonlySet<string>;
  /** Items listed but unreadable (ChangeSet.skipped): present, left alone, each an item-level skip. */
  skipped?: readonly ListingSkip[];
}

/** Tombstone hash that matches every version of the source item. */
export const PERMANENT = PERMANENT_TOMBSTONE;

const FALLBACK_INFO: LinkedCrmInfo = { type: 'meeting', completed: false, priority: null, url: null };

export function linkId(crmId: string, eventId: string): string {
  return `${crmId}\u0001${eventId}`;
}

/** Deterministic idempotency key: retries and re-runs after a crash reuse it, a changed source gets a new one. */
export function createKey(side: 'crm' | 'calendar', userEmail: string, sourceId: string, sourceHash: string): string {
  return `ccc-${side === 'calendar' ? 'e' : 'c'}-${hashString(`${userEmail.toLowerCase()}|${sourceId}`)}-${sourceHash}`;
}

export function eventHash(f: SyncedFields, cancelled: boolean): string {
  return hashString(`${contentHash(f)}|${cancelled ? 1 : 0}`);
}

/** Invitations may be e-mailed by this run (SPEC §5 invitations; silent while re-pairing after a reset). */
export function invitationsActive(env: EngineEnv, meta: SyncMeta): boolean {
  if (meta.repairing) return false;
  const mode = env.settings.invitations;
  return mode === 'always' || (mode === 'after-first-sync' && meta.firstSyncDone);
}

/**
 * The event's iCalUId may be written to a CRM item of this type (one activity per meeting across CRM users):
 * the CRM stores it for the type, and the CRM is not the untouchable source of one-way CRM → calendar.
 */
export function writesICalUId(env: EngineEnv, type: ActivityType): boolean {
  return env.settings.direction !== 'crm-to-calendar' && (env.crmCaps.iCalUIdTypes ?? env.crmCaps.types).includes(type);
}

/**
 * A CRM-born pair owes its event's iCalUId to the CRM item: the item has none, or its event was just created (the
 * link's note: a value the item still carries then belongs to an earlier mirror). A different value found later
 * is left alone: a colleague's mirror of the same activity wrote it, and overwriting it on every run would
 * flip-flop between the users. `crmICalUId` undefined = the item is not in this listing: the note decides.
 */
function owesICalUId(
  env: EngineEnv,
  link: Pick<LinkRecord, 'origin' | 'iCalUId' | 'iCalUIdOwed'>,
  type: () => ActivityType,
  crmICalUId: string | null | undefined,
): boolean {
  if (link.origin !== 'crm' || !link.iCalUId) return false;
  const owed =
    crmICalUId === undefined
      ? link.iCalUIdOwed === true
      : crmICalUId !== link.iCalUId && (crmICalUId === null || link.iCalUIdOwed === true);
  // The type last: on an unchanged link it is the one thing that costs (the store parses it on demand).
  return owed && writesICalUId(env, type());
}

/**
 * The listed CRM item is the one last synced into this link and nothing about it is owed: the pair needs nothing
 * from it that the link does not hold. Such items are dropped while listing (ListingFilter); planLink then treats
 * them as an incremental listing treats an item it does not mention.
 */
export function crmItemUnchanged(env: EngineEnv, link: LinkRecord, item: CrmItem): boolean {
  return item.version === link.crmVersion && settled(link) && !owesICalUId(env, link, () => item.type, item.iCalUId);
}

/** The listed event is the one last synced into this link (see crmItemUnchanged). */
export function eventUnchanged(link: LinkRecord, ev: CalendarEvent): boolean {
  return ev.version === link.eventVersion && settled(link);
}

/** Nothing is pending on the link itself: both sides were synced, no write held back or owed. */
function settled(link: LinkRecord): boolean {
  return (
    link.crmHash !== '' && link.eventHash !== '' && !link.heldPush && !link.heldDelete && link.iCalUIdOwed !== true
  );
}

/** A complete listing that found nothing at all (not even items it left out as unchanged). */
function listedNothing(l: Listing<unknown>): boolean {
  return l.full && l.upserts.length === 0 && (l.unchanged?.size ?? 0) === 0 && (l.skipped?.length ?? 0) === 0;
}

/**
 * The event a CRM item without one gets, and the CRM side its link records. Pure, so the applier derives it again
 * when the op's batch is written instead of the plan holding it for every item.
 */
export function crmBornEvent(
  op: Pick<CreateEventOp, 'item' | 'sendsInvitation' | 'occurrence'>,
  env: EngineEnv,
): CrmBornEvent {
  const item = op.item;
  // Only items with a timing are planned as creates (a task without a due date is out of scope).
  const crmCurrent = crmCanonical(item, env)!;
  const crmInfo = crmInfoOf(item);
  const hash = crmHash(crmCurrent, crmInfo);
  const busy = isBusy(crmCurrent.visibility === 'private', env);
  const view = crmView(crmCurrent, crmInfo, env, busy);
  // A calendar without recurrence gets the first occurrence only; the pane explains why. (A copy: the view may be
  // the CRM values themselves, which the link records as they are.)
  const fields = env.calCaps.recurrence ? view : { ...view, recurrence: null };
  return {
    key: createKey('calendar', env.userEmail, item.id, hash),
    crmHash: hash,
    draft: {
      fields,
      crmTag: item.id,
      crmUrl: item.url,
      sendInvitations: op.sendsInvitation,
      priority: item.priority ?? null,
      ...(op.occurrence ? { occurrence: op.occurrence } : {}),
    },
    crmCurrent,
    crmInfo,
  };
}

export function plan(input: PlanInput): Plan {
  return new Planner(input).run();
}

class Planner {
  private readonly env: EngineEnv;
  private readonly ops: PlanOp[] = [];
  private readonly skips: PlannedActionSummary[] = [];
  private invitations = 0;
  private conflicts = 0;
  private deferred = 0;
  private readonly forget: { side: 'crm' | 'calendar'; sourceId: string }[] = [];
  private readonly newTombstones: Tombstone[] = [];
  private readonly deletions = { crm: 0, calendar: 0 };

  private readonly crmById = new Map<string, CrmItem>();
  private readonly crmRemoved: Set<string>;
  private readonly evById = new Map<string, CalendarEvent>();
  private readonly evRemoved = new Set<string>();
  /** Events listed but unreadable: their pairs are left alone (neither written to nor taken for deleted). */
  private readonly evSkipped = new Set<string>();
  private readonly crmUnchanged: ReadonlySet<string>;
  private readonly evUnchanged = new Map<string, ReadonlySet<string>>();
  private readonly calFull = new Map<string, boolean>();
  private readonly linkByCrm: ReadonlyMap<string, LinkRecord>;
  private readonly linkByEvent: ReadonlyMap<string, LinkRecord>;
  private readonly handledCrm = new Set<string>();
  private readonly handledEv = new Set<string>();
  private readonly tombstones = new Map<string, Tombstone>();
  private readonly people = new Map<string, PersonMatch>();
  private readonly sources: ReadonlySet<string>;
  private readonly invites: boolean;

  constructor(private readonly input: PlanInput) {
    this.env = input.env;
    for (const i of input.crm.upserts) this.crmById.set(i.id, i);
    this.crmRemoved = new Set(input.crm.removedIds);
    this.crmUnchanged = input.crm.unchanged ?? new Set();
    for (const c of input.events) {
      this.calFull.set(c.calendarId, c.full);
      if (c.unchanged) this.evUnchanged.set(c.calendarId, c.unchanged);
      for (const e of c.upserts) this.evById.set(e.id, e);
      for (const id of c.removedIds) this.evRemoved.add(id);
      for (const sk of c.skipped ?? []) this.evSkipped.add(sk.id);
    }
    const index = input.linkIndex ?? indexLinks(input.links);
    this.linkByCrm = index.byCrm;
    this.linkByEvent = index.byEvent;
    for (const c of input.events) {
      for (const sk of c.skipped ?? []) {
        const link = this.linkByEvent.get(sk.id);
        const subject = link?.eventFields.subject ?? '';
        this.skip({ side: 'crm', crmId: link?.crmId ?? null, eventId: sk.id, subject, reason: sk.reason });
      }
    }
    for (const t of input.tombstones) this.tombstones.set(`${t.side}\u0000${t.sourceId}`, t);
    for (const p of input.people) this.people.set(p.email.toLowerCase(), p);
    this.sources = new Set(input.calendars.sourceCalendarIds);
    this.invites = invitationsActive(this.env, input.meta);
  }

  run(): Plan {
    const direction = this.env.settings.direction;
    for (const link of this.input.links) this.planLink(link);
    this.planUnlinkedEvents();
    if (direction !== 'calendar-to-crm') this.planUnlinkedCrmItems();
    else for (const item of this.input.crm.upserts) this.handledCrm.add(item.id);
    return {
      ops: this.ops,
      skips: this.skips,
      invitations: this.invitations,
      conflicts: this.conflicts,
      deletions: this.deletions,
      linked: this.input.links.length,
      emptySides: this.emptySides(),
      deferred: this.deferred,
      forgetTombstones: this.forget,
      newTombstones: this.newTombstones,
    };
  }

  private emptySides(): ('crm' | 'calendar')[] {
    const out: ('crm' | 'calendar')[] = [];
    // Only an empty complete listing needs the live links; reading every link's fields is not free at 100k.
    const crmEmpty = listedNothing(this.input.crm);
    if (!crmEmpty && !this.input.events.some(listedNothing)) return out;
    const live = this.input.links.filter((l) => !isPast({ timing: l.eventFields.timing, recurrence: null }, this.env));
    if (crmEmpty && live.length > 0) out.push('crm');
    for (const c of this.input.events) {
      if (listedNothing(c) && live.some((l) => l.calendarId === c.calendarId)) {
        out.push('calendar');
        break;
      }
    }
    return out;
  }

  private skip(s: Omit<PlannedActionSummary, 'action' | 'sendsInvitation'>): void {
    this.skips.push({ ...s, action: 'skip', sendsInvitation: false });
  }

  // ---------------------------------------------------------------- linked pairs

  private planLink(link: LinkRecord): void {
    if (!this.calFull.has(link.calendarId)) return; // calendar no longer synced: leave the pair alone
    const item = this.crmById.get(link.crmId);
    const ev = this.evById.get(link.eventId);
    this.handledCrm.add(link.crmId);
    this.handledEv.add(link.eventId);
    // The event is there but unreadable (skipped with its reason): its pair waits until it can be read again.
    if (!ev && this.evSkipped.has(link.eventId) && !this.evRemoved.has(link.eventId)) return;
    let crmGone = this.crmRemoved.has(link.crmId);
    let evGone = this.evRemoved.has(link.eventId);
    if (!item && !crmGone && this.input.crm.full && !this.crmUnchanged.has(link.crmId)) {
      // Absent from a complete listing: deleted, unless it only left the past window (then left alone).
      if (isPast({ timing: link.crmFields.timing, recurrence: link.crmFields.recurrence }, this.env)) return;
      crmGone = true;
    }
    if (
      !ev &&
      !evGone &&
      this.calFull.get(link.calendarId) &&
      !this.evUnchanged.get(link.calendarId)?.has(link.eventId)
    ) {
      if (isPast(link.eventFields, this.env)) return;
      evGone = true;
    }
    // Same version as last synced ⇒ unchanged (a new version may still be no change: that is checked by hash).
    const crmSame = !item || item.version === link.crmVersion;
    const evSame = !ev || ev.version === link.eventVersion;
    if (
      crmSame &&
      evSame &&
      !crmGone &&
      !evGone &&
      !this.input.resync &&
      link.crmHash !== '' &&
      link.eventHash !== '' &&
      !(this.invites && (link.heldPush || link.heldDelete)) &&
      !owesICalUId(this.env, link, () => item?.type ?? link.crmInfo?.type ?? 'meeting', item ? item.iCalUId : undefined)
    ) {
      return;
    }
    this.evaluateLink(link, item, crmGone, ev, evGone);
  }

  private evaluateLink(
    link: LinkRecord,
    item: CrmItem | undefined,
    crmDeleted: boolean,
    ev: CalendarEvent | undefined,
    evDeleted: boolean,
  ): void {
    const env = this.env;
    const direction = env.settings.direction;
    const subject = item?.fields.subject ?? link.crmFields.subject;
    const crmCur = item ? crmCanonical(item, env) : link.crmFields;
    let crmState: 'present' | 'gone' | 'flag-off' | 'left' = crmDeleted ? 'gone' : 'present';
    let crmReason = crmDeleted ? 'The CRM item was deleted.' : '';
    if (link.heldDelete && !item && !crmDeleted) {
      // The event's deletion is owed and the CRM item has not changed since (or is gone): it still wants none.
      crmState = 'gone';
      crmReason = 'The CRM item no longer has a calendar event (deleted, archived, out of scope or flag off).';
    }
    if (item && !crmDeleted) {
      const scope = crmScope(item, true, env);
      // An imported pair's scope is the event's (below); from the CRM side only archive / flag off count.
      const counts = link.origin === 'crm' || scope.in || scope.code === 'archived' || scope.code === 'flag-off';
      if (!scope.in && counts) {
        crmState = scope.code === 'archived' ? 'gone' : scope.code === 'flag-off' ? 'flag-off' : 'left';
        crmReason = scope.reason;
      }
    }
    if (!crmCur && crmState === 'present') {
      crmState = 'left';
      crmReason = 'Tasks without a due date never sync.';
    }
    let evState: 'present' | 'deleted' | 'cancelled' | 'left' = evDeleted ? 'deleted' : 'present';
    let evReason = evDeleted ? 'The event was deleted in the calendar.' : '';
    if (ev && !evDeleted) {
      if (ev.cancelled) {
        evState = 'cancelled';
        evReason = 'The event was cancelled.';
      } else if (link.origin === 'calendar') {
        const scope = eventScope(ev, this.sources, true, env);
        if (!scope.in) {
          evState = 'left';
          evReason = scope.reason;
        }
      }
    }

    // An occurrence's id can come back (a shortened series extended again): one whose activity the user deleted or
    // turned off stays out, whatever became of the occurrence meanwhile. (Not an archived one: the connector itself
    // archives the activity of an occurrence that left, and a crash before its link was updated looks the same.)
    const keepOut: Tombstone | null =
      isOccurrenceEventId(link.eventId) && (crmDeleted || crmState === 'flag-off')
        ? { side: 'crm', sourceId: link.eventId, sourceHash: PERMANENT, createdAt: env.now.toISOString() }
        : null;
    const unlink = (
      reason: string,
      opts: {
        deleteEvent?: boolean;
        cancelled?: boolean;
        crm?: 'archive' | 'flag-off' | null;
        tombstone?: Tombstone | null;
      } = {},
    ): void => this.unlink(link, subject, reason, { tombstone: keepOut, ...opts });

    // Our own mirror, cancelled in the calendar, of a CRM item that still exists (flag off, archived, out of scope):
    // it is removed with the link. Left in place it would keep the item's tag, and the item's next event (flag on
    // again, back in scope) would be a second event carrying it (SPEC §10.3). No mail: it is cancelled already.
    const staleMirror = evState === 'cancelled' && link.origin === 'crm' && item !== undefined && !crmDeleted;
    if (direction === 'two-way') {
      if (crmState === 'gone' || crmState === 'flag-off') {
        if (staleMirror) return unlink(`${crmReason} ${evReason}`, { deleteEvent: true, cancelled: true });
        if (evState === 'deleted' || evState === 'cancelled') return unlink(`${crmReason} ${evReason}`);
        return unlink(crmReason, { deleteEvent: true });
      }
      if (crmState === 'left') {
        if (staleMirror) return unlink(`${crmReason} ${evReason}`, { deleteEvent: true, cancelled: true });
        if (evState === 'deleted' || evState === 'cancelled' || link.origin === 'calendar') return unlink(crmReason);
        return unlink(crmReason, { deleteEvent: true });
      }
      if (evState === 'deleted') {
        return unlink(evReason, { crm: link.origin === 'crm' ? 'flag-off' : 'archive' });
      }
      if (evState === 'cancelled') return unlink(evReason, { crm: 'archive' });
      if (evState === 'left') return unlink(evReason, { tombstone: this.keepImportHome(link, item) });
    } else if (direction === 'crm-to-calendar') {
      if (crmState === 'gone' || crmState === 'flag-off') {
        return unlink(crmReason, { deleteEvent: evState !== 'deleted' });
      }
      if (crmState === 'left') {
        return unlink(crmReason, { deleteEvent: evState !== 'deleted' && link.origin === 'crm' });
      }
      if (evState === 'deleted') {
        const hash = item && crmCur ? crmHash(crmCur, crmInfoOf(item)) : link.crmHash;
        return unlink(`${evReason} One-way sync: it is not re-created until the CRM item changes.`, {
          tombstone: { side: 'calendar', sourceId: link.crmId, sourceHash: hash, createdAt: env.now.toISOString() },
        });
      }
    } else {
      if (evState === 'deleted') {
        if (crmState === 'gone') return unlink(`${crmReason} ${evReason}`);
        return unlink(evReason, { crm: link.origin === 'crm' ? 'flag-off' : 'archive' });
      }
      if (evState === 'cancelled') {
        return unlink(evReason, { crm: crmState === 'gone' ? null : 'archive' });
      }
      if (evState === 'left') return unlink(evReason, { tombstone: this.keepImportHome(link, item) });
      if (crmState === 'gone') {
        const hash = ev ? eventHash(eventCanonical(ev, env), ev.cancelled) : link.eventHash;
        return unlink(`${crmReason} One-way sync: it is not re-imported until the event changes.`, {
          tombstone: { side: 'crm', sourceId: link.eventId, sourceHash: hash, createdAt: env.now.toISOString() },
        });
      }
    }
    if (!crmCur) return;
    const base: PairBase = {
      id: link.id,
      crmId: link.crmId,
      eventId: link.eventId,
      calendarId: link.calendarId,
      iCalUId: link.iCalUId,
      origin: link.origin,
      old: link,
    };
    this.merge(base, {
      crmCur,
      crmVersion: item?.version ?? link.crmVersion,
      info: item ? crmInfoOf(item) : (link.crmInfo ?? FALLBACK_INFO),
      crmModifiedAt: item?.modifiedAt ?? null,
      crmLinks: item?.links ?? null,
      crmICalUId: item ? item.iCalUId : undefined,
      ownerEmails: null,
      evCur: ev ? eventCanonical(ev, env) : link.eventFields,
      evVersion: ev?.version ?? link.eventVersion,
      evModifiedAt: ev?.modifiedAt ?? null,
      isOrganizer: ev?.isOrganizer ?? link.eventIsOrganizer ?? link.origin === 'crm',
      writesNotify: this.writesNotify(link),
      occurrence: ev?.occurrence,
      crmPrev:
        link.crmHash === '' || (this.input.resync && link.origin === 'crm')
          ? null
          : { fields: link.crmFields, info: link.crmInfo ?? FALLBACK_INFO, shown: link.heldPush?.shown },
      evPrev: link.eventHash === '' || (this.input.resync && link.origin === 'calendar') ? null : link.eventFields,
      reason: '',
    });
  }

  /** Any write to the pair's event would e-mail its attendees (as the event is now, else as last seen). */
  private writesNotify(link: LinkRecord): boolean {
    const ev = this.evById.get(link.eventId);
    return ev ? ev.writesNotifyAttendees === true : link.eventWritesNotify === true;
  }

  /**
   * An imported activity whose event left scope is unlinked only; its meeting is still in the calendar, so the
   * activity must not come back as a second event (not until it changes).
   */
  private keepImportHome(link: LinkRecord, item: CrmItem | undefined): Tombstone {
    const cur = item ? crmCanonical(item, this.env) : link.crmFields;
    const info = item ? crmInfoOf(item) : (link.crmInfo ?? FALLBACK_INFO);
    return {
      side: 'calendar',
      sourceId: link.crmId,
      sourceHash: cur ? crmHash(cur, info) : link.crmHash,
      createdAt: this.env.now.toISOString(),
    };
  }

  private unlink(
    link: LinkRecord,
    subject: string,
    reason: string,
    opts: {
      deleteEvent?: boolean;
      /** The event is cancelled already: deleting it tells nobody anything new. */
      cancelled?: boolean;
      crm?: 'archive' | 'flag-off' | null;
      tombstone?: Tombstone | null;
    },
  ): void {
    const env = this.env;
    if (opts.deleteEvent && isOccurrenceEventId(link.eventId)) {
      // One occurrence of a series (CRM without recurrence): the connector never cancels a single meeting of a
      // series on its own — that would e-mail the organiser or attendees. The occurrence stays in the calendar
      // and is not imported again.
      opts = {
        ...opts,
        deleteEvent: false,
        tombstone: { side: 'crm', sourceId: link.eventId, sourceHash: PERMANENT, createdAt: env.now.toISOString() },
      };
      reason = `${reason} The occurrence stays in the calendar (the connector does not cancel one meeting of a series) and is not imported again.`;
    }
    const summaries: PlannedActionSummary[] = [];
    let eventWrite: EventWrite | null = null;
    let crmWrite: CrmWrite | null = null;
    let tombstone = opts.tombstone ?? null;
    let sends = false;
    const base = { crmId: link.crmId, eventId: link.eventId, subject };
    // Deleting a cancelled event tells nobody anything new, unless the calendar mails on any write to it anyway.
    const quiet = opts.cancelled === true && !this.writesNotify(link);
    if (opts.deleteEvent && !quiet && !this.invites && this.writesNotify(link)) {
      // Deleting it would e-mail cancellations while invitations are off (SPEC §5): the deletion is owed instead.
      // The link stays, marked, so nothing re-plans it until invitations are active or either side changes again.
      if (link.heldDelete) return;
      const why = `${reason.trim()} Deleting this meeting in the calendar would e-mail its attendees; invitations are off: it is left in place and deleted once invitations are on.`;
      this.skip({ ...base, side: 'calendar', reason: why });
      this.ops.push({
        kind: 'unlink',
        link,
        crmWrite: null,
        eventWrite: null,
        tombstone: null,
        deletes: { crm: false, calendar: false },
        summaries: [],
        reason: why,
        sendsInvitation: false,
        keepLink: { ...link, heldDelete: true, eventWritesNotify: true },
      });
      return;
    }
    if (opts.deleteEvent) {
      // The event as it is now when listed: attendees the user added in the calendar since are cancelled too.
      const now = this.evById.get(link.eventId);
      const organizer = now?.isOrganizer ?? link.eventIsOrganizer ?? link.origin === 'crm';
      const attendees = (now?.fields ?? link.eventFields).attendees.length;
      sends = this.invites && !quiet && ((organizer && attendees > 0) || this.writesNotify(link));
      eventWrite = { op: 'delete', id: link.eventId, ifMatch: null, sendCancellations: sends };
      if (sends) this.invitations += 1;
      this.deletions.calendar += 1;
      summaries.push({ ...base, side: 'calendar', action: 'delete', reason, sendsInvitation: sends });
    }
    if (opts.crm === 'archive' && env.crmCaps.archive) {
      crmWrite = { op: 'archive', id: link.crmId };
      this.deletions.crm += 1;
      summaries.push({ ...base, side: 'crm', action: 'archive', reason, sendsInvitation: false });
    } else if (opts.crm === 'flag-off' && env.crmCaps.syncFlagField) {
      crmWrite = { op: 'set-sync-flag', id: link.crmId, value: false };
      this.deletions.crm += 1;
      summaries.push({ ...base, side: 'crm', action: 'set-sync-flag', reason, sendsInvitation: false });
    } else if (opts.crm) {
      // The CRM cannot archive / has no flag field: remember in our own store that this item must not come back
      // (permanently, as an archive or a flag turned off would be).
      tombstone = { side: 'calendar', sourceId: link.crmId, sourceHash: PERMANENT, createdAt: env.now.toISOString() };
    }
    summaries.push({ ...base, side: 'calendar', action: 'unlink', reason, sendsInvitation: false });
    const op: UnlinkOp = {
      kind: 'unlink',
      link,
      crmWrite,
      eventWrite,
      tombstone,
      deletes: { crm: crmWrite !== null, calendar: eventWrite !== null },
      summaries,
      reason: reason.trim(),
      sendsInvitation: sends,
    };
    this.ops.push(op);
  }

  // ---------------------------------------------------------------- merge of one pair (SPEC §5.1)

  private merge(
    base: PairBase,
    s: {
      crmCur: SyncedFields;
      crmVersion: string;
      info: LinkedCrmInfo;
      crmModifiedAt: string | null;
      crmLinks: CrmItem['links'] | null;
      /** The CRM item's iCalUId tag; undefined when the item is not in this listing. */
      crmICalUId: string | null | undefined;
      ownerEmails: string[] | null;
      evCur: SyncedFields;
      evVersion: string;
      evModifiedAt: string | null;
      isOrganizer: boolean;
      /** Any write to the event e-mails its attendees (CalendarEvent.writesNotifyAttendees). */
      writesNotify: boolean;
      occurrence: CalendarEvent['occurrence'];
      /** null: treat the whole side as changed. */
      /** shown: fields owed to the event (held back), as the event still shows them: compared instead. */
      crmPrev: { fields: SyncedFields; info: LinkedCrmInfo; shown?: Partial<SyncedFields> | undefined } | null;
      evPrev: SyncedFields | null;
      reason: string;
    },
  ): void {
    const env = this.env;
    const direction = env.settings.direction;
    const busy = isBusy((base.origin === 'crm' ? s.crmCur.visibility : s.evCur.visibility) === 'private', env);
    const rules = fieldRules(env, s.info, s.isOrganizer, busy, base.origin);
    // Only the origin side is seen as a busy block; the mirror is compared as it is, so it becomes one.
    const crmBusy = busy && base.origin === 'crm';
    const evBusy = busy && base.origin === 'calendar';
    const crmV = crmView(s.crmCur, s.info, env, crmBusy);
    const crmPrevV = s.crmPrev
      ? { ...crmView(s.crmPrev.fields, s.crmPrev.info, env, crmBusy), ...(s.crmPrev.shown ?? {}) }
      : null;
    const evV = eventView(s.evCur, evBusy);
    const evPrevV = s.evPrev ? eventView(s.evPrev, evBusy) : null;
    const crmChangedAny =
      crmPrevV === null ||
      syncedFieldNames.some((f) => rules.push.has(f) && fieldKey(f, crmV) !== fieldKey(f, crmPrevV));
    const evChangedAny =
      evPrevV === null || syncedFieldNames.some((f) => rules.pull.has(f) && fieldKey(f, evV) !== fieldKey(f, evPrevV));

    const push: SyncedFieldName[] = [];
    const pull: SyncedFieldName[] = [];
    const conflicts: PlannedConflict[] = [];
    for (const f of syncedFieldNames) {
      const inPush = rules.push.has(f);
      const inPull = rules.pull.has(f);
      if (!inPush && !inPull) continue;
      if (fieldKey(f, crmV) === fieldKey(f, evV)) continue;
      if (direction === 'crm-to-calendar') {
        if (crmChangedAny && inPush) push.push(f);
        continue;
      }
      if (direction === 'calendar-to-crm') {
        if (evChangedAny && inPull) pull.push(f);
        continue;
      }
      const cC = crmPrevV === null || fieldKey(f, crmV) !== fieldKey(f, crmPrevV);
      const eC = evPrevV === null || fieldKey(f, evV) !== fieldKey(f, evPrevV);
      // A change the other side cannot carry (attendees of a meeting the user does not organise, a task's
      // free/busy) is undone from the side that is authoritative for that field, so the pair converges.
      if (cC && !eC) {
        if (inPush) push.push(f);
        else pull.push(f);
      } else if (eC && !cC) {
        if (inPull) pull.push(f);
        else push.push(f);
      } else if (cC && eC) {
        if (inPush && inPull) {
          const winner = this.conflictWinner(s.crmModifiedAt, s.evModifiedAt);
          conflicts.push({
            crmId: base.crmId,
            eventId: base.eventId,
            field: f,
            crmValue: crmV[f],
            calendarValue: evV[f],
            winner,
            policy: env.settings.conflictPolicy,
          });
          (winner === 'crm' ? push : pull).push(f);
        } else if (inPush) push.push(f);
        else if (inPull) pull.push(f);
      }
    }

    const summaries: PlannedActionSummary[] = [];
    const subject = s.crmCur.subject;
    const ids = { crmId: base.crmId, eventId: base.eventId, subject };
    for (const c of conflicts) {
      summaries.push({
        ...ids,
        side: c.winner === 'crm' ? 'calendar' : 'crm',
        action: 'conflict',
        reason: `“${c.field}” changed on both sides; ${c.winner === 'crm' ? 'the CRM' : 'the calendar'} value wins (${c.policy}).`,
        sendsInvitation: false,
      });
    }
    this.conflicts += conflicts.length;

    // What the CRM will hold after the pull, seen as an event: a pulled value can look different on the event
    // (a completed task's title is struck through), and then the event takes that form too.
    const patch: Partial<SyncedFields> = {};
    for (const f of pull) {
      const value = crmValueFromEvent(f, evV, s.info);
      const next = { ...s.crmCur, [f]: value } as SyncedFields;
      if (fieldKey(f, next) !== fieldKey(f, s.crmCur)) (patch as Record<string, unknown>)[f] = value;
    }
    const patched = Object.keys(patch) as SyncedFieldName[];
    const nextV = patched.length > 0 ? crmView({ ...s.crmCur, ...patch }, s.info, env, crmBusy) : crmV;
    for (const f of pull) {
      if (rules.push.has(f) && !push.includes(f) && fieldKey(f, nextV) !== fieldKey(f, evV)) push.push(f);
    }

    // The pulled change takes a CRM-born item out of scope (its last invitee was removed in the calendar, say):
    // the CRM is updated and the event deleted in this same run, as the next run would otherwise do.
    const leavesScope =
      base.origin === 'crm' &&
      base.old !== null &&
      patched.length > 0 &&
      !crmScope(
        {
          id: base.crmId,
          type: s.info.type,
          version: s.crmVersion,
          modifiedAt: '',
          fields: { ...s.crmCur, ...patch },
          syncToCalendar: true,
          archived: false,
          iCalUId: null,
          origin: 'crm',
          url: s.info.url,
          links: {
            contactIds: s.crmLinks?.contactIds ?? new Array<string>(s.info.contacts ?? 0).fill('?'),
            companyIds: [],
          },
          ownerEmails: [],
        },
        true,
        env,
      ).in;
    let eventWrite: EventWrite | null = null;
    let sends = false;
    // SPEC §5 "never": a write to this event would e-mail its attendees whatever we ask, so while invitations are
    // off the CRM change is kept and owed to the event (remembered in the link, pushed once invitations are on).
    const hold = !this.invites && s.writesNotify && (leavesScope || push.length > 0);
    let held: PairOp['held'];
    if (hold) {
      // What the event still shows: next time the CRM's view is compared with this, so the change stays owed.
      const fields = leavesScope ? [] : [...push];
      const shown: Partial<SyncedFields> = {};
      for (const f of fields) (shown as Record<string, unknown>)[f] = evV[f];
      held = { push: fields.length > 0 ? { shown } : null, delete: leavesScope };
      push.length = 0;
      this.skip({
        ...ids,
        side: 'calendar',
        reason: leavesScope
          ? 'After the calendar change the CRM item is out of scope. Deleting this meeting in the calendar would e-mail its attendees; invitations are off: it is left in place and deleted once invitations are on.'
          : `Updating this meeting in the calendar would e-mail its attendees; invitations are off: the CRM change (${fields.join(', ')}) is kept and not written to the calendar until invitations are on.`,
      });
    } else if (leavesScope) {
      push.length = 0;
      const organizer = s.isOrganizer;
      sends = this.invites && ((organizer && s.evCur.attendees.length > 0) || s.writesNotify);
      eventWrite = { op: 'delete', id: base.eventId, ifMatch: null, sendCancellations: sends };
      if (sends) this.invitations += 1;
      this.deletions.calendar += 1;
      summaries.push({
        ...ids,
        side: 'calendar',
        action: 'delete',
        reason: 'After the calendar change the CRM item is out of scope: its event is removed.',
        sendsInvitation: sends,
      });
    } else if (push.length > 0) {
      const fields: SyncedFields = { ...s.evCur };
      for (const f of push) (fields as unknown as Record<string, unknown>)[f] = nextV[f];
      // A write that mails anyway (writesNotify) is an update the attendees get: allowed, and counted, with invitations on.
      sends = this.invites && ((s.isOrganizer && fields.attendees.length > 0) || s.writesNotify);
      eventWrite = {
        op: 'update',
        id: base.eventId,
        ifMatch: s.evVersion,
        draft: {
          fields,
          crmTag: base.crmId,
          crmUrl: s.info.url,
          sendInvitations: sends,
          priority: s.info.priority,
          ...(s.occurrence ? { occurrence: s.occurrence } : {}),
        },
      };
      if (sends) this.invitations += 1;
      summaries.push({
        ...ids,
        side: 'calendar',
        action: 'update',
        reason: s.reason || `The CRM item changed (${push.join(', ')}).`,
        sendsInvitation: sends,
      });
    }

    const crmWrites: CrmWrite[] = [];
    let unknownEmails: string[] = [];
    if (patched.length > 0) {
      let links: CrmItem['links'] | undefined;
      if (patch.attendees) {
        const m = this.matchPeople(patch.attendees);
        unknownEmails = m.unknown;
        const known = new Set(s.crmLinks?.contactIds ?? []);
        if (m.links.contactIds.some((c) => !known.has(c)) || unknownEmails.length > 0) links = m.links;
      }
      crmWrites.push({
        op: 'update',
        id: base.crmId,
        ifMatch: s.crmVersion,
        fields: patch,
        ...(links ? { links } : {}),
      });
      summaries.push({
        ...ids,
        side: 'crm',
        action: 'update',
        reason: s.reason || `The event changed (${patched.join(', ')}).`,
        sendsInvitation: false,
      });
    }
    // After the update: adding an owner bumps the version the update's If-Match names.
    if (s.ownerEmails && !s.ownerEmails.some((o) => o.toLowerCase() === env.userEmail.toLowerCase())) {
      crmWrites.push({ op: 'add-owner', id: base.crmId, email: env.userEmail });
      summaries.push({
        ...ids,
        side: 'crm',
        action: 'link',
        reason: 'Another CRM user already has this meeting: you are added to the same activity.',
        sendsInvitation: false,
      });
    }
    // Last: the CRM-side tag of a CRM-born meeting, so an invited colleague's connector finds this activity.
    const iCalUIdWrite =
      !leavesScope &&
      owesICalUId(env, { ...base, iCalUIdOwed: base.old?.iCalUIdOwed }, () => s.info.type, s.crmICalUId);
    if (iCalUIdWrite) {
      crmWrites.push({ op: 'set-ical-uid', id: base.crmId, iCalUId: base.iCalUId! });
      summaries.push({
        ...ids,
        side: 'crm',
        action: 'update',
        reason: 'The event’s iCalUId is stored on the CRM item, so invited colleagues share this activity.',
        sendsInvitation: false,
      });
    }
    // One-way CRM → calendar never writes it, but keeps the note for a later switch of direction.
    const iCalUIdOwed = iCalUIdWrite || (base.old?.iCalUIdOwed === true && !writesICalUId(env, s.info.type));
    const pullDone = pull.filter((f) => patched.includes(f));

    const isNew = base.old === null;
    const old = base.old;
    const unchangedStatus =
      old !== null &&
      eventWrite === null &&
      held === undefined &&
      !old.heldPush &&
      !old.heldDelete &&
      crmWrites.length === 0 &&
      old.crmVersion === s.crmVersion &&
      old.eventVersion === s.evVersion &&
      old.crmHash === crmHash(s.crmCur, s.info) &&
      old.eventHash === eventHash(s.evCur, false) &&
      (old.iCalUIdOwed === true) === iCalUIdOwed;
    if (unchangedStatus) return;
    if (isNew) {
      summaries.unshift({
        ...ids,
        side: base.origin === 'crm' ? 'calendar' : 'crm',
        action: 'link',
        reason: s.reason,
        sendsInvitation: false,
      });
    }
    const op: PairOp = {
      kind: 'pair',
      unlinkAfter: leavesScope && !hold,
      base,
      crmWrites,
      eventWrite,
      crmCurrent: s.crmCur,
      crmVersion: s.crmVersion,
      crmInfo: s.info,
      eventCurrent: s.evCur,
      eventVersion: s.evVersion,
      eventIsOrganizer: s.isOrganizer,
      push,
      pull: pullDone,
      unknownEmails,
      conflicts,
      summaries,
      reason: s.reason || summaries.map((x) => x.reason).join(' '),
      sendsInvitation: sends,
      ...(s.writesNotify ? { eventWritesNotify: true } : {}),
      ...(held ? { held } : {}),
      ...(iCalUIdOwed ? { iCalUIdOwed } : {}),
    };
    this.ops.push(op);
  }

  private conflictWinner(crmAt: string | null, evAt: string | null): 'crm' | 'calendar' {
    const policy = this.env.settings.conflictPolicy;
    if (policy === 'crm-wins') return 'crm';
    if (policy === 'calendar-wins') return 'calendar';
    if (crmAt && evAt) return Date.parse(evAt) > Date.parse(crmAt) ? 'calendar' : 'crm';
    return evAt && !crmAt ? 'calendar' : 'crm';
  }

  private matchPeople(attendees: { email: string }[]): { links: CrmItem['links']; unknown: string[] } {
    const contactIds: string[] = [];
    const companyIds: string[] = [];
    const unknown: string[] = [];
    for (const a of attendees) {
      const p = this.people.get(a.email.toLowerCase());
      if (!p) {
        unknown.push(a.email.toLowerCase());
        continue;
      }
      if (!contactIds.includes(p.contactId)) contactIds.push(p.contactId);
      if (p.companyId && !companyIds.includes(p.companyId)) companyIds.push(p.companyId);
    }
    return { links: { contactIds, companyIds }, unknown };
  }

  // ---------------------------------------------------------------- unlinked events (calendar → CRM, tags)

  private allEvents(): CalendarEvent[] {
    const out: CalendarEvent[] = [];
    for (const c of this.input.events) out.push(...c.upserts);
    for (const e of this.input.taggedExtra) if (!this.evById.has(e.id)) out.push(e);
    return out;
  }

  private planUnlinkedEvents(): void {
    const env = this.env;
    const direction = env.settings.direction;
    const events = this.allEvents();
    // Tagged events first, so a CRM item is paired with its own mirror before anything else can claim it.
    const ordered = [...events.filter((e) => e.crmTag), ...events.filter((e) => !e.crmTag)];
    const fingerprints = this.input.meta.repairing ? this.unlinkedFingerprints() : null;
    for (const ev of ordered) {
      if (this.linkByEvent.has(ev.id) || this.handledEv.has(ev.id)) continue;
      this.handledEv.add(ev.id);
      if (ev.crmTag) {
        this.planTaggedEvent(ev);
        continue;
      }
      const scope = eventScope(ev, this.sources, false, env);
      if (!scope.in) {
        if (scope.code !== 'not-source') {
          this.skip({ side: 'crm', crmId: null, eventId: ev.id, subject: ev.fields.subject, reason: scope.reason });
        }
        continue;
      }
      if (direction === 'crm-to-calendar') continue;
      if (this.tombstones.get(`crm\u0000${ev.id}`)?.sourceHash === PERMANENT) {
        this.skip({
          side: 'crm',
          crmId: null,
          eventId: ev.id,
          subject: ev.fields.subject,
          reason: 'Its CRM activity was deleted or turned off in the CRM: this occurrence is not imported again.',
        });
        continue;
      }
      // One activity per meeting: another CRM user (or an earlier import) already has this iCalUId.
      const shared = this.findByICalUId(ev.iCalUId);
      if (shared) {
        if (this.linkByCrm.has(shared.id) || this.handledCrm.has(shared.id)) {
          this.skip({
            side: 'crm',
            crmId: shared.id,
            eventId: ev.id,
            subject: ev.fields.subject,
            reason: 'Another event of yours is already linked to the CRM activity of this meeting.',
          });
          continue;
        }
        this.matchPair(shared, ev, 'calendar', 'Same meeting (iCalUId) as an existing CRM activity.', true);
        continue;
      }
      if (fingerprints) {
        const candidates = fingerprints.get(fingerprint(ev.fields.subject, ev.fields.timing)) ?? [];
        const free = candidates.filter((c) => !this.handledCrm.has(c.id));
        if (free.length === 1) {
          const item = free[0]!;
          this.matchPair(item, ev, item.origin, 'Re-paired after a reset (same subject, start and end).');
          continue;
        }
      }
      const hash = eventHash(eventCanonical(ev, env), ev.cancelled);
      const tomb = this.tombstones.get(`crm\u0000${ev.id}`);
      const archived = this.archivedOnly(ev.iCalUId);
      // Changed in the calendar after its activity was archived (clocks of two systems: good enough to tell "the
      // meeting moved on since" from "the user archived it and nothing happened").
      const changedSinceArchive =
        archived.length > 0 && archived.every((i) => Date.parse(ev.modifiedAt) > Date.parse(i.modifiedAt));
      if (archived.length > 0 && (this.input.meta.repairing || (!tomb && !changedSinceArchive))) {
        // The user archived this meeting's activity while it was not linked (after a reset, or after the event had
        // left scope). Importing it again would bring it back as a second activity; remember it as one-way sync
        // would (not again until the event changes).
        this.newTombstones.push({ side: 'crm', sourceId: ev.id, sourceHash: hash, createdAt: env.now.toISOString() });
        this.skip({
          side: 'crm',
          crmId: null,
          eventId: ev.id,
          subject: ev.fields.subject,
          reason: 'Its CRM activity was archived: not imported again until the event changes.',
        });
        continue;
      }
      if (tomb && tomb.sourceHash === hash) {
        this.skip({
          side: 'crm',
          crmId: null,
          eventId: ev.id,
          subject: ev.fields.subject,
          reason:
            archived.length > 0
              ? 'Its CRM activity was archived: not imported again until the event changes.'
              : 'Its CRM activity was deleted in the CRM (one-way sync): not imported again until the event changes.',
        });
        continue;
      }
      // A re-import after an archive does not reuse the first import's idempotency key (importSource).
      this.planImport(ev, hash);
    }
  }

  private unlinkedFingerprints(): Map<string, CrmItem[]> {
    const map = new Map<string, CrmItem[]>();
    for (const item of this.input.crm.upserts) {
      if (item.archived || item.syncToCalendar === false || this.linkByCrm.has(item.id) || !item.fields.timing)
        continue;
      const canon = crmCanonical(item, this.env);
      if (!canon) continue;
      const fp = fingerprint(canon.subject, canon.timing);
      const list = map.get(fp) ?? [];
      list.push(item);
      map.set(fp, list);
    }
    return map;
  }

  /** The meeting's activities when every one of them is archived (else none). */
  private archivedOnly(iCalUId: string): CrmItem[] {
    const byId = new Map<string, CrmItem>();
    for (const i of [...this.input.crm.upserts, ...this.input.sharedItems])
      if (i.iCalUId === iCalUId) byId.set(i.id, i);
    const all = [...byId.values()];
    return all.length > 0 && all.every((i) => i.archived) ? all : [];
  }

  private findByICalUId(iCalUId: string): CrmItem | undefined {
    let found: CrmItem | undefined;
    for (const i of this.input.crm.upserts) if (i.iCalUId === iCalUId && !i.archived) found ??= i;
    if (found) return found;
    for (const i of this.input.sharedItems) {
      if (i.iCalUId === iCalUId && !i.archived && !this.crmRemoved.has(i.id)) return i;
    }
    return undefined;
  }

  private planTaggedEvent(ev: CalendarEvent): void {
    const tag = ev.crmTag!;
    const item = this.crmById.get(tag);
    const subject = ev.fields.subject;
    // A linked item missing from the listing is unchanged, not gone: this event is then a second one.
    const linked = this.linkByCrm.has(tag) || this.handledCrm.has(tag);
    if (item?.archived || (!item && !linked)) {
      this.skip({
        side: 'calendar',
        crmId: tag,
        eventId: ev.id,
        subject,
        reason: 'Connector event for a CRM item that is gone or not visible: left in place.',
      });
      return;
    }
    if (linked || !item) {
      this.skip({
        side: 'calendar',
        crmId: tag,
        eventId: ev.id,
        subject,
        reason: 'A second event carries this CRM item’s tag: run duplicate cleanup.',
      });
      return;
    }
    this.matchPair(item, ev, 'crm', 'The event carries this CRM item’s tag.');
  }

  /** Links a CRM item and an event found to belong together; the origin side's values win where they differ. */
  private matchPair(
    item: CrmItem,
    ev: CalendarEvent,
    origin: 'crm' | 'calendar',
    reason: string,
    shared = false,
  ): void {
    const env = this.env;
    // Another CRM user's activity for this meeting: this user's copy is only linked to it (add-owner), not
    // merged into it. Each user sees the attendees without themself, so "the event wins" would rewrite the
    // shared activity from one attendee's point of view (and the organiser's connector would mail the change).
    const adopt = shared && !item.ownerEmails.some((o) => o.toLowerCase() === env.userEmail.toLowerCase());
    const crmCur = crmCanonical(item, env);
    this.handledCrm.add(item.id);
    this.handledEv.add(ev.id);
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
    this.merge(base, {
      crmCur,
      crmVersion: item.version,
      info,
      crmModifiedAt: item.modifiedAt,
      crmLinks: item.links,
      crmICalUId: item.iCalUId,
      ownerEmails: env.settings.direction === 'crm-to-calendar' ? null : item.ownerEmails,
      evCur,
      evVersion: ev.version,
      evModifiedAt: ev.modifiedAt,
      isOrganizer: ev.isOrganizer,
      writesNotify: ev.writesNotifyAttendees === true,
      occurrence: ev.occurrence,
      crmPrev: origin === 'crm' && !adopt ? null : { fields: crmCur, info },
      evPrev: origin === 'calendar' && !adopt ? null : evCur,
      reason,
    });
  }

  /**
   * What an import's idempotency key is derived from. A meeting whose activity was archived (cancelled, then
   * restored — or an occurrence a shortened series gave back) is imported afresh: its key must not be the one
   * that created the archived activity, or the CRM would hand that one back.
   */
  private importSource(ev: CalendarEvent): string {
    const base = ev.iCalUId + (ev.occurrence ? `|${ev.occurrence.originalStart}` : '');
    const archived = [...this.input.crm.upserts, ...this.input.sharedItems]
      .filter((i) => i.iCalUId === ev.iCalUId && i.archived)
      .map((i) => i.id)
      .sort();
    return archived.length > 0 ? `${base}|after:${[...new Set(archived)].join(',')}` : base;
  }

  private planImport(ev: CalendarEvent, hash: string): void {
    const env = this.env;
    const evCur = eventCanonical(ev, env);
    const busy = isBusy(evCur.visibility === 'private', env);
    const v = eventView(evCur, busy);
    let occurrence: CreateCrmOp['draft']['occurrence'];
    if (ev.occurrence) {
      const series = this.linkByEvent.get(ev.occurrence.seriesId);
      if (!series) {
        this.deferred += 1;
        this.skip({
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
    const fields: SyncedFields = {
      ...v,
      subject: crmSubject(v.subject),
      attendees: env.settings.syncInvitees && env.crmCaps.invitees ? v.attendees : [],
      recurrence: env.crmCaps.recurrence ? v.recurrence : null,
    };
    const m = this.matchPeople(fields.attendees);
    const op: CreateCrmOp = {
      kind: 'create-crm',
      event: ev,
      eventCurrent: evCur,
      key: createKey('crm', env.userEmail, this.importSource(ev), hash),
      draft: {
        type: 'meeting',
        fields,
        iCalUId: ev.iCalUId,
        syncToCalendar: true,
        links: m.links,
        ...(occurrence ? { occurrence } : {}),
      },
      unknownEmails: m.unknown,
      summaries: [
        {
          side: 'crm',
          action: 'create',
          crmId: null,
          eventId: ev.id,
          subject: fields.subject,
          reason: 'New event in a source calendar: imported as a CRM activity.',
          sendsInvitation: false,
        },
      ],
      reason: 'New event in a source calendar: imported as a CRM activity.',
    };
    this.ops.push(op);
  }

  // ---------------------------------------------------------------- unlinked CRM items (CRM → calendar)

  private planUnlinkedCrmItems(): void {
    const env = this.env;
    for (const item of this.input.crm.upserts) {
      if (this.linkByCrm.has(item.id) || this.handledCrm.has(item.id)) continue;
      this.handledCrm.add(item.id);
      const scope = crmScope(item, false, env);
      const subject = item.fields.subject;
      if (!scope.in) {
        if (scope.code !== 'archived') {
          this.skip({ side: 'calendar', crmId: item.id, eventId: null, subject, reason: scope.reason });
        }
        const tomb = this.tombstones.get(`calendar\u0000${item.id}`);
        if (scope.code === 'flag-off' && tomb && tomb.sourceHash !== PERMANENT) {
          this.forget.push({ side: 'calendar', sourceId: item.id });
        }
        continue;
      }
      const crmCur = crmCanonical(item, env)!;
      const info = crmInfoOf(item);
      const hash = crmHash(crmCur, info);
      const tomb = this.tombstones.get(`calendar\u0000${item.id}`);
      if (tomb && (tomb.sourceHash === hash || tomb.sourceHash === PERMANENT)) {
        this.skip({
          side: 'calendar',
          crmId: item.id,
          eventId: null,
          subject,
          reason: 'Its event was deleted in the calendar: not re-created until the CRM item changes.',
        });
        continue;
      }
      if (item.origin === 'calendar') {
        // Its meeting is (or was) in a calendar already: re-paired by iCalUId when it is in scope, never copied
        // back as a second event.
        this.skip({
          side: 'calendar',
          crmId: item.id,
          eventId: null,
          subject,
          reason: 'Imported from a calendar meeting: it is not copied back as a second event.',
        });
        continue;
      }
      let occurrence: CreateEventOp['occurrence'];
      if (item.occurrence) {
        const series = this.linkByCrm.get(item.occurrence.seriesId);
        if (!series) {
          this.deferred += 1;
          this.skip({
            side: 'calendar',
            crmId: item.id,
            eventId: null,
            subject,
            reason: 'Modified occurrence of a series that is not synced yet: it follows the series.',
          });
          continue;
        }
        occurrence = { seriesId: series.eventId, originalStart: item.occurrence.originalStart };
      }
      const busy = isBusy(crmCur.visibility === 'private', env);
      const sends = this.invites && crmView(crmCur, info, env, busy).attendees.length > 0;
      if (sends) this.invitations += 1;
      // Written unless the CRM cannot store it or is the one-way source; the applier skips it when the new event's
      // iCalUId is the one the item already has.
      const iCalUIdToCrm = writesICalUId(env, item.type);
      this.ops.push({
        kind: 'create-event',
        item,
        calendarId: this.input.calendars.targetCalendarId,
        ...(occurrence ? { occurrence } : {}),
        reason: 'In scope with Sync to calendar on: a calendar event is created.',
        sendsInvitation: sends,
        ...(iCalUIdToCrm ? { iCalUIdToCrm } : {}),
      });
    }
  }
}

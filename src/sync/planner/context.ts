/**
 * The planner's input, indexed once, and the plan as it is being built. Every module of the planner reads the
 * listings through this and adds its operations, skips and counts to it; nothing here decides anything.
 */
import type { CalendarEvent, CrmItem, PersonMatch } from '../model';
import type { ListingSkip } from '../ports';
import type { LinkRecord, SyncMeta, Tombstone } from '../status-store';
import type { Plan, PlanOp, PlannedActionSummary, SyncCalendars } from '../plan';
import { indexLinks, type LinkIndex } from '../link-index';
import { isPast, type EngineEnv } from '../mapping';
import { invitationsActive } from './writes';

export interface PlanInput {
  env: EngineEnv;
  calendars: SyncCalendars;
  meta: SyncMeta;
  links: LinkRecord[];
  /**
   * Links left unread by a quiet run (run.ts): none of them could need anything this run, so `links` is empty and
   * this says how many there are (the deletion breaker weighs deletions against them).
   */
  linksUnread?: number;
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

/** A complete listing that found nothing at all (not even items it left out as unchanged). */
function listedNothing(l: Listing<unknown>): boolean {
  return l.full && l.upserts.length === 0 && (l.unchanged?.size ?? 0) === 0 && (l.skipped?.length ?? 0) === 0;
}

export class PlanContext {
  readonly env: EngineEnv;
  /** Invitations may be e-mailed by this run. */
  readonly invites: boolean;

  // ------------------------------------------------------------- the input, indexed
  readonly crmById = new Map<string, CrmItem>();
  readonly crmRemoved: ReadonlySet<string>;
  readonly crmUnchanged: ReadonlySet<string>;
  readonly evById = new Map<string, CalendarEvent>();
  readonly evRemoved = new Set<string>();
  /** Events listed but unreadable: their pairs are left alone (neither written to nor taken for deleted). */
  readonly evSkipped = new Set<string>();
  readonly evUnchanged = new Map<string, ReadonlySet<string>>();
  /** Per synced calendar: whether its listing is complete. */
  readonly calFull = new Map<string, boolean>();
  readonly linkByCrm: ReadonlyMap<string, LinkRecord>;
  readonly linkByEvent: ReadonlyMap<string, LinkRecord>;
  readonly sources: ReadonlySet<string>;
  private readonly tombstones = new Map<string, Tombstone>();
  private readonly people = new Map<string, PersonMatch>();

  // ------------------------------------------------------------- progress: items already planned
  readonly handledCrm = new Set<string>();
  readonly handledEv = new Set<string>();

  // ------------------------------------------------------------- the plan being built
  readonly ops: PlanOp[] = [];
  readonly skips: PlannedActionSummary[] = [];
  invitations = 0;
  conflicts = 0;
  deferred = 0;
  readonly deletions = { crm: 0, calendar: 0 };
  readonly forget: { side: 'crm' | 'calendar'; sourceId: string }[] = [];
  readonly newTombstones: Tombstone[] = [];

  constructor(readonly input: PlanInput) {
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

  skip(s: Omit<PlannedActionSummary, 'action' | 'sendsInvitation'>): void {
    this.skips.push({ ...s, action: 'skip', sendsInvitation: false });
  }

  /** The "not again" note for a source item: `side` is the side that must not get it again. */
  tombstone(side: 'crm' | 'calendar', sourceId: string): Tombstone | undefined {
    return this.tombstones.get(`${side}\u0000${sourceId}`);
  }

  /** Any write to the pair's event would e-mail its attendees (as the event is now, else as last seen). */
  writesNotify(link: LinkRecord): boolean {
    const ev = this.evById.get(link.eventId);
    return ev ? ev.writesNotifyAttendees === true : link.eventWritesNotify === true;
  }

  /** Contacts and companies for attendee e-mails; e-mails without a CRM contact are returned as unknown. */
  matchPeople(attendees: { email: string }[]): { links: CrmItem['links']; unknown: string[] } {
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

  result(): Plan {
    return {
      ops: this.ops,
      skips: this.skips,
      invitations: this.invitations,
      conflicts: this.conflicts,
      deletions: this.deletions,
      linked: this.input.links.length + (this.input.linksUnread ?? 0),
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
}

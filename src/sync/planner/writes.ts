/**
 * What a plan writes, derived in this one place: idempotency keys, the drafts of created events and activities,
 * the preview's and trail's lines of a create, and the writes a link still owes. The planner puts the results in
 * the plan (the applier writes them as they are); the preview reads the same lines; the listing filter
 * (crmItemUnchanged / eventUnchanged) drops an item only when this module says nothing about it is owed.
 */
import type { ActivityType, CalendarEvent, CrmDraft, CrmItem, EventDraft, OccurrenceRef, SyncedFields } from '../model';
import { PERMANENT_TOMBSTONE, type LinkRecord, type LinkedCrmInfo, type SyncMeta } from '../status-store';
import type { CreateEventOp, PlanOp, PlannedActionSummary } from '../plan';
import { contentHash, crmSubject, hashString } from '../canonical';
import { crmCanonical, crmHash, crmInfoOf, crmView, eventView, isBusy, type EngineEnv } from '../mapping';

/** Tombstone hash that matches every version of the source item. */
export const PERMANENT = PERMANENT_TOMBSTONE;

export function linkId(crmId: string, eventId: string): string {
  return `${crmId}\u0001${eventId}`;
}

/** Deterministic idempotency key: retries and re-runs after a crash reuse it, a changed source gets a new one. */
export function createKey(side: 'crm' | 'calendar', userEmail: string, sourceId: string, sourceHash: string): string {
  // Joined, not concatenated: one flat string instead of a tree of string pieces (the plan holds one per create).
  return [
    'ccc',
    side === 'calendar' ? 'e' : 'c',
    hashString(`${userEmail.toLowerCase()}|${sourceId}`),
    sourceHash,
  ].join('-');
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

// ------------------------------------------------------------------ creates

/** A CRM item's side as a link records it: canonical values, info, and their hash. Null for a task without a due date. */
export function crmSideOf(
  item: CrmItem,
  env: EngineEnv,
): { current: SyncedFields; info: LinkedCrmInfo; hash: string } | null {
  const current = crmCanonical(item, env);
  if (!current) return null;
  const info = crmInfoOf(item);
  return { current, info, hash: crmHash(current, info) };
}

/**
 * The event a CRM item without one gets: its create's key and draft. `crm` is crmSideOf the item; the event is
 * the item's view (busy blocks, invitees as the settings say), without recurrence when the calendar has none.
 */
export function eventForCrmItem(
  item: CrmItem,
  crm: { current: SyncedFields; info: LinkedCrmInfo; hash: string },
  sendsInvitation: boolean,
  occurrence: OccurrenceRef | undefined,
  env: EngineEnv,
): Pick<CreateEventOp, 'key' | 'draft'> {
  const busy = isBusy(crm.current.visibility === 'private', env);
  const view = crmView(crm.current, crm.info, env, busy);
  // A calendar without recurrence gets the first occurrence only; the pane explains why. (A copy: the view may be
  // the CRM values themselves, which the link records as they are.)
  const fields = env.calCaps.recurrence ? view : { ...view, recurrence: null };
  return {
    key: createKey('calendar', env.userEmail, item.id, crm.hash),
    draft: {
      fields,
      crmTag: item.id,
      crmUrl: item.url,
      sendInvitations: sendsInvitation,
      priority: item.priority ?? null,
      ...(occurrence ? { occurrence } : {}),
    },
  };
}

/**
 * A planned create of a CRM item's event. Its key and draft are what eventForCrmItem derives from the listed item,
 * read as properties of the op; they are derived when read, not kept: an initial sync of 100,000 items would
 * otherwise hold a key, a draft and the item's canonical values a second time for every item until the run ends
 * (about 30 MB at 100k, engine bench). The applier reads each once, when it hands the write to the calendar.
 */
class CrmItemEventCreate implements CreateEventOp {
  readonly kind = 'create-event' as const;
  readonly iCalUIdToCrm?: boolean;
  readonly #occurrence: OccurrenceRef | undefined;
  readonly #env: EngineEnv;

  constructor(
    readonly item: CrmItem,
    readonly calendarId: string,
    readonly reason: string,
    readonly sendsInvitation: boolean,
    iCalUIdToCrm: boolean,
    occurrence: OccurrenceRef | undefined,
    env: EngineEnv,
  ) {
    if (iCalUIdToCrm) this.iCalUIdToCrm = true;
    this.#occurrence = occurrence;
    this.#env = env;
  }

  get key(): string {
    return createKey('calendar', this.#env.userEmail, this.item.id, this.#crm().hash);
  }

  get draft(): EventDraft {
    return eventForCrmItem(this.item, this.#crm(), this.sendsInvitation, this.#occurrence, this.#env).draft;
  }

  #crm(): { current: SyncedFields; info: LinkedCrmInfo; hash: string } {
    // Only items with a timing are planned as creates (a task without a due date is out of scope).
    return crmSideOf(this.item, this.#env)!;
  }
}

/** The create-event op for a CRM item in scope without an event (planned by unlinked-crm-items.ts). */
export function createEventOp(
  item: CrmItem,
  opts: {
    calendarId: string;
    reason: string;
    sendsInvitation: boolean;
    iCalUIdToCrm: boolean;
    occurrence?: OccurrenceRef;
  },
  env: EngineEnv,
): CreateEventOp {
  return new CrmItemEventCreate(
    item,
    opts.calendarId,
    opts.reason,
    opts.sendsInvitation,
    opts.iCalUIdToCrm,
    opts.occurrence,
    env,
  );
}

/**
 * The activity an event without one gets (calendar → CRM import): its fields as the CRM can hold them, and the
 * people its attendees match. `occurrence` is the CRM series' occurrence when the event is a modified occurrence.
 */
export function activityForEvent(
  ev: CalendarEvent,
  evCurrent: SyncedFields,
  occurrence: OccurrenceRef | undefined,
  env: EngineEnv,
  matchPeople: (attendees: { email: string }[]) => { links: CrmItem['links']; unknown: string[] },
): { draft: CrmDraft; unknownEmails: string[] } {
  const busy = isBusy(evCurrent.visibility === 'private', env);
  const v = eventView(evCurrent, busy);
  const fields: SyncedFields = {
    ...v,
    // An untitled event gets the placeholder a CRM accepts (equal to an empty title for the comparison).
    subject: crmSubject(v.subject),
    attendees: env.settings.syncInvitees && env.crmCaps.invitees ? v.attendees : [],
    recurrence: env.crmCaps.recurrence ? v.recurrence : null,
  };
  const m = matchPeople(fields.attendees);
  return {
    draft: {
      type: 'meeting',
      fields,
      iCalUId: ev.iCalUId,
      syncToCalendar: true,
      links: m.links,
      ...(occurrence ? { occurrence } : {}),
    },
    unknownEmails: m.unknown,
  };
}

const CREATE_EVENT_ICALUID_REASON =
  'The new event’s iCalUId is stored on the CRM item, so invited colleagues share this activity.';

/** What a create-event op will do, per side (the preview's lines and the trail's entries). */
export function createEventSummaries(op: CreateEventOp): PlannedActionSummary[] {
  // Object literals, not spreads of a shared base: this runs for every create when counting, previewing and
  // writing the trail of a 100k-item initial sync. Derived, not stored: the op holds everything they say.
  const crmId = op.item.id;
  const subject = op.item.fields.subject;
  const out: PlannedActionSummary[] = [
    {
      side: 'calendar',
      action: 'create',
      crmId,
      eventId: null,
      subject,
      reason: op.reason,
      sendsInvitation: op.sendsInvitation,
    },
  ];
  if (op.iCalUIdToCrm) {
    out.push({
      side: 'crm',
      action: 'update',
      crmId,
      eventId: null,
      subject,
      reason: CREATE_EVENT_ICALUID_REASON,
      sendsInvitation: false,
    });
  }
  return out;
}

/** Every op's lines for the preview and the trail: stored on most, derived for a CRM-born create. */
export function summariesOf(op: PlanOp): PlannedActionSummary[] {
  return op.kind === 'create-event' ? createEventSummaries(op) : op.summaries;
}

// ------------------------------------------------------------------ writes a link owes

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
export function owesICalUId(
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

/** Nothing is pending on the link itself: both sides were synced, no write held back or owed. */
export function settled(link: LinkRecord): boolean {
  return (
    link.crmHash !== '' && link.eventHash !== '' && !link.heldPush && !link.heldDelete && link.iCalUIdOwed !== true
  );
}

/**
 * The listed CRM item is the one last synced into this link and nothing about it is owed: the pair needs nothing
 * from it that the link does not hold. Such items are dropped while listing (ListingFilter); the planner then
 * treats them as an incremental listing treats an item it does not mention.
 */
export function crmItemUnchanged(env: EngineEnv, link: LinkRecord, item: CrmItem): boolean {
  return item.version === link.crmVersion && settled(link) && !owesICalUId(env, link, () => item.type, item.iCalUId);
}

/** The listed event is the one last synced into this link (see crmItemUnchanged). */
export function eventUnchanged(link: LinkRecord, ev: CalendarEvent): boolean {
  return ev.version === link.eventVersion && settled(link);
}

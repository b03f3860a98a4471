/**
 * One sync run and its dry run (SPEC §5, §6, §7): list both sides from the stored cursors, resolve lost creates,
 * plan, check the mass-deletion breaker, apply, then store cursors and the run report.
 */
import type { CalendarEvent, CrmItem, PersonMatch } from './model';
import type { CalendarProvider, ChangeSet, CrmProvider, ListingFilter } from './ports';
import type { LinkRecord, StatusStore, SyncMeta, WriteIntent } from './status-store';
import type { EngineEnv } from './mapping';
import type { SyncSettings } from '../shared/settings';
import { startedReport, type RunReport, type RunTrigger } from '../shared/run-report';
import type { Plan, PlannedActionSummary, SyncCalendars } from './plan';
import { isProviderError } from './errors';
import { defaultSleep, withRetry } from './retry';
import { hashString } from './canonical';
import { windowStart } from './mapping';
import { crmItemUnchanged, eventUnchanged, plan as makePlan, summariesOf, type PlanInput } from './planner';
import { applyPlan, describeError, trailAction } from './applier';
import { checkBreaker } from './breaker';
import { needsExpansion, OccurrenceCalendar } from './occurrence-calendar';
import { indexLinks, type LinkIndex } from './link-index';
import type { Clock } from '../shared/clock';

export interface SyncProgress {
  phase: 'listing' | 'planning' | 'applying' | 'done';
  done: number;
  total: number;
}

export interface EngineContext {
  crm: CrmProvider;
  calendar: CalendarProvider;
  /** Scoped to one tenant + user. */
  store: StatusStore;
  settings: SyncSettings;
  userEmail: string;
  calendars: SyncCalendars;
  /** The run's clock (src/shared/clock.ts): past/future, run times and history all read it, never the wall clock. */
  now: Clock;
  signal?: AbortSignal;
  onProgress?: (p: SyncProgress) => void;
  /** Injectable so tests don't wait for backoff. */
  sleep?: (ms: number) => Promise<void>;
}

export interface SyncPreview {
  report: RunReport;
  actions: PlannedActionSummary[];
}

const LOOKUP_BATCH = 200;
const MAX_PASSES = 3;

export function crmCursorKey(): string {
  return 'crm';
}

export function calendarCursorKey(calendarId: string): string {
  return `calendar:${calendarId}`;
}

const SETTINGS_KEY = 'settings-fingerprint';

/** The settings and calendars a plan depends on; when they change, the next run re-derives every pair. */
export function settingsFingerprint(settings: SyncSettings, calendars: SyncCalendars): string {
  const { automaticSync: _a, syncIntervalMinutes: _i, ...planned } = settings;
  return hashString(
    JSON.stringify({
      ...planned,
      activityTypes: [...planned.activityTypes].sort(),
      target: calendars.targetCalendarId,
      sources: [...calendars.sourceCalendarIds].sort(),
    }),
  );
}

export function engineEnv(ctx: EngineContext): EngineEnv {
  return {
    settings: ctx.settings,
    userEmail: ctx.userEmail.toLowerCase(),
    now: ctx.now(),
    crmCaps: ctx.crm.capabilities,
    calCaps: ctx.calendar.capabilities,
  };
}

function newRunId(now: Date): string {
  return `run-${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * The listing filters of one run: items listed exactly as last synced are dropped as they arrive and only their
 * ids kept, so a complete listing of 100,000 unchanged items is never held whole. Nothing is dropped when the
 * settings changed (every pair is re-derived from what is listed).
 */
class UnchangedFilter {
  readonly crm = new Set<string>();
  readonly events = new Map<string, Set<string>>();
  /** The run's links, once loaded: until then every item is kept (the run filters what came back afterwards). */
  private links: LinkIndex | null = null;

  constructor(
    private readonly env: EngineEnv,
    private readonly active: boolean,
  ) {}

  /** The links are loaded: from now on unchanged items are dropped as they arrive. */
  useLinks(links: LinkIndex): void {
    this.links = links;
  }

  readonly keepCrm: ListingFilter<CrmItem> = (item) => {
    if (!this.links) return true;
    const link = this.active ? this.links.byCrm.get(item.id) : undefined;
    if (!link || !crmItemUnchanged(this.env, link, item)) return true;
    this.crm.add(item.id);
    return false;
  };

  keepEvents(calendarId: string): ListingFilter<CalendarEvent> {
    const dropped = new Set<string>();
    this.events.set(calendarId, dropped);
    return (ev) => {
      if (!this.links) return true;
      const link = this.active ? this.links.byEvent.get(ev.id) : undefined;
      if (!link || link.calendarId !== calendarId || !eventUnchanged(link, ev)) return true;
      dropped.add(ev.id);
      return false;
    };
  }
}

/** What the calendars' listings gave a run: the changes per calendar, their next cursors, repaired values. */
interface CalendarsListed {
  events: PlanInput['events'];
  cursors: Map<string, string | null>;
  warnings: { eventId: string; reason: string }[];
}

/** One calendar's listing as it came back, with the filter it was given. */
interface CalendarListing {
  calendarId: string;
  c: ChangeSet<CalendarEvent>;
  keep: ListingFilter<CalendarEvent>;
}

/** Lists each calendar of the run in turn, through the unchanged filter (the CRM is listed meanwhile). */
async function listCalendars(
  calendar: CalendarProvider,
  calendarIds: readonly string[],
  unchanged: UnchangedFilter,
  cursor: (key: string) => Promise<string | null>,
  window: Parameters<CalendarProvider['listChanges']>[2],
  retry: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<CalendarListing[]> {
  const out: CalendarListing[] = [];
  for (const calendarId of calendarIds) {
    out.push(
      await retry(async () => {
        const keep = unchanged.keepEvents(calendarId); // afresh per attempt, as for the CRM
        const c = await calendar.listChanges(calendarId, await cursor(calendarCursorKey(calendarId)), window, keep);
        return { calendarId, c, keep };
      }),
    );
  }
  return out;
}

/**
 * The calendars' listings once the links are loaded: what a filter kept before then (or a provider that ignores it
 * returned anyway) is filtered now; then each calendar's cursor, skips and warnings.
 */
function finishCalendars(
  listings: readonly CalendarListing[],
  unchanged: UnchangedFilter,
  goneEvents: ReadonlyMap<string, readonly string[]> | undefined,
): CalendarsListed {
  const events: PlanInput['events'] = [];
  const cursors = new Map<string, string | null>();
  const warnings: CalendarsListed['warnings'] = [];
  for (const { calendarId, c, keep } of listings) {
    const upserts = c.upserts.filter(keep);
    const dropped = unchanged.events.get(calendarId)!;
    const skipped = c.skipped ?? [];
    const empty = c.full && upserts.length === 0 && dropped.size === 0 && skipped.length === 0;
    cursors.set(calendarCursorKey(calendarId), empty ? null : c.nextCursor);
    const removedIds = [...c.removedIds, ...(goneEvents?.get(calendarId) ?? [])];
    events.push({ calendarId, upserts, removedIds, full: c.full, unchanged: dropped, skipped });
    for (const w of c.warnings ?? []) warnings.push({ eventId: w.id, reason: w.reason });
  }
  return { events, cursors, warnings };
}

/**
 * The run's links, read beside its listings (in a steady run: `first` null), and the listings' outcomes.
 *
 * In a steady run the links are read while the servers answer, and indexed before the listings are awaited. A quiet
 * run reads none (issue 23): when neither side lists anything and every link is settled, the planner leaves every
 * link alone (an untouched pair: no item, no event, nothing held or owed), so their count is all it needs. When the
 * store can tell that without handing the links out (`settledLinkCount`: on SQLite two index reads, well under a
 * millisecond, against some 300 ms of reading 10,000 links, which also took CPU from the calendar server answering
 * meanwhile), it is asked instead, and the links are read after the listings, if at all.
 */
async function linksBesideListings(
  store: StatusStore,
  first: LinkRecord[] | null,
  quietPossible: boolean,
  crmListed: Promise<Outcome<ChangeSet<CrmItem>>>,
  calendarsListed: Promise<Outcome<CalendarListing[]>>,
): Promise<{
  crm: ChangeSet<CrmItem>;
  calendars: CalendarListing[];
  links: LinkRecord[];
  /** The links indexed while the servers answered, when they were read then. */
  index: LinkIndex | null;
  linksUnread?: number;
}> {
  const quietCount = quietPossible && store.settledLinkCount ? settled(store.settledLinkCount()) : null;
  const loaded = first ? { value: first } : quietCount ? null : await settled(store.loadLinks());
  const index = !first && loaded && 'value' in loaded ? indexLinks(loaded.value) : null;
  const crm = await crmListed;
  const calendars = await calendarsListed;
  if ('error' in crm) throw crm.error;
  if ('error' in calendars) throw calendars.error;
  const listings = { crm: crm.value, calendars: calendars.value, index };
  if (loaded) {
    if ('error' in loaded) throw loaded.error;
    return { ...listings, links: loaded.value };
  }
  const count = await quietCount!;
  if ('error' in count) throw count.error;
  if (count.value !== null && quiet(crm.value, calendars.value))
    return { ...listings, links: [], linksUnread: count.value };
  return { ...listings, links: await store.loadLinks() };
}

/** Neither side listed anything: incremental listings, each without an item, a removal or a skip. */
function quiet(crm: ChangeSet<CrmItem>, calendars: readonly CalendarListing[]): boolean {
  const nothing = (c: ChangeSet<unknown>): boolean =>
    !c.full && c.upserts.length === 0 && c.removedIds.length === 0 && (c.skipped?.length ?? 0) === 0;
  return nothing(crm) && calendars.every((l) => nothing(l.c));
}

/** A listing's outcome, or a store read's, held as a value. */
type Outcome<T> = { value: T } | { error: unknown };

/** A promise's outcome as a value: a rejection while the run awaits something else is then not unhandled. */
function settled<T>(p: Promise<T>): Promise<Outcome<T>> {
  return p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

interface Gathered {
  input: PlanInput;
  /** The calendar as planned against (series expanded for a CRM without recurrence): writes go through it too. */
  calendar: CalendarProvider;
  nextCursors: Map<string, string | null>;
  fingerprint: string;
  /** Events listed with a repaired value: a warning each in the trail. */
  warnings: { eventId: string; reason: string }[];
}

/** Lists both sides and does the lookups the planner needs (tags of lost creates, iCalUIds, people). */
export async function gather(
  ctx: EngineContext,
  env: EngineEnv,
  meta: SyncMeta,
  cursorOverride: Map<string, string | null> | null,
  /** Linked events an earlier pass of this run found gone when writing to them, per calendar. */
  goneEvents?: ReadonlyMap<string, readonly string[]>,
): Promise<Gathered> {
  const { store, crm } = ctx;
  const sleep = ctx.sleep ?? defaultSleep;
  const retry = <T>(fn: () => Promise<T>): Promise<T> => withRetry(fn, sleep, ctx.signal);
  // Series are expanded against the links (a CRM without recurrence): they are loaded first then.
  const expand = needsExpansion(env.crmCaps, env.calCaps);
  const expansionLinks = expand ? await store.loadLinks() : null;
  const calendar = expansionLinks
    ? new OccurrenceCalendar(ctx.calendar, {
        sourceCalendarIds: ctx.calendars.sourceCalendarIds,
        now: env.now,
        links: expansionLinks,
      })
    : ctx.calendar;
  const tombstones = await store.listTombstones();
  const intents = await store.listIntents();
  const fingerprint = settingsFingerprint(ctx.settings, ctx.calendars);
  const previousFp = await store.getCursor(SETTINGS_KEY);
  const resync = previousFp !== null && previousFp !== fingerprint && cursorOverride === null;
  const cursor = async (key: string): Promise<string | null> => {
    if (cursorOverride) return cursorOverride.get(key) ?? null;
    return resync ? null : store.getCursor(key);
  };
  const window = { from: windowStart(env), to: null };
  const nextCursors = new Map<string, string | null>();
  const warnings: Gathered['warnings'] = [];
  const unchanged = new UnchangedFilter(env, !resync);
  const calendarIds = [...new Set([ctx.calendars.targetCalendarId, ...ctx.calendars.sourceCalendarIds])];
  // When every listing continues from a cursor (a steady run), the listings start first and the links are read
  // while the servers answer (issue 23: at 10,000 links reading and parsing them takes about as long as the CalDAV
  // server's sync-collection answer to a no-op); what a filter kept before they were loaded is filtered after. A
  // complete listing (no cursor, a settings change) gets them first, so that 100,000 unchanged items are dropped as
  // they arrive, never held whole.
  const cursors = await Promise.all([crmCursorKey(), ...calendarIds.map(calendarCursorKey)].map(cursor));
  const linksFirst = expansionLinks ?? (cursors.every((c) => c !== null) ? null : await store.loadLinks());
  const firstIndex = linksFirst ? indexLinks(linksFirst) : null;
  if (firstIndex) unchanged.useLinks(firstIndex);

  // Both sides are listed at once, each mostly waiting on its own server (or database): a run takes the longer of
  // the two listings, not their sum. The outcomes are held as values: one side failing while the other is still
  // listing is not an unhandled rejection, and the run ends only once both have ended.
  const calendarsListed = settled(listCalendars(calendar, calendarIds, unchanged, cursor, window, retry));
  const crmListed = settled(
    retry(async () => {
      // A retried listing starts afresh: what an earlier attempt dropped may have changed since.
      unchanged.crm.clear();
      return crm.listChanges(await cursor(crmCursorKey()), window, unchanged.keepCrm);
    }),
  );
  const quietPossible = !linksFirst && intents.length === 0 && !goneEvents?.size;
  const listed = await linksBesideListings(store, linksFirst, quietPossible, crmListed, calendarsListed);
  const { links, linksUnread } = listed;
  const linkIndex = firstIndex ?? listed.index ?? indexLinks(links);
  unchanged.useLinks(linkIndex);

  // What the filters kept before the links were loaded, or a provider that ignores them returned anyway: filtered now.
  const crmListing = listed.crm;
  const crmChanges = { ...crmListing, upserts: crmListing.upserts.filter(unchanged.keepCrm) };
  // An empty complete listing is not trusted as a baseline: the next run lists in full again.
  const emptyCrm = crmChanges.full && crmChanges.upserts.length === 0 && unchanged.crm.size === 0;
  nextCursors.set(crmCursorKey(), emptyCrm ? null : crmChanges.nextCursor);
  const {
    events,
    cursors: calendarCursors,
    warnings: listingWarnings,
  } = finishCalendars(listed.calendars, unchanged, goneEvents);
  for (const [key, value] of calendarCursors) nextCursors.set(key, value);
  warnings.push(...listingWarnings);
  ctx.onProgress?.({
    phase: 'listing',
    done:
      crmChanges.upserts.length +
      unchanged.crm.size +
      events.reduce((n, e) => n + e.upserts.length + (e.unchanged?.size ?? 0), 0),
    total: 0,
  });

  const taggedExtra = await lostCalendarCreates(calendar, intents, calendarIds, retry);
  const { sharedItems, people } = await meetingLookups(ctx, env, events, linkIndex, retry);
  return {
    input: {
      env,
      calendars: ctx.calendars,
      meta,
      links,
      ...(linksUnread !== undefined ? { linksUnread } : {}),
      linkIndex,
      tombstones,
      crm: {
        upserts: crmChanges.upserts,
        removedIds: crmChanges.removedIds,
        full: crmChanges.full,
        unchanged: unchanged.crm,
      },
      events,
      taggedExtra,
      sharedItems,
      people,
      resync,
    },
    nextCursors,
    fingerprint,
    calendar,
    warnings,
  };
}

/** Creates whose answer may have been lost: found by tag before planning, so they are linked, not re-created. */
async function lostCalendarCreates(
  calendar: CalendarProvider,
  intents: readonly WriteIntent[],
  calendarIds: readonly string[],
  retry: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<CalendarEvent[]> {
  const found: CalendarEvent[] = [];
  const byCalendar = new Map<string, string[]>();
  for (const i of intents) {
    if (i.side === 'calendar') byCalendar.set(i.calendarId, [...(byCalendar.get(i.calendarId) ?? []), i.sourceId]);
  }
  for (const [calendarId, crmIds] of byCalendar) {
    if (!calendarIds.includes(calendarId)) continue;
    for (const part of chunks(crmIds, LOOKUP_BATCH))
      found.push(...(await retry(() => calendar.findByTag(calendarId, part))));
  }
  return found;
}

/** One activity per meeting (and lost CRM creates): CRM items by the iCalUId of every unlinked, untagged event; the
 * contacts of their attendees. */
async function meetingLookups(
  ctx: EngineContext,
  env: EngineEnv,
  events: PlanInput['events'],
  linkIndex: LinkIndex,
  retry: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<{ sharedItems: CrmItem[]; people: PersonMatch[] }> {
  const crm = ctx.crm;
  const sources = new Set(ctx.calendars.sourceCalendarIds);
  const wantedUids = new Set<string>();
  const emails = new Set<string>();
  for (const c of events) {
    if (!sources.has(c.calendarId)) continue;
    for (const e of c.upserts) {
      if (e.crmTag) continue;
      if (!linkIndex.byEvent.has(e.id) && !e.cancelled) wantedUids.add(e.iCalUId);
      for (const a of e.fields.attendees) emails.add(a.email.trim().toLowerCase());
    }
  }
  emails.delete(env.userEmail);
  const sharedItems: CrmItem[] = [];
  if (env.settings.direction !== 'crm-to-calendar') {
    for (const part of chunks([...wantedUids], LOOKUP_BATCH))
      sharedItems.push(...(await retry(() => crm.findByICalUId(part))));
  }
  const people: PersonMatch[] = [];
  if (env.settings.direction !== 'crm-to-calendar' && env.settings.syncInvitees) {
    for (const part of chunks([...emails], LOOKUP_BATCH)) people.push(...(await retry(() => crm.lookupPeople(part))));
  }
  return { sharedItems, people };
}

/** Per item: why it was skipped (SPEC §7), in the trail next to what was done. */
async function recordSkips(store: StatusStore, runId: string, at: string, p: Plan): Promise<void> {
  const entries = p.skips.map((s) => ({
    runId,
    at,
    crmId: s.crmId,
    eventId: s.eventId,
    action: trailAction(s.side, 'skip'),
    reason: s.reason,
  }));
  for (let i = 0; i < entries.length; i += 500) await store.addTrail(entries.slice(i, i + 500));
}

function countGone(gone: ReadonlyMap<string, readonly string[]>): number {
  let n = 0;
  for (const l of gone.values()) n += l.length;
  return n;
}

/** Per event: a value repaired on the way in (SPEC §7), in the trail as a warning. */
async function recordWarnings(
  store: StatusStore,
  runId: string,
  at: string,
  warnings: { eventId: string; reason: string }[],
): Promise<void> {
  const entries = warnings.map((w) => ({
    runId,
    at,
    crmId: null,
    eventId: w.eventId,
    action: trailAction('calendar', 'warning'),
    reason: w.reason,
  }));
  for (let i = 0; i < entries.length; i += 500) await store.addTrail(entries.slice(i, i + 500));
}

function countPlan(p: Plan, report: RunReport): void {
  for (const op of p.ops) {
    for (const s of summariesOf(op)) {
      const side = report[s.side];
      if (s.action === 'create') side.created += 1;
      else if (s.action === 'update' || s.action === 'set-sync-flag') side.updated += 1;
      else if (s.action === 'delete') side.deleted += 1;
      else if (s.action === 'archive') side.archived += 1;
    }
  }
  report.conflicts = p.conflicts;
  report.skipped = p.skips.length;
  report.invitationsSent = p.invitations;
}

/** Dry run: what a run would create / update / delete on each side and how many invitations it would send. */
export async function previewSync(ctx: EngineContext): Promise<SyncPreview> {
  const env = engineEnv(ctx);
  const report = startedReport(newRunId(env.now), 'manual', env.now.toISOString());
  report.status = 'preview';
  try {
    const meta = await ctx.store.getMeta();
    const { input } = await gather(ctx, env, meta, null);
    const p = makePlan(input);
    countPlan(p, report);
    const breaker = checkBreaker(p);
    if (breaker) report.pendingDeletions = breaker;
    report.finishedAt = ctx.now().toISOString();
    return { report, actions: [...p.ops.flatMap(summariesOf), ...p.skips] };
  } catch (e) {
    if (!isProviderError(e)) throw e;
    report.errors.push(describeError(e, 'connector', null, 'Listing the items to sync'));
    report.status = e.kind === 'auth' ? 'needs-reauth' : 'failed';
    report.finishedAt = ctx.now().toISOString();
    return { report, actions: [] };
  }
}

/** The mass-deletion breaker tripped (SPEC §5): the run stops before deleting anything and asks for confirmation. */
async function pauseForConfirmation(
  store: StatusStore,
  runId: string,
  at: string,
  breaker: NonNullable<ReturnType<typeof checkBreaker>>,
): Promise<void> {
  await store.setPendingConfirmation({
    runId,
    createdAt: at,
    crm: breaker.crm,
    calendar: breaker.calendar,
    reason: breaker.reason,
  });
  await store.addTrail([{ runId, at, crmId: null, eventId: null, action: 'breaker', reason: breaker.reason }]);
}

/** After a clean run: the listings' cursors (past this run's own writes), the settings they hold for. */
async function storeCursors(
  store: StatusStore,
  cursors: Map<string, string | null>,
  calendarWritten: CalendarProvider | null,
  fingerprint: string,
): Promise<void> {
  for (const [key, value] of cursors) {
    const calendarId = key.startsWith('calendar:') ? key.slice('calendar:'.length) : null;
    const after =
      calendarId !== null && value !== null && calendarWritten?.cursorAfterWrites
        ? calendarWritten.cursorAfterWrites(calendarId, value)
        : value;
    await store.setCursor(key, after);
  }
  await store.setCursor(SETTINGS_KEY, fingerprint);
  // Every create of this run was answered or found again: no intent is still open.
  for (const i of await store.listIntents()) await store.deleteIntent(i.key);
}

export async function runSync(
  ctx: EngineContext,
  opts: { runId?: string; trigger: RunTrigger; confirmDeletions?: boolean },
): Promise<RunReport> {
  const clock = ctx.now;
  const env = engineEnv(ctx);
  const { store } = ctx;
  const report = startedReport(opts.runId ?? newRunId(env.now), opts.trigger, env.now.toISOString());
  const finish = async (status: RunReport['status']): Promise<RunReport> => {
    report.status = status;
    report.finishedAt = clock().toISOString();
    await store.saveRun(report);
    ctx.onProgress?.({ phase: 'done', done: 1, total: 1 });
    return report;
  };
  await store.saveRun(report);
  try {
    const meta = await store.getMeta();
    let cursors: Map<string, string | null> | null = null;
    let fingerprint = '';
    let failures = 0;
    // Linked events a write found gone (not-found) although the listing had not said so: the next pass plans them as
    // deleted in the calendar (SPEC §5.1), instead of an item error on every run.
    const goneEvents = new Map<string, string[]>();
    let calendarWritten: CalendarProvider | null = null;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      ctx.onProgress?.({ phase: 'listing', done: 0, total: 0 });
      let g: Gathered | null = await gather(ctx, env, meta, null, goneEvents);
      fingerprint = g.fingerprint;
      const nextCursors = g.nextCursors;
      const calendar = g.calendar;
      calendarWritten = calendar;
      const warnings = g.warnings;
      ctx.onProgress?.({ phase: 'planning', done: 0, total: 0 });
      let p: Plan | null = makePlan(g.input);
      // The listings and loaded links are not needed once planned: let them go before the writes (at 100k items
      // they are as large as the plan itself).
      g = null;
      // Planning is over (the benchmark times the phases from these marks); writes follow.
      ctx.onProgress?.({ phase: 'applying', done: 0, total: 0 });
      report.conflicts += p.conflicts;
      if (pass === 0) report.skipped = p.skips.length;
      const breaker = checkBreaker(p);
      if (breaker && !opts.confirmDeletions) {
        report.pendingDeletions = breaker;
        await pauseForConfirmation(store, report.runId, env.now.toISOString(), breaker);
        return await finish('needs-confirmation');
      }
      if (pass === 0 && opts.confirmDeletions) await store.setPendingConfirmation(null);
      if (pass === 0) {
        await recordSkips(store, report.runId, env.now.toISOString(), p);
        await recordWarnings(store, report.runId, env.now.toISOString(), warnings);
      }
      const goneBefore = countGone(goneEvents);
      const deferred = p.deferred;
      const applying = applyPlan(p, {
        crm: ctx.crm,
        calendar,
        store,
        env,
        runId: report.runId,
        report,
        sleep: ctx.sleep ?? defaultSleep,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onProgress: (done, total) => ctx.onProgress?.({ phase: 'applying', done, total }),
        onEventGone: (calendarId, eventId) =>
          goneEvents.set(calendarId, [...(goneEvents.get(calendarId) ?? []), eventId]),
      });
      // The applier has read the plan into job lists that let each operation go once applied: this run keeps no
      // reference to it while the writes go out (at 100k creates it is as large as the listings were).
      p = null;
      const outcome = await applying;
      failures += outcome.failures;
      if (outcome.stopped === 'auth') return await finish('needs-reauth');
      if (outcome.stopped === 'aborted') {
        report.errors.push({
          message: 'The run was stopped before it finished; the next run continues where it left off.',
          kind: 'internal',
          side: 'connector',
          itemId: null,
          retryable: true,
        });
        return await finish('partial');
      }
      cursors = nextCursors;
      const foundGone = countGone(goneEvents) > goneBefore;
      if ((deferred === 0 && !foundGone) || failures > 0) break;
      // Another pass over the same change sets (the stored cursors have not moved): what this pass linked is now
      // a no-op, and what waited for it (modified occurrences of a new series) goes through.
    }
    if (failures === 0 && report.errors.length === 0 && cursors) {
      // Cursors move only after a clean run: a failed item is listed again next time (its writes are idempotent).
      await storeCursors(store, cursors, calendarWritten, fingerprint);
    }
    await store.setMeta({
      firstSyncDone: true,
      ...(failures === 0 && report.errors.length === 0 ? { repairing: false } : {}),
    });
    return await finish(report.errors.length > 0 ? 'partial' : 'succeeded');
  } catch (e) {
    if (!isProviderError(e)) throw e;
    report.errors.push(describeError(e, 'connector', null, 'Listing the items to sync'));
    return await finish(e.kind === 'auth' ? 'needs-reauth' : 'failed');
  }
}

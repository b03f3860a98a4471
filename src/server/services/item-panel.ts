/**
 * The item panel (SPEC §4, §6): the CRM items behind the Outlook item that is open (by event id, iCalUId or an
 * attendee's e-mail) with their sync state, conflicts, trail and matched people; and flipping one item's
 * Sync-to-calendar flag. The pane's routes call this; the status store, the CRM and the calendar are reached here.
 */
import type { Logger } from 'pino';
import type { ItemLookupQuery, ItemLookupResponse, ItemView } from '../../shared/api/items';
import type { Clock } from '../../shared/clock';
import type { SyncSettings } from '../../shared/settings';
import type { CrmItem, Person, Timing } from '../../sync/model';
import type { CrmProvider } from '../../sync/ports';
import type { LinkRecord, StatusStore } from '../../sync/status-store';
import type { ConnectionService } from '../connections/connection-service';
import { HttpError, notFound } from '../errors';
import { probableLinks } from '../items/probable-match';
import type { RunService } from '../runs/run-service';
import type { UserSettingsService } from '../runs/user-settings';

/** What the item panel is built from. */
export interface ItemPanelDeps {
  clock: Clock;
  runs: Pick<RunService, 'store'>;
  userSettings: Pick<UserSettingsService, 'resolved'>;
  connectionService: Pick<ConnectionService, 'openCrm' | 'openCalendar' | 'connector'>;
  logger: Pick<Logger, 'warn'>;
}

/** The signed-in user the panel acts for (the e-mail tells the user's own attendance from others'). */
export interface ItemPanelUser {
  tenantId: string;
  id: string;
  email: string;
}

function startOf(t: Timing | null | undefined): string | null {
  if (!t) return null;
  return t.kind === 'timed' ? t.start : t.startDate;
}

/** SPEC §4: meeting, call, follow-up in the future → on; past → off; task, note → off. */
export function defaultSyncFlag(item: CrmItem, now: Date): boolean {
  if (item.type === 'task' || item.type === 'note') return false;
  const start = startOf(item.fields.timing);
  return start !== null && start >= now.toISOString().slice(0, start.length);
}

/** The sentence the pane shows when an item cannot sync (SPEC §5: a task without a due date never syncs). */
export function cannotSyncReason(item: CrmItem, settings: SyncSettings): string | null {
  if (item.type === 'note') return 'Notes are never synced to the calendar.';
  if (item.type === 'task' && !item.fields.timing) return 'Tasks without a due date never sync: give it a due date.';
  if (!(settings.activityTypes as string[]).includes(item.type)) {
    return `Your settings do not push ${item.type} activities to the calendar.`;
  }
  if (item.archived) return 'The activity is archived in the CRM.';
  return null;
}

async function decorate(store: StatusStore, crmId: string) {
  const [conflicts, trail] = await Promise.all([store.listConflicts({ crmId }, 20), store.listTrail({ crmId }, 20)]);
  return { conflicts, trail };
}

async function fromLink(store: StatusStore, link: LinkRecord): Promise<ItemView> {
  return {
    crmId: link.crmId,
    type: link.crmInfo?.type ?? 'meeting',
    subject: link.crmFields.subject,
    start: startOf(link.crmFields.timing),
    url: link.crmInfo?.url ?? null,
    syncToCalendar: true,
    cannotSyncReason: null,
    linkedEventId: link.eventId,
    lastSyncedAt: link.syncedAt,
    ...(await decorate(store, link.crmId)),
    people: [],
  };
}

async function fromItem(
  store: StatusStore,
  item: CrmItem,
  link: LinkRecord | undefined,
  settings: SyncSettings,
  now: Date,
): Promise<ItemView> {
  return {
    crmId: item.id,
    type: item.type,
    subject: item.fields.subject,
    start: startOf(item.fields.timing),
    url: item.url,
    syncToCalendar: item.syncToCalendar ?? defaultSyncFlag(item, now),
    cannotSyncReason: cannotSyncReason(item, settings),
    linkedEventId: link?.eventId ?? null,
    lastSyncedAt: link?.syncedAt ?? null,
    ...(await decorate(store, item.id)),
    people: [],
  };
}

/**
 * Fills each view's matched contacts and leads: one batched lookup for all invitees (SPEC §5 matching). The
 * panel is still useful without them, so a CRM that cannot be reached leaves the lists empty.
 */
async function withPeople(
  d: ItemPanelDeps,
  tenantId: string,
  userId: string,
  entries: { view: ItemView; attendees: Person[] }[],
  opened?: CrmProvider,
): Promise<ItemView[]> {
  const emails = [...new Set(entries.flatMap((e) => e.attendees.map((a) => a.email.toLowerCase())))];
  if (emails.length === 0) return entries.map((e) => e.view);
  try {
    const provider = opened ?? (await d.connectionService.openCrm(tenantId, userId)).provider;
    const byEmail = new Map((await provider.lookupPeople(emails)).map((m) => [m.email.toLowerCase(), m]));
    return entries.map(({ view, attendees }) => ({
      ...view,
      people: attendees
        .map((a) => byEmail.get(a.email.toLowerCase()))
        .filter((m) => m !== undefined)
        .map((m) => ({
          email: m.email,
          name: m.name,
          kind: m.kind,
          contactId: m.contactId,
          companyId: m.companyId,
          companyName: m.companyName ?? null,
        })),
    }));
  } catch (e) {
    d.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'people lookup for the item panel failed');
    return entries.map((e) => e.view);
  }
}

/** What a calendar provider may offer to resolve the item open in Outlook (the Graph provider does). */
interface OutlookItemResolver {
  resolveOutlookItem(
    restId: string,
  ): Promise<{ id: string; iCalUId: string | null; seriesMasterId: string | null } | null>;
}

function canResolve(p: unknown): p is OutlookItemResolver {
  return typeof (p as Partial<OutlookItemResolver> | null)?.resolveOutlookItem === 'function';
}

/**
 * The event behind an Outlook item id; null when the calendar does not know it (or cannot be asked);
 * `{ cannot }` with the connection's name when the calendar cannot resolve Outlook ids at all (Google, CalDAV).
 */
async function resolveOpenItem(
  d: ItemPanelDeps,
  tenantId: string,
  userId: string,
  restId: string,
): Promise<{ id: string; iCalUId: string | null; seriesMasterId: string | null } | { cannot: string } | null> {
  try {
    const { provider, record } = await d.connectionService.openCalendar(tenantId, userId);
    if (!canResolve(provider)) {
      // The provider's name without its examples: "CalDAV (iCloud, Fastmail, …)" → "CalDAV".
      const label = d.connectionService.connector('calendar', record.provider).descriptor.label;
      return { cannot: label.replace(/\s*\([^)]*\)\s*$/, '') || label };
    }
    return await provider.resolveOutlookItem(restId);
  } catch (e) {
    d.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'resolving the open Outlook item failed');
    return null;
  }
}

export class ItemPanelService {
  constructor(private readonly d: ItemPanelDeps) {}

  async lookup(user: ItemPanelUser, query: ItemLookupQuery): Promise<ItemLookupResponse> {
    const d = this.d;
    const { tenantId, id } = user;
    const store = d.runs.store(tenantId, id);
    const links = await store.loadLinks();
    const linked = async (matches: LinkRecord[]) =>
      withPeople(
        d,
        tenantId,
        id,
        await Promise.all(
          matches.map(async (l) => ({ view: await fromLink(store, l), attendees: l.crmFields.attendees })),
        ),
      );
    let iCalUId = query.iCalUId;
    if (query.eventId !== undefined) {
      const direct = links.filter((l) => l.eventId === query.eventId);
      if (direct.length) return { items: await linked(direct) };
      // Office.js gives a REST id (not the immutable id links hold) and, for an occurrence, its series: the
      // calendar provider resolves them to the event, its series master and its iCalUId.
      const ref = await resolveOpenItem(d, tenantId, id, query.eventId);
      if (ref && 'cannot' in ref) {
        // No exact way from an Outlook id to this calendar's events: what Outlook shows of the item, as a last resort.
        const hint =
          query.subject !== undefined && query.start !== undefined
            ? { subject: query.subject, start: query.start, organizer: query.organizer ?? null }
            : null;
        const probable = hint ? probableLinks(links, hint, user.email) : [];
        return probable.length
          ? { items: await linked(probable), match: 'probable' as const, calendarName: ref.cannot }
          : { items: [], match: 'unresolved' as const, calendarName: ref.cannot };
      }
      if (!ref) return { items: [] };
      for (const candidate of [ref.id, ref.seriesMasterId]) {
        const hit = candidate ? links.filter((l) => l.eventId === candidate) : [];
        if (hit.length) return { items: await linked(hit) };
      }
      if (!ref.iCalUId) return { items: [] };
      iCalUId = ref.iCalUId;
    }
    if (iCalUId !== undefined) {
      const byUid = links.filter((l) => l.iCalUId === iCalUId);
      if (byUid.length) return { items: await linked(byUid) };
      const { provider } = await d.connectionService.openCrm(tenantId, id);
      const settings = await d.userSettings.resolved(tenantId, id);
      const items = await provider.findByICalUId([iCalUId]);
      const entries = await Promise.all(
        items.map(async (i) => ({
          view: await fromItem(store, i, undefined, settings, d.clock()),
          attendees: i.fields.attendees,
        })),
      );
      return { items: await withPeople(d, tenantId, id, entries, provider) };
    }
    const email = query.email ?? '';
    const matches = links
      .filter((l) =>
        [...l.crmFields.attendees, ...l.eventFields.attendees].some((a) => a.email.toLowerCase() === email),
      )
      .sort((a, b) => (startOf(b.crmFields.timing) ?? '').localeCompare(startOf(a.crmFields.timing) ?? ''))
      .slice(0, 20);
    return { items: await linked(matches) };
  }

  async setSyncFlag(user: ItemPanelUser, crmId: string, enabled: boolean): Promise<{ item: ItemView }> {
    const d = this.d;
    const { tenantId, id } = user;
    const { provider } = await d.connectionService.openCrm(tenantId, id);
    const [result] = await provider.writeItems([{ op: 'set-sync-flag', id: crmId, value: enabled }]);
    if (!result) throw new HttpError(502, 'unavailable', 'The CRM gave no answer.');
    if (!result.ok) {
      if (result.error.kind === 'not-found') throw notFound('CRM item');
      throw new HttpError(502, 'unavailable', `The CRM refused the change: ${result.error.message}`);
    }
    const store = d.runs.store(tenantId, id);
    const settings = await d.userSettings.resolved(tenantId, id);
    const link = (await store.loadLinks()).find((l) => l.crmId === crmId);
    if (result.value)
      return {
        item: await fromItem(store, { ...result.value, syncToCalendar: enabled }, link, settings, d.clock()),
      };
    const [found] = link ? [await fromLink(store, link)] : [];
    if (!found) throw notFound('CRM item');
    return { item: { ...found, syncToCalendar: enabled } };
  }
}

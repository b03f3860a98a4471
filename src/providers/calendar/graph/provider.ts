import type { Calendar, Event, User } from '@microsoft/microsoft-graph-types';
import { ProviderError } from '../../../sync/errors';
import type { CalendarEvent } from '../../../sync/model';
import type {
  CalendarCapabilities,
  CalendarInfo,
  CalendarProvider,
  ChangeSet,
  EventWrite,
  ListWindow,
  ListingFilter,
  WriteResult,
} from '../../../sync/ports';
import type { GraphApi } from './api';
import type { Page } from './paths';
import { GraphReader, type ReaderOptions } from './reader';
import { GraphWriter } from './writer';

export { transactionIdFor } from './writer';

export type GraphProviderOptions = ReaderOptions;

/** The event behind an Outlook item, as the item panel needs it (immutable id, series master, iCalUId). */
export interface OutlookItemRef {
  id: string;
  iCalUId: string | null;
  seriesMasterId: string | null;
}

/** The engine's calendar port over Microsoft Graph (SPEC §5, §12): reading and writing live in their own modules. */
export class GraphCalendarProvider implements CalendarProvider {
  readonly kind = 'microsoft-graph';
  readonly capabilities: CalendarCapabilities = {
    recurrence: true,
    tags: true,
    silentAttendees: false,
    maxBatch: 20,
    idempotentCreate: true,
  };
  private readonly reader: GraphReader;
  private readonly writer: GraphWriter;

  constructor(
    readonly api: GraphApi,
    private readonly o: GraphProviderOptions,
  ) {
    this.reader = new GraphReader(api, o);
    this.writer = new GraphWriter(api, {
      selfEmail: o.selfEmail,
      findByTag: (calendarId, crmIds) => this.reader.findByTag(calendarId, crmIds),
    });
  }

  now(): Date {
    return this.o.now();
  }

  async testConnection(): Promise<{ account: string }> {
    const me = await this.api.get<User>('/me?$select=mail,userPrincipalName,displayName');
    return { account: me.mail ?? me.userPrincipalName ?? me.displayName ?? 'Microsoft 365 account' };
  }

  async listCalendars(): Promise<CalendarInfo[]> {
    const out: CalendarInfo[] = [];
    let path: string | null = '/me/calendars?$select=id,name,isDefaultCalendar,canEdit,hexColor&$top=100';
    while (path) {
      const page: Page<Calendar> = await this.api.get<Page<Calendar>>(path);
      for (const c of page.value) {
        out.push({
          id: c.id ?? '',
          name: c.name ?? '',
          isDefault: c.isDefaultCalendar ?? false,
          canWrite: c.canEdit ?? false,
          color: c.hexColor || null,
        });
      }
      path = page['@odata.nextLink'] ? this.api.relative(page['@odata.nextLink']) : null;
    }
    return out;
  }

  listChanges(
    calendarId: string,
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CalendarEvent>,
  ): Promise<ChangeSet<CalendarEvent>> {
    return this.reader.listChanges(calendarId, cursor, window, keep);
  }

  findByTag(calendarId: string, crmIds: string[]): Promise<CalendarEvent[]> {
    return this.reader.findByTag(calendarId, crmIds);
  }

  /**
   * The event behind the item open in Outlook. Office.js hands out REST ids that are not the immutable ids this
   * provider works with: `POST /me/translateExchangeIds` (user-translateexchangeids.md, restId →
   * restImmutableEntryId) converts, then the event gives its series master and iCalUId. Null when Graph does not
   * know the item (not in this mailbox).
   */
  async resolveOutlookItem(restId: string): Promise<OutlookItemRef | null> {
    try {
      const t = await this.api.post<{ value?: { sourceId?: string; targetId?: string }[] }>(
        '/me/translateExchangeIds',
        {
          inputIds: [restId],
          sourceIdType: 'restId',
          targetIdType: 'restImmutableEntryId',
        },
      );
      const id = t.value?.[0]?.targetId;
      if (!id) return null;
      const ev = await this.api.get<Event>(
        `/me/events/${encodeURIComponent(id)}?$select=id,iCalUId,seriesMasterId,type`,
      );
      return { id: ev.id ?? id, iCalUId: ev.iCalUId ?? null, seriesMasterId: ev.seriesMasterId ?? null };
    } catch (e) {
      if (e instanceof ProviderError && (e.kind === 'not-found' || e.kind === 'invalid')) return null;
      throw e;
    }
  }

  writeEvents(calendarId: string, writes: EventWrite[]): Promise<WriteResult<CalendarEvent | null>[]> {
    return this.writer.writeEvents(calendarId, writes);
  }
}

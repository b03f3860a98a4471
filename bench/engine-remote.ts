/**
 * The runner's side of the engine benchmark's vendor process: CrmProvider and CalendarProvider implemented over
 * IPC to engine-vendor.ts, as a real provider implements them over HTTP. Listings arrive page by page and are
 * assembled into the ChangeSet the port promises; write results get their ProviderErrors back.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { CalendarEvent, CrmItem, PersonMatch } from '../src/sync/model';
import type {
  CalendarCapabilities,
  CalendarInfo,
  CalendarProvider,
  ChangeSet,
  CrmCapabilities,
  CrmProvider,
  CrmWrite,
  EventWrite,
  ListWindow,
  ListingFilter,
  WriteResult,
} from '../src/sync/ports';
import { ProviderError, type ProviderErrorKind } from '../src/sync/errors';
import {
  VENDOR_FLAG,
  type ListingPage,
  type VendorRequest,
  type VendorResponse,
  type WireError,
} from './engine-vendor';

function toError(w: WireError): Error {
  if (w.kind === 'fatal') return new Error(`vendor process: ${w.message}`);
  return new ProviderError(w.kind as ProviderErrorKind, w.message, {
    ...(w.status !== undefined ? { status: w.status } : {}),
    ...(w.retryAfterMs !== undefined ? { retryAfterMs: w.retryAfterMs } : {}),
    ...(w.uncertain !== undefined ? { uncertain: w.uncertain } : {}),
  });
}

export class VendorProcess {
  private readonly child: ChildProcess;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(script: string) {
    // JSON, not 'advanced': objects V8 deserializes from structured clones are slow to read (dictionary mode),
    // while JSON.parse gives the fast shapes a real provider's HTTP client gets from its responses.
    this.child = fork(script, [VENDOR_FLAG], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child.on('message', (m: VendorResponse) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.value);
      else w.reject(toError(m.error));
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`vendor process exited ${code}`));
      this.waiting.clear();
    });
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, method, args } satisfies VendorRequest);
    });
  }

  /**
   * Fetches the pages after the first and assembles the listing, keeping of every page only what the engine's
   * filter wants (as a real provider does with its HTTP pages).
   */
  async listing<T>(first: ListingPage<T>, keep: ListingFilter<T> | undefined): Promise<ChangeSet<T>> {
    const wanted = (u: T): boolean => keep?.(u) ?? true;
    const upserts = first.upserts.filter(wanted);
    let offset = first.upserts.length;
    while (offset < first.total) {
      const page = await this.call<T[]>('listing.more', first.token, offset);
      offset += page.length;
      for (const u of page) if (wanted(u)) upserts.push(u);
    }
    return { upserts, removedIds: first.removedIds, full: first.full, nextCursor: first.nextCursor };
  }

  async providers(): Promise<{ crm: CrmProvider; calendar: CalendarProvider }> {
    const caps = await this.call<{ crm: CrmCapabilities; calendar: CalendarCapabilities }>('capabilities');
    const results = <R>(raw: { ok: boolean; value?: R; error?: WireError }[]): WriteResult<R>[] =>
      raw.map((r) =>
        r.ok ? { ok: true, value: r.value as R } : { ok: false, error: toError(r.error!) as ProviderError },
      );
    const crm: CrmProvider = {
      kind: 'memory-remote',
      capabilities: caps.crm,
      testConnection: () => this.call('crm.testConnection'),
      listChanges: async (cursor: string | null, window: ListWindow, keep?: ListingFilter<CrmItem>) =>
        this.listing(await this.call<ListingPage<CrmItem>>('crm.listChanges', cursor, window), keep),
      findByICalUId: (ids: string[]) => this.call<CrmItem[]>('crm.findByICalUId', ids),
      lookupPeople: (emails: string[]) => this.call<PersonMatch[]>('crm.lookupPeople', emails),
      createContact: (person) => this.call<PersonMatch>('crm.createContact', person),
      writeItems: async (writes: CrmWrite[]) => results<CrmItem | null>(await this.call('crm.writeItems', writes)),
    };
    const calendar: CalendarProvider = {
      kind: 'memory-remote',
      capabilities: caps.calendar,
      testConnection: () => this.call('calendar.testConnection'),
      listCalendars: () => this.call<CalendarInfo[]>('calendar.listCalendars'),
      listChanges: async (
        calendarId: string,
        cursor: string | null,
        window: ListWindow,
        keep?: ListingFilter<CalendarEvent>,
      ) =>
        this.listing(
          await this.call<ListingPage<CalendarEvent>>('calendar.listChanges', calendarId, cursor, window),
          keep,
        ),
      findByTag: (calendarId: string, crmIds: string[]) =>
        this.call<CalendarEvent[]>('calendar.findByTag', calendarId, crmIds),
      writeEvents: async (calendarId: string, writes: EventWrite[]) =>
        results<CalendarEvent | null>(await this.call('calendar.writeEvents', calendarId, writes)),
    };
    return { crm, calendar };
  }

  stop(): void {
    this.child.disconnect();
  }
}

/**
 * The vendor side of the engine benchmark, run in a process of its own: the in-memory CRM and calendar hold what a
 * real deployment keeps at the vendor (Salesforce, Dynamics, Exchange, Google, a CalDAV server), so their memory
 * is not the runner's. The runner talks to them through the provider ports over IPC (engine-remote.ts); long
 * listings travel in pages, the way Graph delta, Google sync tokens and CRM query cursors page them.
 */
import type { CrmProvider, CalendarProvider, ChangeSet } from '../src/sync/ports';
import type { SyncedFields } from '../src/sync/model';
import { MemoryCalendar, MemoryCrm } from '../src/sync/testing';
import { isProviderError } from '../src/sync/errors';

export const VENDOR_FLAG = '--engine-bench-vendor';
export const BENCH_USER = 'bench@example.com';
export const BENCH_NOW = new Date('2026-11-21T09:00:00.000Z');
/** Upserts per listing page (Graph delta pages hold up to 1,000 events with odata.maxpagesize; CRMs 200–2,000). */
export const PAGE_SIZE = 1_000;

export interface VendorRequest {
  id: number;
  method: string;
  args: unknown[];
}

export interface WireError {
  kind: string;
  message: string;
  status?: number;
  retryAfterMs?: number;
  uncertain?: boolean;
}

export type VendorResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

/** A listing is handed over page by page: the first page with the totals, then the rest on request. */
export interface ListingPage<T> {
  token: number;
  total: number;
  upserts: T[];
  removedIds: string[];
  full: boolean;
  nextCursor: string;
}

export function benchItem(i: number): SyncedFields {
  const start = new Date(BENCH_NOW.getTime() + (1 + (i % 300)) * 86_400_000 + (i % 9) * 3_600_000);
  return {
    subject: `Meeting ${i}`,
    timing: {
      kind: 'timed',
      start: start.toISOString(),
      end: new Date(start.getTime() + 3_600_000).toISOString(),
      timeZone: 'Europe/Berlin',
    },
    body: `Agenda for meeting ${i}`,
    location: `Room ${i % 40}`,
    visibility: 'normal',
    showAs: 'busy',
    attendees: [{ email: `client${i % 500}@acme.test`, name: `Client ${i % 500}` }],
    recurrence: null,
    reminderMinutes: 15,
  };
}

function wireError(e: unknown): WireError {
  if (isProviderError(e)) {
    return {
      kind: e.kind,
      message: e.message,
      ...(e.status !== undefined ? { status: e.status } : {}),
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      uncertain: e.uncertain,
    };
  }
  return { kind: 'fatal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}

/** Write results carry ProviderErrors, which do not survive structured cloning as such. */
function wireResults(results: { ok: boolean; value?: unknown; error?: unknown }[]): unknown[] {
  return results.map((r) => (r.ok ? r : { ok: false, error: wireError(r.error) }));
}

class Vendor {
  private readonly now = (): Date => BENCH_NOW;
  readonly crm = new MemoryCrm({
    userEmail: BENCH_USER,
    now: this.now,
    capabilities: { maxBatch: 100 },
    keepWriteLog: false,
  });
  readonly cal = new MemoryCalendar({ userEmail: BENCH_USER, now: this.now, keepWriteLog: false });
  private readonly listings = new Map<number, unknown[]>();
  private nextToken = 1;

  private page<T>(c: ChangeSet<T>): ListingPage<T> {
    const token = this.nextToken++;
    if (c.upserts.length > PAGE_SIZE) this.listings.set(token, c.upserts);
    return { ...c, token, total: c.upserts.length, upserts: c.upserts.slice(0, PAGE_SIZE) };
  }

  private more(token: number, offset: number): unknown[] {
    const all = this.listings.get(token);
    if (!all) throw new Error(`No listing ${token}`);
    const part = all.slice(offset, offset + PAGE_SIZE);
    if (offset + PAGE_SIZE >= all.length) this.listings.delete(token);
    return part;
  }

  async call(method: string, args: unknown[]): Promise<unknown> {
    const crm: CrmProvider = this.crm;
    const cal: CalendarProvider = this.cal;
    // The runner sends what the port signature takes; this process trusts its own parent.
    const a = (i: number): never => args[i] as never;
    switch (method) {
      case 'capabilities':
        return { crm: crm.capabilities, calendar: cal.capabilities };
      case 'crm.testConnection':
        return crm.testConnection();
      case 'crm.listChanges':
        return this.page(await crm.listChanges(a(0), a(1)));
      case 'crm.findByICalUId':
        return crm.findByICalUId(a(0));
      case 'crm.lookupPeople':
        return crm.lookupPeople(a(0));
      case 'crm.createContact':
        return crm.createContact!(a(0));
      case 'crm.writeItems':
        return wireResults(await crm.writeItems(a(0)));
      case 'calendar.testConnection':
        return cal.testConnection();
      case 'calendar.listCalendars':
        return cal.listCalendars();
      case 'calendar.listChanges':
        return this.page(await cal.listChanges(a(0), a(1), a(2)));
      case 'calendar.findByTag':
        return cal.findByTag(a(0), a(1));
      case 'calendar.writeEvents':
        return wireResults(await cal.writeEvents(a(0), a(1)));
      case 'listing.more':
        return this.more(a(0), a(1));
      case 'bench.seed':
        for (let i = 0; i < a(0); i++) this.crm.userCreate({ type: 'meeting', fields: benchItem(i) });
        return null;
      case 'bench.stats':
        return this.stats();
      case 'bench.userEdits':
        return this.userEdits();
      case 'bench.duplicateEvents':
        return this.duplicateEvents();
      default:
        throw new Error(`Unknown vendor method ${method}`);
    }
  }

  private stats(): Record<string, number> {
    return {
      crmWrites: this.crm.writeCount,
      calendarWrites: this.cal.writeCount,
      crmItems: this.crm.data.items.size,
      calendarEvents: this.cal.size,
      peakRssMb: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
    };
  }

  /** 100 changes among the synced items: 50 edited in the CRM, 50 events moved in the calendar. */
  private userEdits(): number {
    const ids = this.cal.ids();
    for (let i = 0; i < 50; i++) this.crm.userUpdate(`crm-${1 + i * 97}`, { subject: `Changed ${i}` });
    for (let i = 0; i < 50; i++) this.cal.userUpdate(ids[(i * 89 + 13) % ids.length]!, { location: `Moved ${i}` });
    return 100;
  }

  /** A tagged copy of every event (what a second connector or a botched migration leaves behind). */
  private duplicateEvents(): number {
    const events = this.cal.all();
    for (const e of events) {
      this.cal.userCreate('primary', { fields: e.fields, crmTag: e.crmTag, iCalUId: `${e.iCalUId}-copy` });
    }
    return events.length;
  }
}

export function serveVendor(): void {
  const vendor = new Vendor();
  process.on('message', (m: VendorRequest) => {
    vendor.call(m.method, m.args).then(
      (value) => process.send!({ id: m.id, ok: true, value } satisfies VendorResponse),
      (e: unknown) => process.send!({ id: m.id, ok: false, error: wireError(e) } satisfies VendorResponse),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[2] === VENDOR_FLAG) serveVendor();

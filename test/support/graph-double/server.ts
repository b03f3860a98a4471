import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Attendee, Event } from '@microsoft/microsoft-graph-types';
import { GraphState, type StoredEvent } from './state';
import { htmlToText } from './time';

/**
 * A stateful Microsoft Graph v1.0 double on 127.0.0.1, written from Graph's documentation (paths below are pages of
 * microsoftgraph/microsoft-graph-docs-contrib; each rule names its page): events CRUD, calendarView delta of the
 * primary calendar with skip/delta tokens (and @removed for events that leave the window), calendarView of other
 * calendars, series with /instances, $batch (parallel, or sequenced with dependsOn and 424), transactionId dedupe
 * and ErrorDuplicateTransactionId, single-value extended properties with $filter/$expand, 429 + Retry-After
 * injection, the 4-concurrent-requests limit, subscriptions with the validationToken handshake and the lifetime
 * maximum, and a record of every e-mail Graph would have sent. What the docs do not promise, the double does not do:
 * it ignores If-Match on events.
 */
export interface LoggedRequest {
  method: string;
  url: string;
  prefer: string;
  ifMatch: string | null;
  body: unknown;
  inBatch: boolean;
}

interface Req {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
  inBatch: boolean;
}
interface Res {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

interface PageState {
  items: unknown[];
  offset: number;
  /** For delta rounds: the token that ends the round. */
  deltaToken?: string;
  base: string;
}

/** subscription.md, v1.0 as stored: the maximum lifetime of a subscription to Outlook events. */
export const maxEventSubscriptionMinutes = 4230;

const err = (status: number, code: string, message: string): Res => ({
  status,
  body: { error: { code, message } },
});

export class GraphDouble {
  readonly state: GraphState;
  readonly log: LoggedRequest[] = [];
  token = 'valid-token';
  /** Artificial latency per top-level request, so concurrency becomes observable. */
  latencyMs = 0;
  maxInFlight = 0;
  concurrencyViolations = 0;
  private inFlight = 0;
  private drops: { remaining: number; match: (method: string, url: string) => boolean } | null = null;
  /** Answers the double cut off (dropResponses). */
  dropped: string[] = [];
  private throttles: {
    scope: 'top' | 'sub';
    remaining: number;
    retryAfter: number;
    status: number;
    method?: string;
  }[] = [];
  private pages = new Map<string, PageState>();
  /** Graph remembers transactionIds so a retried POST returns the event it already made (with the body it came with). */
  private readonly byTransactionId = new Map<string, { id: string; body: string }>();
  private tokensValidFrom = 0;
  /** How an expired delta token is answered (expireDeltaTokens). */
  private expiry: { status: number; code: string } = { status: 400, code: 'syncStateNotFound' };
  /** The next `n` GETs answer 412 ErrorIrresolvableConflict (irresolvableConflictOnGet). */
  private getConflicts = 0;
  /** Every /me request answers 404 MailboxNotEnabledForRESTAPI (disableMailbox). */
  private mailboxDisabled = false;
  /** $batch bodies that mixed dependsOn with independent requests (json-batching.md: fully sequential or fully parallel). */
  mixedBatches = 0;
  readonly subscriptions = new Map<string, Record<string, unknown>>();
  private server: http.Server | null = null;
  baseUrl = '';

  constructor(userEmail = 'sam@contoso.example') {
    this.state = new GraphState(userEmail);
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.onRequest(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}/v1.0`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  /** The next `count` requests (top-level, or sub-requests inside $batch) answer 429 with Retry-After. */
  throttle(
    count: number,
    retryAfterSeconds: number,
    scope: 'top' | 'sub' = 'top',
    status = 429,
    method?: string,
  ): void {
    this.throttles.push({
      scope,
      remaining: count,
      retryAfter: retryAfterSeconds,
      status,
      ...(method ? { method } : {}),
    });
  }

  /** The next `count` top-level requests are carried out, then the connection is cut before the answer. */
  dropResponses(count: number, match: (method: string, url: string) => boolean = () => true): void {
    this.drops = { remaining: count, match };
  }

  /**
   * Every delta token issued so far becomes invalid. concepts/delta-query-overview.md ("Synchronization reset"):
   * an expired token answers a 40X-series status with the code syncStateNotFound (or resyncRequired), and tenant
   * maintenance answers 410 Gone; which 40X comes is not fixed, so tests pick it.
   */
  expireDeltaTokens(answer: { status: number; code: string } = { status: 400, code: 'syncStateNotFound' }): void {
    this.tokensValidFrom = this.state.seq + 1;
    this.expiry = answer;
  }

  /** concepts/errors.md: 412 ErrorIrresolvableConflict can answer a GET too (a concurrent change in the store). */
  irresolvableConflictOnGet(count: number): void {
    this.getConflicts = count;
  }

  /**
   * The mailbox has no REST API (on-premises, inactive, unlicensed): Graph answers 404 with the code
   * MailboxNotEnabledForRESTAPI, which is not an item that is gone. No docs page lists it (concepts/errors.md says
   * the code, not the status, tells errors apart); the answer is the one real clients meet.
   */
  disableMailbox(disabled = true): void {
    this.mailboxDisabled = disabled;
  }

  get mails() {
    return this.state.mails;
  }

  /** Requests as Graph would count them: top-level ones, plus those carried in $batch. */
  topLevel(): LoggedRequest[] {
    return this.log.filter((l) => !l.inBatch);
  }

  // ------------------------------------------------------------------ user-side actions (as Outlook would)

  /** An event the user creates in Outlook (no tag). */
  userCreate(ev: Event, calendarId = this.state.defaultCalendarId): StoredEvent {
    const s = this.createStored({ ...ev }, calendarId, null, new Map());
    return s;
  }

  userUpdate(id: string, patch: Event): void {
    const s = this.state.events.get(id);
    if (!s) throw new Error(`no event ${id}`);
    Object.assign(s.ev, patch);
    GraphState.normaliseTimes(s.ev, { keepZones: !patch.start && !patch.end });
    this.state.touch(s);
  }

  userDelete(id: string): void {
    const r = this.deleteEvent(id, null, false);
    if (r.status >= 300) throw new Error(`delete failed ${r.status}`);
  }

  /** Ground truth for tests: every stored event of a calendar as a GET with our tag expanded and a text body. */
  snapshot(calendarId: string, tagPropertyId: string): Event[] {
    const req: Req = {
      method: 'GET',
      url: new URL(
        `http://x/?$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${tagPropertyId}')`)}&$select=${encodeURIComponent('id,changeKey,lastModifiedDateTime,iCalUId,subject,body,start,end,isAllDay,location,sensitivity,showAs,attendees,recurrence,isReminderOn,reminderMinutesBeforeStart,isCancelled,isOrganizer,categories,type,seriesMasterId,originalStart,originalStartTimeZone,cancelledOccurrences')}`,
      ),
      headers: { prefer: 'outlook.body-content-type="text"' },
      body: undefined,
      inBatch: true,
    };
    return [...this.state.events.values()]
      .filter((s) => s.calendarId === calendarId)
      .map((s) => this.render(s, req) as Event);
  }

  // ------------------------------------------------------------------ HTTP plumbing

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      let body: unknown = undefined;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          return this.send(res, err(400, 'BadRequest', 'body is not JSON'));
        }
      }
      if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
      let out: Res;
      if (this.inFlight > 4) {
        this.concurrencyViolations++;
        out = { ...err(429, 'ApplicationThrottled', 'MailboxConcurrency limit hit'), headers: { 'Retry-After': '1' } };
      } else {
        out = await this.dispatch({
          method: req.method ?? 'GET',
          url: new URL(req.url ?? '/', 'http://127.0.0.1'),
          headers,
          body,
          inBatch: false,
        });
      }
      const url = req.url ?? '/';
      if (this.drops && this.drops.remaining > 0 && this.drops.match(req.method ?? 'GET', url)) {
        this.drops.remaining--;
        this.dropped.push(`${req.method} ${url}`);
        req.socket.destroy();
        return;
      }
      this.send(res, out);
    } finally {
      this.inFlight--;
    }
  }

  private send(res: http.ServerResponse, out: Res): void {
    const headers: Record<string, string> = { ...(out.headers ?? {}) };
    if (out.body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
    res.writeHead(out.status, headers);
    res.end(out.body === undefined ? undefined : typeof out.body === 'string' ? out.body : JSON.stringify(out.body));
  }

  private async dispatch(req: Req): Promise<Res> {
    this.log.push({
      method: req.method,
      url: `${req.url.pathname}${req.url.search}`,
      prefer: req.headers['prefer'] ?? '',
      ifMatch: req.headers['if-match'] ?? null,
      body: req.body,
      inBatch: req.inBatch,
    });
    if (!req.inBatch && req.headers['authorization'] !== `Bearer ${this.token}`) {
      return err(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
    }
    if (req.method === 'GET' && this.getConflicts > 0 && req.url.pathname.includes('/events')) {
      this.getConflicts--;
      return err(412, 'ErrorIrresolvableConflict', 'The send or update operation could not be performed.');
    }
    const t = this.throttles.find(
      (x) => x.remaining > 0 && x.scope === (req.inBatch ? 'sub' : 'top') && (!x.method || x.method === req.method),
    );
    if (t) {
      t.remaining--;
      return { ...err(t.status, 'TooManyRequests', 'throttled'), headers: { 'Retry-After': String(t.retryAfter) } };
    }
    const path = req.url.pathname.replace(/^\/v1\.0/, '');
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    const m = req.method;
    try {
      if (path === '/$batch' && m === 'POST' && !req.inBatch) return await this.batch(req);
      if (seg[0] === 'subscriptions') return await this.subscriptionsRoute(req, seg[1]);
      if (seg[0] !== 'me') return err(404, 'ResourceNotFound', `no route ${path}`);
      if (this.mailboxDisabled)
        return err(
          404,
          'MailboxNotEnabledForRESTAPI',
          'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
        );
      // calendar-get.md: GET /me/calendar is the primary calendar.
      if (seg[1] === 'calendar' && seg.length === 2 && m === 'GET')
        return { status: 200, body: this.state.calendars.get(this.state.defaultCalendarId) };
      // event-delta.md (v1.0): calendarView delta is documented for the primary calendar only.
      if (seg[1] === 'calendarView' && seg[2] === 'delta' && seg.length === 3 && m === 'GET')
        return this.delta(req, this.state.defaultCalendarId, '/me/calendarView/delta');
      if (seg.length === 1 && m === 'GET')
        return { status: 200, body: { mail: this.state.userEmail, userPrincipalName: this.state.userEmail } };
      if (seg[1] === 'outlook' && seg[2] === 'masterCategories') return this.categories(req);
      // user-translateexchangeids.md: converts ids between formats. The double's stored ids are immutable ids; it
      // models a (mutable) REST id as "REST-" + the immutable id, the EWS id as "EWS-" + it.
      if (seg[1] === 'translateExchangeIds' && m === 'POST') return this.translateIds(req);
      if (seg[1] === 'calendars' && seg.length === 2 && m === 'GET')
        return { status: 200, body: { value: [...this.state.calendars.values()] } };
      if (seg[1] === 'calendars' && seg[2]) {
        const cal = seg[2];
        if (!this.state.calendars.has(cal)) return err(404, 'ErrorItemNotFound', 'calendar not found');
        // /me/calendars/{id}/calendarView/delta is a beta path (beta event-delta.md); v1.0 does not document it.
        if (seg[3] === 'calendarView' && seg[4] === 'delta')
          return err(400, 'BadRequest', "Resource not found for the segment 'delta'.");
        // calendar-list-calendarview.md: the occurrences, exceptions and single events of a calendar in a range.
        if (seg[3] === 'calendarView' && seg.length === 4 && m === 'GET') return this.calendarView(req, cal);
        if (seg[3] === 'events' && seg.length === 4 && m === 'POST') return this.create(req, cal);
        if (seg[3] === 'events' && seg.length === 4 && m === 'GET') return this.listEvents(req, cal);
        if (seg[3] === 'events' && seg[4] && seg.length === 5 && m === 'GET') {
          const s = this.lookup(seg[4]);
          if (!s || s.calendarId !== cal) return err(404, 'ErrorItemNotFound', 'not found in this calendar');
          return { status: 200, body: this.render(s, req) };
        }
      }
      if (seg[1] === 'events' && seg[2]) {
        const id = seg[2];
        if (seg[3] === 'instances' && m === 'GET') return this.instancesRoute(req, id);
        if (seg.length === 3 && m === 'GET') return this.getEvent(req, id);
        if (seg.length === 3 && m === 'PATCH') return this.update(req, id);
        if (seg.length === 3 && m === 'DELETE') return this.deleteEvent(id, req.headers['if-match'] ?? null, true);
      }
      return err(404, 'ResourceNotFound', `no route ${m} ${path}`);
    } catch (e) {
      return err(400, 'BadRequest', e instanceof Error ? e.message : String(e));
    }
  }

  // ------------------------------------------------------------------ rendering

  private render(s: StoredEvent, req: Req, opts: { minimal?: boolean } = {}): Record<string, unknown> {
    const ev = s.ev;
    if (opts.minimal) {
      return { id: ev.id, type: ev.type, seriesMasterId: ev.seriesMasterId, start: ev.start, end: ev.end };
    }
    const out: Record<string, unknown> = { '@odata.etag': `W/"${ev.changeKey}"`, ...ev };
    delete out['cancelledOccurrences'];
    delete out['singleValueExtendedProperties'];
    delete out['transactionId'];
    const select = req.url.searchParams.get('$select');
    if (select) {
      const keep = new Set(select.split(',').map((x) => x.trim()));
      for (const k of Object.keys(out)) if (k !== 'id' && k !== '@odata.etag' && !keep.has(k)) delete out[k];
      if (keep.has('cancelledOccurrences')) out['cancelledOccurrences'] = ev.cancelledOccurrences ?? [];
    }
    const expand = req.url.searchParams.get('$expand') ?? '';
    const em = /singleValueExtendedProperties\(\$filter=id eq '((?:[^']|'')*)'\)/i.exec(expand);
    if (em) {
      const prop = s.props.get(em[1]!.replace(/''/g, "'").toLowerCase());
      out['singleValueExtendedProperties'] = prop ? [prop] : [];
    }
    if (/outlook\.body-content-type="text"/.test(req.headers['prefer'] ?? '') && ev.body) {
      out['body'] = {
        contentType: 'text',
        content: ev.body.contentType === 'html' ? htmlToText(ev.body.content ?? '') : ev.body.content,
      };
    }
    return out;
  }

  private pageSize(req: Req, fallback: number): number {
    const m = /odata\.maxpagesize=(\d+)/.exec(req.headers['prefer'] ?? '');
    return m ? Number(m[1]) : fallback;
  }

  private servePage(req: Req, p: PageState): Res {
    const size = this.pageSize(req, 10);
    const slice = p.items.slice(p.offset, p.offset + size);
    const body: Record<string, unknown> = { value: slice };
    if (p.offset + size < p.items.length) {
      const token = randomUUID();
      this.pages.set(token, { ...p, offset: p.offset + size });
      body['@odata.nextLink'] = `${this.baseUrl}${p.base}${p.base.includes('?') ? '&' : '?'}$skiptoken=${token}`;
    } else if (p.deltaToken) {
      body['@odata.deltaLink'] = `${this.baseUrl}${p.base}?$deltatoken=${p.deltaToken}`;
    }
    return { status: 200, body };
  }

  // ------------------------------------------------------------------ calendarView delta

  private delta(req: Req, cal: string, base: string): Res {
    const skip = req.url.searchParams.get('$skiptoken');
    if (skip) {
      const p = this.pages.get(skip);
      if (!p) return err(this.expiry.status, this.expiry.code, 'The sync state is lost; start over.');
      this.pages.delete(skip);
      return this.servePage(req, p);
    }
    const dt = req.url.searchParams.get('$deltatoken');
    let from: number;
    let to: number;
    let items: unknown[];
    if (dt) {
      let t: { seq: number; from: number; to: number; cal: string };
      try {
        t = JSON.parse(Buffer.from(dt, 'base64url').toString('utf8')) as typeof t;
      } catch {
        return err(400, 'BadRequest', 'bad delta token');
      }
      if (t.seq < this.tokensValidFrom || t.cal !== cal)
        return err(this.expiry.status, this.expiry.code, 'resync required');
      ({ from, to } = t);
      const changed = new Set(this.state.changes.filter((c) => c.seq > t.seq && c.calendarId === cal).map((c) => c.id));
      items = [];
      for (const id of changed) {
        const s = this.state.events.get(id);
        if (s && s.ev.type === 'seriesMaster') {
          for (const inst of this.state.instances(id, from, to)) items.push(this.deltaItem(inst, req));
          continue;
        }
        const inView =
          s &&
          s.calendarId === cal &&
          GraphState.endMs(s.ev) > from &&
          GraphState.startMs(s.ev) < to &&
          (s.ev.type === 'singleInstance' || s.ev.type === 'exception');
        // Graph reports events that left the window exactly like deleted ones.
        items.push(inView ? this.deltaItem(s, req) : { id, '@removed': { reason: 'deleted' } });
      }
    } else {
      const s = req.url.searchParams.get('startDateTime');
      const e = req.url.searchParams.get('endDateTime');
      if (!s || !e) return err(400, 'ErrorInvalidParameter', 'startDateTime and endDateTime are required');
      from = Date.parse(s);
      to = Date.parse(e);
      items = this.state.view(cal, from, to).map((x) => this.deltaItem(x, req));
    }
    const deltaToken = Buffer.from(JSON.stringify({ seq: this.state.seq, from, to, cal })).toString('base64url');
    return this.servePage(req, { items, offset: 0, deltaToken, base });
  }

  private calendarView(req: Req, cal: string): Res {
    const skip = req.url.searchParams.get('$skiptoken');
    if (skip) {
      const p = this.pages.get(skip);
      if (!p) return err(400, 'BadRequest', 'bad skip token');
      this.pages.delete(skip);
      return this.servePage(req, p);
    }
    const s = req.url.searchParams.get('startDateTime');
    const e = req.url.searchParams.get('endDateTime');
    if (!s || !e) return err(400, 'ErrorInvalidParameter', 'startDateTime and endDateTime are required');
    const items = this.state.view(cal, Date.parse(s), Date.parse(e)).map((x) => this.render(x, req));
    return this.servePage(req, { items, offset: 0, base: `/me/calendars/${encodeURIComponent(cal)}/calendarView` });
  }

  /** Delta carries occurrences with few fields and never extended properties ($expand is not supported). */
  private deltaItem(s: StoredEvent, req: Req): unknown {
    if (s.ev.type === 'occurrence') return this.render(s, req, { minimal: true });
    const out = this.render(s, { ...req, url: new URL('http://x/') });
    return out;
  }

  // ------------------------------------------------------------------ events

  private createStored(
    ev: Event,
    calendarId: string,
    transactionId: string | null,
    props: StoredEvent['props'],
  ): StoredEvent {
    const id = `AAMkEv${randomUUID().replace(/-/g, '')}`;
    const stored: Event = {
      ...ev,
      id,
      iCalUId: `040000008200E00074C5B7101A82E008${randomUUID().replace(/-/g, '')}`,
      type: ev.recurrence ? 'seriesMaster' : 'singleInstance',
      isOrganizer: true,
      isCancelled: false,
      organizer: { emailAddress: { address: this.state.userEmail } },
      attendees: ev.attendees ?? [],
      categories: ev.categories ?? [],
      cancelledOccurrences: [],
      createdDateTime: this.state.now().toISOString(),
    };
    delete stored.singleValueExtendedProperties;
    delete stored.transactionId;
    GraphState.normaliseTimes(stored);
    const s: StoredEvent = { ev: stored, calendarId, props, transactionId, seq: 0 };
    this.state.events.set(id, s);
    this.state.touch(s);
    this.state.mail('invitation', stored.attendees, stored.subject ?? '', id);
    return s;
  }

  private propsFrom(ev: Event): StoredEvent['props'] {
    const props = new Map<string, { id: string; value: string }>();
    for (const p of ev.singleValueExtendedProperties ?? []) {
      if (p.id) props.set(p.id.toLowerCase(), { id: p.id, value: p.value ?? '' });
    }
    return props;
  }

  private create(req: Req, cal: string): Res {
    const ev = req.body as Event | undefined;
    if (!ev || typeof ev !== 'object') return err(400, 'BadRequest', 'event body required');
    const sent = JSON.stringify(ev);
    if (ev.transactionId) {
      // event resource, transactionId: it lets Graph avoid a redundant POST when a client retries the same create.
      // The same id with another body is refused with ErrorDuplicateTransactionId ("The TransactionId specified in
      // the request has already been used to create a different event"): not on a docs page, but the answer real
      // clients handle (400 or 409 reported); the provider decides by the code, never the status.
      const known = this.byTransactionId.get(ev.transactionId);
      const existing = known ? this.state.events.get(known.id) : undefined;
      if (known && known.body !== sent)
        return err(400, 'ErrorDuplicateTransactionId', 'A request with this transaction id was already processed.');
      if (existing) return { status: 201, body: this.render(existing, req) };
    }
    const s = this.createStored({ ...ev }, cal, ev.transactionId ?? null, this.propsFrom(ev));
    if (ev.transactionId) this.byTransactionId.set(ev.transactionId, { id: s.ev.id!, body: sent });
    return { status: 201, body: this.render(s, req) };
  }

  private lookup(id: string): StoredEvent | null {
    const s = this.state.events.get(id);
    if (s) return s;
    const occ = GraphState.parseOccurrenceId(id);
    if (!occ) return null;
    const day = Date.parse(`${occ.date}T00:00:00Z`);
    return this.state.instances(occ.masterId, day, day + 86_400_000).find((i) => i.ev.id === id) ?? null;
  }

  private getEvent(req: Req, id: string): Res {
    const s = this.lookup(id);
    return s ? { status: 200, body: this.render(s, req) } : err(404, 'ErrorItemNotFound', 'not found');
  }

  private update(req: Req, id: string): Res {
    let s = this.lookup(id);
    if (!s) return err(404, 'ErrorItemNotFound', 'not found');
    // event-update.md documents no If-Match: the double does not honour it, so nothing may rely on it.
    const patch = { ...(req.body as Event) };
    if (s.ev.type === 'occurrence') {
      // Changing one occurrence turns it into a stored exception.
      s = { ...s, ev: { ...s.ev, type: 'exception' }, props: new Map(s.props) };
      this.state.events.set(id, s);
    }
    const before = JSON.stringify([s.ev.subject, s.ev.body, s.ev.start, s.ev.end, s.ev.location, s.ev.recurrence]);
    const beforeAttendees = (s.ev.attendees ?? []).map((a) => a.emailAddress?.address ?? '');
    for (const p of patch.singleValueExtendedProperties ?? []) {
      if (p.id) s.props.set(p.id.toLowerCase(), { id: p.id, value: p.value ?? '' });
    }
    delete patch.singleValueExtendedProperties;
    if (patch.recurrence !== undefined && s.ev.type === 'singleInstance' && patch.recurrence)
      s.ev.type = 'seriesMaster';
    Object.assign(s.ev, patch);
    GraphState.normaliseTimes(s.ev, { keepZones: !patch.start && !patch.end });
    this.state.touch(s);
    if (s.ev.seriesMasterId) {
      const master = this.state.events.get(s.ev.seriesMasterId);
      if (master) this.state.touch(master);
    }
    const after = JSON.stringify([s.ev.subject, s.ev.body, s.ev.start, s.ev.end, s.ev.location, s.ev.recurrence]);
    const attendees = s.ev.attendees ?? [];
    const now = attendees.map((a) => a.emailAddress?.address ?? '');
    const removed: Attendee[] = beforeAttendees
      .filter((a) => !now.includes(a))
      .map((address) => ({ emailAddress: { address } }));
    if (s.ev.isOrganizer) {
      this.state.mail('cancellation', removed, s.ev.subject ?? '', id);
      const attendeesChanged = now.length !== beforeAttendees.length || removed.length > 0;
      if (before !== after || attendeesChanged) this.state.mail('update', attendees, s.ev.subject ?? '', id);
    }
    return { status: 200, body: this.render(s, req) };
  }

  private deleteEvent(id: string, ifMatch: string | null, byClient: boolean): Res {
    const s = this.lookup(id);
    if (!s) return err(404, 'ErrorItemNotFound', 'not found');
    void ifMatch;
    void byClient;
    if (s.ev.isOrganizer) this.state.mail('cancellation', s.ev.attendees, s.ev.subject ?? '', id);
    const masterId = s.ev.seriesMasterId;
    if (masterId && (s.ev.type === 'occurrence' || s.ev.type === 'exception')) {
      const master = this.state.events.get(masterId);
      this.state.events.delete(id);
      if (master) {
        const date = GraphState.parseOccurrenceId(id)?.date ?? (s.ev.originalStart ?? '').slice(0, 10);
        master.ev.cancelledOccurrences = [...(master.ev.cancelledOccurrences ?? []), `OID.${masterId}.${date}`];
        this.state.touch(master);
      }
      this.state.recordRemoval(id, s.calendarId);
      return { status: 204 };
    }
    this.state.events.delete(id);
    this.state.recordRemoval(id, s.calendarId);
    if (s.ev.type === 'seriesMaster') {
      for (const [eid, e] of this.state.events) {
        if (e.ev.seriesMasterId === id) {
          this.state.events.delete(eid);
          this.state.recordRemoval(eid, e.calendarId);
        }
      }
    }
    return { status: 204 };
  }

  private listEvents(req: Req, cal: string): Res {
    const filter = req.url.searchParams.get('$filter');
    let match: ((s: StoredEvent) => boolean) | null = null;
    if (filter) {
      // singlevaluelegacyextendedproperty-get.md, "GET resource instances with string-typed extended properties
      // matching a filter": `eq` on the id, and `eq` or `ne` (also contains/startswith, unused) on the value; the
      // value comparison is case-insensitive ("Filtering the value property … is case-insensitive").
      const m =
        /^singleValueExtendedProperties\/Any\(ep: ep\/id eq '((?:[^']|'')*)' and ep\/value (eq|ne) '((?:[^']|'')*)'\)$/i.exec(
          filter,
        );
      if (!m) return err(400, 'ErrorInvalidUrlQueryFilter', `unsupported filter ${filter}`);
      const pid = m[1]!.replace(/''/g, "'").toLowerCase();
      const op = m[2]!.toLowerCase();
      const value = m[3]!.replace(/''/g, "'").toLowerCase();
      match = (s) => {
        const v = s.props.get(pid)?.value;
        if (v === undefined) return false;
        return op === 'eq' ? v.toLowerCase() === value : v.toLowerCase() !== value;
      };
    }
    // user-list-events.md / event.md "List events": "The list contains single instance meetings and series
    // masters" — exceptions (edited occurrences) are never in it, whatever the filter; they are reached through
    // their series' /instances (event-list-instances.md).
    const items = [...this.state.events.values()]
      .filter((s) => s.calendarId === cal && (s.ev.type === 'singleInstance' || s.ev.type === 'seriesMaster'))
      .filter((s) => !match || match(s))
      // list-events.md: single instances and series masters; cancelledOccurrences only on a single GET.
      .map((s) => {
        const out = this.render(s, req);
        delete out['cancelledOccurrences'];
        return out;
      });
    return { status: 200, body: { value: items } };
  }

  /**
   * event-list-instances.md: "the occurrences and exceptions of the event in the specified time range"; the method
   * supports OData query parameters, so each instance is rendered with `$select` and with `$expand` of a single-value
   * extended property (singlevaluelegacyextendedproperty-get.md) like any event.
   */
  private instancesRoute(req: Req, id: string): Res {
    const skip = req.url.searchParams.get('$skiptoken');
    if (skip) {
      const p = this.pages.get(skip);
      if (!p) return err(400, 'BadRequest', 'bad skip token');
      this.pages.delete(skip);
      return this.servePage(req, p);
    }
    const master = this.state.events.get(id);
    if (!master || master.ev.type !== 'seriesMaster') return err(404, 'ErrorItemNotFound', 'series not found');
    const s = req.url.searchParams.get('startDateTime');
    const e = req.url.searchParams.get('endDateTime');
    if (!s || !e) return err(400, 'ErrorInvalidParameter', 'startDateTime and endDateTime are required');
    const items = this.state.instances(id, Date.parse(s), Date.parse(e)).map((x) => this.render(x, req));
    return this.servePage(req, { items, offset: 0, base: `/me/events/${encodeURIComponent(id)}/instances` });
  }

  private translateIds(req: Req): Res {
    const b = req.body as { inputIds?: string[]; sourceIdType?: string; targetIdType?: string } | undefined;
    if (!b?.inputIds?.length || !b.targetIdType)
      return err(400, 'ErrorInvalidRequest', 'inputIds and targetIdType are required');
    const prefix: Record<string, string> = {
      restId: 'REST-',
      ewsId: 'EWS-',
      restImmutableEntryId: '',
      immutableEntryId: '',
    };
    const from = prefix[b.sourceIdType ?? 'restId'];
    const to = prefix[b.targetIdType];
    if (from === undefined || to === undefined) return err(400, 'ErrorInvalidIdMalformed', 'unknown id type');
    const value = b.inputIds.map((sourceId) => {
      const core = sourceId.startsWith(from) ? sourceId.slice(from.length) : null;
      return core && this.lookup(core)
        ? { sourceId, targetId: `${to}${core}` }
        : { sourceId, errorDetails: { code: 'ErrorInvalidIdMalformed', message: 'Id is malformed.' } };
    });
    return { status: 200, body: { value } };
  }

  private categories(req: Req): Res {
    if (req.method === 'GET') return { status: 200, body: { value: this.state.masterCategories } };
    if (req.method === 'POST') {
      const b = req.body as { displayName?: string; color?: string };
      if (!b?.displayName) return err(400, 'BadRequest', 'displayName required');
      if (this.state.masterCategories.some((c) => c.displayName.toLowerCase() === b.displayName!.toLowerCase())) {
        return err(409, 'ErrorDuplicateObject', 'category exists');
      }
      const c = { id: randomUUID(), displayName: b.displayName, color: b.color ?? 'preset0' };
      this.state.masterCategories.push(c);
      return { status: 201, body: c };
    }
    return err(405, 'MethodNotAllowed', 'method not allowed');
  }

  // ------------------------------------------------------------------ subscriptions

  private async subscriptionsRoute(req: Req, id: string | undefined): Promise<Res> {
    if (!id && req.method === 'POST') {
      const b = req.body as Record<string, string>;
      for (const k of ['changeType', 'notificationUrl', 'resource', 'expirationDateTime']) {
        if (!b?.[k]) return err(400, 'InvalidRequest', `${k} is required`);
      }
      // subscription.md ("Subscription lifetime", v1.0 page as stored): 4,230 minutes at most for Outlook events.
      if (Date.parse(b['expirationDateTime']!) > this.state.now().getTime() + maxEventSubscriptionMinutes * 60_000)
        return err(400, 'InvalidRequest', 'Subscription expiration can only be 4230 minutes in the future.');
      // Graph validates the endpoint before creating the subscription.
      const token = `validation-${randomUUID()}`;
      try {
        const r = await fetch(`${b['notificationUrl']}?validationToken=${encodeURIComponent(token)}`, {
          method: 'POST',
        });
        if (r.status !== 200 || (await r.text()) !== token) {
          return err(400, 'InvalidRequest', 'Subscription validation request failed. Must respond with 200 OK.');
        }
      } catch {
        return err(400, 'InvalidRequest', 'Subscription validation request failed (unreachable).');
      }
      const sub = { ...b, id: randomUUID() };
      this.subscriptions.set(sub.id, sub);
      return { status: 201, body: sub };
    }
    if (!id) return err(405, 'MethodNotAllowed', 'method not allowed');
    const sub = this.subscriptions.get(id);
    if (!sub) return err(404, 'ResourceNotFound', 'subscription not found');
    if (req.method === 'PATCH') {
      const exp = (req.body as { expirationDateTime?: string } | undefined)?.expirationDateTime;
      if (exp && Date.parse(exp) > this.state.now().getTime() + maxEventSubscriptionMinutes * 60_000)
        return err(400, 'InvalidRequest', 'Subscription expiration can only be 4230 minutes in the future.');
      Object.assign(sub, req.body as object);
      return { status: 200, body: sub };
    }
    if (req.method === 'DELETE') {
      this.subscriptions.delete(id);
      return { status: 204 };
    }
    return { status: 200, body: sub };
  }

  // ------------------------------------------------------------------ $batch

  private async batch(req: Req): Promise<Res> {
    const b = req.body as {
      requests?: {
        id: string;
        method: string;
        url: string;
        headers?: Record<string, string>;
        body?: unknown;
        dependsOn?: string[];
      }[];
    };
    const requests = b?.requests;
    if (!Array.isArray(requests) || requests.length === 0) return err(400, 'BadRequest', 'requests required');
    if (requests.length > 20) return err(400, 'BadRequest', 'The number of batch requests exceeds 20.');
    const statuses = new Map<string, number>();
    const responses: { id: string; status: number; headers?: Record<string, string>; body?: unknown }[] = [];
    // json-batching.md: "Batch should be either fully sequential or fully parallel"; counted, not refused.
    const sequenced = requests.filter((r) => (r.dependsOn ?? []).length > 0).length;
    if (sequenced > 0 && sequenced < requests.length - 1) this.mixedBatches++;
    for (const r of requests) {
      const deps = r.dependsOn ?? [];
      if (deps.some((d) => !statuses.has(d))) return err(400, 'BadRequest', `dependsOn ${deps.join(',')} not earlier`);
      if (deps.some((d) => (statuses.get(d) ?? 0) >= 400)) {
        statuses.set(r.id, 424);
        responses.push({
          id: r.id,
          status: 424,
          body: { error: { code: 'FailedDependency', message: 'dependency failed' } },
        });
        continue;
      }
      // Sub-requests are evaluated one by one against throttling (json-batching.md, "Batch size limitations"):
      // only throttle() makes one answer 429; Graph queues the parallel ones itself.
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
      const out: Res = await this.dispatch({
        method: r.method,
        url: new URL(`/v1.0${r.url}`, 'http://127.0.0.1'),
        headers,
        body: r.body,
        inBatch: true,
      });
      statuses.set(r.id, out.status);
      responses.push({
        id: r.id,
        status: out.status,
        ...(out.headers ? { headers: out.headers } : {}),
        ...(out.body !== undefined ? { body: out.body } : {}),
      });
    }
    return { status: 200, body: { responses: responses.reverse() } };
  }
}

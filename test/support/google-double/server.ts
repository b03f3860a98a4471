/**
 * A stateful stand-in for Google's OAuth and Calendar API v3, written from Google's documentation
 * (developers.google.com/calendar/api/guides/sync, /v3/reference/events, /guides/push, OAuth 2.0 for web
 * server apps): sync tokens that expire with 410 fullSyncRequired, paging with nextPageToken / nextSyncToken
 * on the last page, client-chosen base32hex ids with 409 on duplicates, If-Match → 412, deleted events kept as
 * status "cancelled" for incremental sync, cancelled instances of series, privateExtendedProperty filters,
 * sendUpdates recorded as the mail Google would send, watch channels, PKCE-checked token exchange.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../../src/shared/clock';

type Json = Record<string, unknown>;

interface StoredEvent {
  calendarId: string;
  seq: number;
  data: Json & { id: string; status: string; etag: string };
}

export interface SentMail {
  kind: 'invitation' | 'update' | 'cancellation';
  to: string;
  eventId: string;
  sendUpdates: string;
}

/** One request and the double's answer, for the contract tests (test/support/contract/google-contract.ts). */
export interface GoogleExchange {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  requestBody: unknown;
  status: number;
  responseBody: unknown;
}

export interface GoogleDoubleOptions {
  user?: string;
  /** Largest page the double serves, whatever maxResults asks for (exercises paging). */
  pageSize?: number;
  accessTokenSeconds?: number;
  /** The double's clock (its `updated` stamps, token and channel expiries); a world shares it with the other side. */
  now?: Clock;
}

export class GoogleDouble {
  readonly user: string;
  readonly clientId = 'test-client-id';
  readonly clientSecret = 'test-client-secret';
  readonly mail: SentMail[] = [];
  readonly requests: { method: string; path: string; query: Record<string, string[]> }[] = [];
  readonly exchanges: GoogleExchange[] = [];
  private pending: Omit<GoogleExchange, 'status' | 'responseBody'> | null = null;
  readonly channels = new Map<
    string,
    { resourceId: string; address: string; token: string; calendarId: string; stopped: boolean }
  >();
  private readonly events = new Map<string, StoredEvent>();
  private readonly calendars: Json[];
  private seq = 1;
  /** Sync tokens issued before this sequence number are refused with 410. */
  private validFrom = 0;
  private readonly codes = new Map<string, { challenge: string; redirectUri: string }>();
  private readonly accessTokens = new Map<string, number>();
  private readonly refreshTokens = new Set<string>();
  private server: http.Server | null = null;
  origin = '';

  private readonly now: Clock;

  constructor(private readonly opts: GoogleDoubleOptions = {}) {
    this.now = opts.now ?? systemClock;
    this.user = opts.user ?? 'sam@example.com';
    this.calendars = [
      {
        id: this.user,
        summary: this.user,
        primary: true,
        accessRole: 'owner',
        timeZone: 'Europe/Berlin',
        backgroundColor: '#9fe1e7',
        defaultReminders: [{ method: 'popup', minutes: 10 }],
      },
      {
        id: 'crm-items@group.calendar.google.com',
        summary: 'CRM items',
        accessRole: 'owner',
        timeZone: 'UTC',
        defaultReminders: [],
      },
      { id: 'holidays@group.v.calendar.google.com', summary: 'Holidays', accessRole: 'reader', timeZone: 'UTC' },
    ];
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.handle(req, Buffer.concat(chunks).toString(), res);
        } catch (e) {
          this.send(res, 500, { error: { code: 500, message: String(e) } });
        }
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }

  /**
   * The signed-in account may only read this calendar (its calendarList accessRole becomes `reader`): event writes
   * answer 403 with reason `requiredAccessLevel` ("You need to have writer access to this calendar."), as the
   * Calendar API's "Handle API errors" page describes.
   */
  denyWrite(calendarId: string): void {
    const id = calendarId === 'primary' ? this.user : calendarId;
    const cal = this.calendars.find((c) => c.id === id);
    if (!cal) throw new Error(`no calendar ${calendarId}`);
    cal.accessRole = 'reader';
  }

  private readonly injected: { status: number; body: unknown }[] = [];
  /** The next Calendar API request (after the token check) is answered with this error instead. */
  failNext(status: number, body: unknown): void {
    this.injected.push({ status, body });
  }

  /** Simulates Google invalidating every sync token (the client must do a full sync). */
  expireSyncTokens(): void {
    this.validFrom = this.seq;
  }

  expireAccessTokens(): void {
    this.accessTokens.clear();
  }

  /** Issues an authorization code as if the user consented in the browser. */
  authorize(codeChallenge: string, redirectUri: string): string {
    const code = `code-${randomBytes(6).toString('hex')}`;
    this.codes.set(code, { challenge: codeChallenge, redirectUri });
    return code;
  }

  /** A user edit in the Google UI (no sendUpdates involved). */
  userPatch(calendarId: string, id: string, patch: Json): void {
    const ev = this.events.get(`${calendarId}/${id}`);
    if (!ev) throw new Error(`no event ${id}`);
    this.write(calendarId, { ...ev.data, ...patch, id });
  }

  userDelete(calendarId: string, id: string): void {
    const ev = this.events.get(`${calendarId}/${id}`);
    if (!ev) throw new Error(`no event ${id}`);
    this.write(calendarId, { ...ev.data, status: 'cancelled' });
  }

  userInsert(calendarId: string, data: Json): Json {
    const id = String(data.id ?? randomBytes(10).toString('hex').replace(/[w-z]/g, 'a'));
    return this.write(calendarId, this.newEvent(calendarId, { ...data, id })).data;
  }

  event(calendarId: string, id: string): Json | undefined {
    return this.events.get(`${calendarId}/${id}`)?.data;
  }

  eventsIn(calendarId: string): Json[] {
    return [...this.events.values()].filter((e) => e.calendarId === calendarId).map((e) => e.data);
  }

  private newEvent(calendarId: string, data: Json): Json & { id: string } {
    const id = String(data.id);
    return {
      kind: 'calendar#event',
      status: 'confirmed',
      iCalUID: `${id}@google.com`,
      created: this.now().toISOString(),
      organizer: { email: calendarId, self: true },
      reminders: { useDefault: true },
      ...data,
      id,
    };
  }

  private write(calendarId: string, data: Json): StoredEvent {
    const seq = this.seq++;
    const stored: StoredEvent = {
      calendarId,
      seq,
      data: {
        ...data,
        id: String(data.id),
        status: String(data.status ?? 'confirmed'),
        etag: `"${seq}"`,
        updated: this.now().toISOString(),
      },
    };
    this.events.set(`${calendarId}/${stored.data.id}`, stored);
    return stored;
  }

  private send(res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    if (this.pending) this.exchanges.push({ ...this.pending, status, responseBody: body });
    this.pending = null;
    if (body === undefined) {
      res.writeHead(status, headers).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers }).end(JSON.stringify(body));
  }

  private error(res: http.ServerResponse, status: number, reason: string, message: string): void {
    this.send(res, status, { error: { code: status, message, errors: [{ domain: 'global', reason, message }] } });
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.origin);
    const method = req.method ?? 'GET';
    const query: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
    this.requests.push({ method, path: url.pathname, query });
    let requestBody: unknown = body;
    try {
      requestBody = /json/.test(String(req.headers['content-type'])) && body ? JSON.parse(body) : body;
    } catch {
      // left as text
    }
    this.pending = { method, path: url.pathname, query: url.searchParams, headers: req.headers, requestBody };
    if (url.pathname === '/token' && method === 'POST') return this.token(new URLSearchParams(body), res);
    if (url.pathname === '/revoke' && method === 'POST') {
      const token = new URLSearchParams(body).get('token') ?? '';
      if (!this.refreshTokens.delete(token) && !this.accessTokens.delete(token))
        return this.send(res, 400, { error: 'invalid_token' });
      return this.send(res, 200, {});
    }
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expires = auth ? this.accessTokens.get(auth) : undefined;
    if (!expires || expires < this.now().getTime()) return this.error(res, 401, 'authError', 'Invalid Credentials');
    const injected = this.injected.shift();
    if (injected) return this.send(res, injected.status, injected.body);
    const p = url.pathname.split('/').map(decodeURIComponent);
    // ['', 'calendar', 'v3', ...]
    if (p[1] !== 'calendar' || p[2] !== 'v3') return this.error(res, 404, 'notFound', 'Not Found');
    const rest = p.slice(3);
    if (rest[0] === 'users' && rest[2] === 'calendarList') {
      if (rest[3]) {
        const id = rest[3] === 'primary' ? this.user : rest[3];
        const cal = this.calendars.find((c) => c.id === id);
        return cal ? this.send(res, 200, cal) : this.error(res, 404, 'notFound', 'Not Found');
      }
      return this.page(res, this.calendars, query, (items, next) => ({
        kind: 'calendar#calendarList',
        items,
        ...next,
      }));
    }
    if (rest[0] === 'channels' && rest[1] === 'stop' && method === 'POST') {
      const b = JSON.parse(body) as { id: string; resourceId: string };
      const ch = this.channels.get(b.id);
      if (!ch || ch.resourceId !== b.resourceId || ch.stopped)
        return this.error(res, 404, 'notFound', 'Channel not found');
      ch.stopped = true;
      return this.send(res, 204);
    }
    if (rest[0] === 'calendars' && rest[2] === 'events') {
      const calendarId = rest[1] === 'primary' ? this.user : (rest[1] ?? '');
      if (!this.calendars.some((c) => c.id === calendarId)) return this.error(res, 404, 'notFound', 'Not Found');
      if (rest[3] === 'watch' && method === 'POST') return this.watch(calendarId, JSON.parse(body) as Json, res);
      const role = this.calendars.find((c) => c.id === calendarId)?.accessRole;
      if (method !== 'GET' && role !== 'owner' && role !== 'writer')
        return this.error(res, 403, 'requiredAccessLevel', 'You need to have writer access to this calendar.');
      const id = rest[3];
      if (!id && method === 'GET') return this.list(calendarId, query, res);
      if (!id && method === 'POST') return this.insert(calendarId, JSON.parse(body) as Json, query, res);
      if (id && method === 'GET') {
        const ev = this.events.get(`${calendarId}/${id}`);
        return ev ? this.send(res, 200, ev.data) : this.error(res, 404, 'notFound', 'Not Found');
      }
      if (id && (method === 'PATCH' || method === 'PUT'))
        return this.patch(calendarId, id, JSON.parse(body) as Json, req, query, res, method === 'PUT');
      if (id && method === 'DELETE') return this.remove(calendarId, id, req, query, res);
    }
    this.error(res, 404, 'notFound', 'Not Found');
  }

  private token(form: URLSearchParams, res: http.ServerResponse): void {
    if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
      return this.send(res, 401, { error: 'invalid_client' });
    }
    const grant = form.get('grant_type');
    if (grant === 'authorization_code') {
      const code = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (!code || code.challenge !== challenge || code.redirectUri !== form.get('redirect_uri')) {
        return this.send(res, 400, { error: 'invalid_grant', error_description: 'Bad code or code_verifier' });
      }
      const refresh = `refresh-${randomBytes(8).toString('hex')}`;
      this.refreshTokens.add(refresh);
      return this.send(res, 200, {
        ...this.issueAccess(),
        refresh_token: refresh,
        scope: 'https://www.googleapis.com/auth/calendar',
        token_type: 'Bearer',
      });
    }
    if (grant === 'refresh_token') {
      if (!this.refreshTokens.has(form.get('refresh_token') ?? ''))
        return this.send(res, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
      return this.send(res, 200, { ...this.issueAccess(), token_type: 'Bearer' });
    }
    this.send(res, 400, { error: 'unsupported_grant_type' });
  }

  private issueAccess(): { access_token: string; expires_in: number } {
    const token = `ya29.${randomBytes(12).toString('hex')}`;
    const seconds = this.opts.accessTokenSeconds ?? 3599;
    this.accessTokens.set(token, this.now().getTime() + seconds * 1000);
    return { access_token: token, expires_in: seconds };
  }

  private page(
    res: http.ServerResponse,
    all: Json[],
    query: Record<string, string[]>,
    wrap: (items: Json[], next: Json) => Json,
  ): void {
    const size = Math.min(Number(query.maxResults?.[0] ?? 250), this.opts.pageSize ?? 250);
    const offset = Number(query.pageToken?.[0] ?? 0);
    const more = offset + size < all.length;
    this.send(res, 200, wrap(all.slice(offset, offset + size), more ? { nextPageToken: String(offset + size) } : {}));
  }

  private list(calendarId: string, query: Record<string, string[]>, res: http.ServerResponse): void {
    const syncToken = query.syncToken?.[0];
    const filters = query.privateExtendedProperty ?? [];
    if (syncToken && (filters.length || query.timeMin || query.q || query.updatedMin)) {
      return this.error(res, 400, 'invalid', 'syncToken cannot be combined with these filters');
    }
    let since = 0;
    if (syncToken) {
      since = Number(/^sync-(\d+)$/.exec(syncToken)?.[1] ?? NaN);
      if (!Number.isFinite(since) || since < this.validFrom) {
        return this.error(res, 410, 'fullSyncRequired', 'Sync token is no longer valid, a full sync is required.');
      }
    }
    const showDeleted = syncToken !== undefined || query.showDeleted?.[0] === 'true';
    // The token snapshot is fixed by the first page (paging must not see later writes as part of this sync).
    const [offsetText, snapshotText] = (query.pageToken?.[0] ?? `0:${this.seq}`).split(':');
    const snapshot = Number(snapshotText);
    const items = [...this.events.values()]
      .filter((e) => e.calendarId === calendarId && e.seq > since && e.seq < snapshot)
      .filter((e) => showDeleted || e.data.status !== 'cancelled' || e.data.recurringEventId !== undefined)
      .filter((e) =>
        filters.every((f) => {
          const [k, v] = f.split('=');
          return ((e.data.extendedProperties as { private?: Json } | undefined)?.private?.[k ?? ''] ?? null) === v;
        }),
      )
      .sort((a, b) => a.seq - b.seq)
      .map((e) => e.data);
    const cal = this.calendars.find((c) => c.id === calendarId);
    const size = Math.min(Number(query.maxResults?.[0] ?? 250), this.opts.pageSize ?? 250);
    const offset = Number(offsetText);
    const more = offset + size < items.length;
    this.send(res, 200, {
      kind: 'calendar#events',
      timeZone: cal?.timeZone,
      items: items.slice(offset, offset + size),
      ...(more ? { nextPageToken: `${offset + size}:${snapshot}` } : { nextSyncToken: `sync-${snapshot - 1}` }),
    });
  }

  private mailFor(ev: Json, kind: SentMail['kind'], sendUpdates: string): void {
    if (sendUpdates !== 'all' && sendUpdates !== 'externalOnly') return;
    for (const a of (ev.attendees as { email?: string; self?: boolean }[] | undefined) ?? []) {
      if (!a.email || a.self || a.email === this.user) continue;
      if (sendUpdates === 'externalOnly' && a.email.endsWith(`@${this.user.split('@')[1]}`)) continue;
      this.mail.push({ kind, to: a.email, eventId: String(ev.id), sendUpdates });
    }
  }

  private insert(calendarId: string, body: Json, query: Record<string, string[]>, res: http.ServerResponse): void {
    const id = body.id === undefined ? randomBytes(10).toString('hex').replace(/[w-z]/g, 'a') : String(body.id);
    if (!/^[a-v0-9]{5,1024}$/.test(id)) return this.error(res, 400, 'invalid', 'Invalid resource id value.');
    if (this.events.has(`${calendarId}/${id}`))
      return this.error(res, 409, 'duplicate', 'The requested identifier already exists.');
    if (!body.start || !body.end) return this.error(res, 400, 'required', 'Missing end time.');
    const stored = this.write(calendarId, this.newEvent(calendarId, { ...body, id }));
    this.mailFor(stored.data, 'invitation', query.sendUpdates?.[0] ?? 'none');
    this.send(res, 200, stored.data);
  }

  /** Instances of a series are addressable as <seriesId>_<YYYYMMDD[THHMMSSZ]> before any exception exists. */
  private instance(calendarId: string, id: string): StoredEvent | null {
    const m = /^(.+)_(\d{8})(T\d{6}Z)?$/.exec(id);
    const master = m ? this.events.get(`${calendarId}/${m[1]}`) : undefined;
    if (!m || !master || !Array.isArray(master.data.recurrence)) return null;
    const d = m[2] ?? '';
    const t = m[3];
    const original = t
      ? {
          dateTime: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${t.slice(1, 3)}:${t.slice(3, 5)}:${t.slice(5, 7)}Z`,
        }
      : { date: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` };
    const { recurrence: _r, etag: _e, ...rest } = master.data;
    return this.write(calendarId, {
      ...rest,
      id,
      recurringEventId: master.data.id,
      originalStartTime: original,
      start: original,
      end: original,
    });
  }

  private preconditionFails(req: http.IncomingMessage, ev: StoredEvent): boolean {
    const ifMatch = req.headers['if-match'];
    return typeof ifMatch === 'string' && ifMatch !== '*' && ifMatch !== ev.data.etag;
  }

  private patch(
    calendarId: string,
    id: string,
    body: Json,
    req: http.IncomingMessage,
    query: Record<string, string[]>,
    res: http.ServerResponse,
    replace: boolean,
  ): void {
    const ev = this.events.get(`${calendarId}/${id}`) ?? this.instance(calendarId, id);
    if (!ev) return this.error(res, 404, 'notFound', 'Not Found');
    if (this.preconditionFails(req, ev)) return this.error(res, 412, 'conditionNotMet', 'Precondition Failed');
    const keep = {
      id,
      iCalUID: ev.data.iCalUID,
      recurringEventId: ev.data.recurringEventId,
      originalStartTime: ev.data.originalStartTime,
      organizer: ev.data.organizer,
    };
    const next: Json = replace ? { ...keep, ...body } : { ...ev.data, ...body, ...keep };
    if (!replace && body.extendedProperties) {
      const old = (ev.data.extendedProperties as { private?: Json } | undefined)?.private ?? {};
      const add = (body.extendedProperties as { private?: Json }).private ?? {};
      next.extendedProperties = { private: { ...old, ...add } };
    }
    // A deleted event can be restored by writing status "confirmed"; other writes to it are refused.
    const deleted = ev.data.status === 'cancelled' && !ev.data.recurringEventId;
    if (deleted && body.status !== 'confirmed') return this.error(res, 410, 'deleted', 'Resource has been deleted');
    const stored = this.write(calendarId, { ...next, status: String(body.status ?? 'confirmed') });
    this.mailFor(stored.data, 'update', query.sendUpdates?.[0] ?? 'none');
    this.send(res, 200, stored.data);
  }

  private remove(
    calendarId: string,
    id: string,
    req: http.IncomingMessage,
    query: Record<string, string[]>,
    res: http.ServerResponse,
  ): void {
    const ev = this.events.get(`${calendarId}/${id}`) ?? this.instance(calendarId, id);
    if (!ev) return this.error(res, 404, 'notFound', 'Not Found');
    if (ev.data.status === 'cancelled') return this.error(res, 410, 'deleted', 'Resource has been deleted');
    if (this.preconditionFails(req, ev)) return this.error(res, 412, 'conditionNotMet', 'Precondition Failed');
    this.write(calendarId, { ...ev.data, status: 'cancelled' });
    this.mailFor(ev.data, 'cancellation', query.sendUpdates?.[0] ?? 'none');
    this.send(res, 204);
  }

  private watch(calendarId: string, body: Json, res: http.ServerResponse): void {
    const id = String(body.id ?? '');
    if (!/^[A-Za-z0-9\-_+/=]{1,64}$/.test(id)) return this.error(res, 400, 'invalid', 'Invalid channel id');
    const existing = this.channels.get(id);
    if (existing && !existing.stopped) return this.error(res, 400, 'channelIdNotUnique', 'Channel id not unique');
    const resourceId = `res-${createHash('sha1').update(calendarId).digest('hex').slice(0, 16)}`;
    this.channels.set(id, {
      resourceId,
      address: String(body.address),
      token: String(body.token ?? ''),
      calendarId,
      stopped: false,
    });
    const ttl = Number((body.params as Json | undefined)?.ttl ?? 604800);
    this.send(res, 200, {
      kind: 'api#channel',
      id,
      resourceId,
      resourceUri: `${this.origin}/calendar/v3/calendars/${calendarId}/events`,
      expiration: String(this.now().getTime() + Math.min(ttl, 604800) * 1000),
    });
  }
}

/**
 * A stateful SuiteCRM 7/8 V8 JSON:API double, held to what a real SuiteCRM 7.14.6 answers (the transcripts in
 * ../shared/peers/suitecrm/transcripts, replayed through it by test/providers/crm/suitecrm/transcripts.test.ts):
 * records are rendered with their bean name ("Meeting"), values as strings; unknown or deleted ids and a denied
 * module are HTTP 400; a deleted-row filter that matches fails like SuiteCRM does; a wrong password is a 500 that
 * echoes it. Written first from SuiteCRM's published API documentation and its Api/V8 sources: OAuth2 at /Api/access_token (password and client_credentials grants, league/oauth2-server
 * error bodies), /Api/V8/module/{Module} listing with fields[], filter[field][op] (eq/neq/gt/gte/lt/lte, AND/OR,
 * deleted=0 unless asked), page[size]/page[number] with meta.total-pages and links.next, sort, create (POST
 * /module), update (PATCH /module), delete (soft: deleted=1, date_modified bumped), relationships by link name.
 * Dates are stored to the second (DB format, UTC) and exposed as ISO 8601 at minute precision, as the issue
 * describes; errors come back as {"errors": {status, title, detail}}.
 */
import crypto from 'node:crypto';
import { startDouble, type DoubleRequest, type DoubleResponse, type LoopbackDouble } from './http-double';
// Token lifetimes run on the wall clock, as the real server's do (they never decide a test's dates).
import { systemClock } from '../../../src/shared/clock';

type Row = Record<string, string | number | null> & { id: string; deleted: number; date_modified: string };

const linkModules: Record<string, Record<string, string>> = {
  Meetings: { contacts: 'Contacts', leads: 'Leads', users: 'Users' },
  Calls: { contacts: 'Contacts', leads: 'Leads', users: 'Users' },
  Tasks: {},
  Contacts: {},
  Leads: {},
  Accounts: {},
  Users: {},
};

/** Links read from the other end of a Meetings/Calls relationship. */
const reverseLinks: Record<string, Record<string, string>> = {
  Contacts: { meetings: 'Meetings', calls: 'Calls' },
  Leads: { meetings: 'Meetings', calls: 'Calls' },
  Users: { meetings: 'Meetings', calls: 'Calls' },
};

const knownFields: Record<string, string[]> = {
  Meetings: [
    'name',
    'date_start',
    'date_end',
    'duration_hours',
    'duration_minutes',
    'description',
    'location',
    'status',
    'reminder_time',
    'outlook_id',
    'assigned_user_id',
    'parent_type',
    'parent_id',
    'date_entered',
    'date_modified',
    'deleted',
  ],
  Calls: [
    'name',
    'date_start',
    'date_end',
    'duration_hours',
    'duration_minutes',
    'description',
    'status',
    'direction',
    'reminder_time',
    'outlook_id',
    'assigned_user_id',
    'parent_type',
    'parent_id',
    'date_entered',
    'date_modified',
    'deleted',
  ],
  Tasks: [
    'name',
    'date_due',
    'date_due_flag',
    'date_start',
    'description',
    'status',
    'priority',
    'contact_id',
    'assigned_user_id',
    'parent_type',
    'parent_id',
    'date_entered',
    'date_modified',
    'deleted',
  ],
  Contacts: [
    'first_name',
    'last_name',
    'email1',
    'account_id',
    'assigned_user_id',
    'date_entered',
    'date_modified',
    'deleted',
  ],
  Leads: [
    'first_name',
    'last_name',
    'email1',
    'account_name',
    'account_id',
    'assigned_user_id',
    'date_entered',
    'date_modified',
    'deleted',
  ],
  Accounts: ['name', 'date_entered', 'date_modified', 'deleted'],
  Users: ['user_name', 'first_name', 'last_name', 'email1', 'date_entered', 'date_modified', 'deleted'],
};
// Non-db fields: listed in vardefs, but a filter on them breaks the SQL the V8 filter writes.
const nonDbFields = new Set(['email1']);

export interface SuiteCrmDouble extends LoopbackDouble {
  clientId: string;
  clientSecret: string;
  users: { userName: string; password: string; id: string }[];
  /** Inserts a record directly (as a CRM user would through the UI). */
  seed(module: string, attributes: Record<string, string | number | null>): string;
  update(module: string, id: string, attributes: Record<string, string | number | null>): void;
  remove(module: string, id: string): void;
  get(module: string, id: string): Row | undefined;
  relate(module: string, id: string, link: string, relatedId: string): void;
  related(module: string, id: string, link: string): string[];
  all(module: string): Row[];
  /** Moves the double's clock (date_modified of later changes). */
  advance(ms: number): void;
  /** Expires every access token (the next call gets 401). */
  expireTokens(): void;
  /** Make the token endpoint reject the refresh token (revoked). */
  revokeRefreshTokens(): void;
  denyModule(module: string): void;
}

/** What answers call a record: the bean's object name, singular. */
export const beanNames: Record<string, string> = {
  Meetings: 'Meeting',
  Calls: 'Call',
  Tasks: 'Task',
  Contacts: 'Contact',
  Leads: 'Lead',
  Accounts: 'Account',
  Users: 'User',
};
const bean = (module: string) => beanNames[module] ?? module;

const dbDate = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
/** The V8 API's ISO 8601 rendering, here truncated to the minute. */
const exposedDate = (v: string) => `${v.slice(0, 16).replace(' ', 'T')}:00+00:00`;

function error(status: number, title: string | null, detail: string): DoubleResponse {
  return {
    status,
    headers: { 'content-type': 'application/vnd.api+json' },
    body: { errors: { status, title, detail } },
  };
}

/** SuiteCRM 7.14 answers an unknown or deleted id, and a list that meets a deleted row, with this 400. */
const notFound = (module: string, id: string) => error(400, null, `${module} module with id ${id} is not found`);
const accessDenied = () => error(400, null, '[SuiteCRM] [AccessDeniedException] ');
const noResult = { meta: { message: 'Request was successful, but there is no result' }, data: [] };

export interface SuiteCrmDoubleOptions {
  pathPrefix?: string;
  /** Users (default: sally and max with e-mails); `email: null` for a user without one; `denied` modules per user. */
  users?: { userName: string; password: string; id?: string; email?: string | null; denied?: string[] }[];
  /**
   * OAuth2 clients with the grants each may use (default: one client for every grant). A client-credentials client
   * acts as `userId` (SuiteCRM assigns it to a user), else the first user.
   */
  clients?: { id: string; secret: string; grants: string[]; userId?: string }[];
}

export async function startSuiteCrmDouble(options: SuiteCrmDoubleOptions = {}): Promise<SuiteCrmDouble> {
  const prefix = options.pathPrefix ?? '';
  let clock = Date.parse('2030-01-10T08:00:00Z');
  const now = () => dbDate(new Date(clock));
  const tables = new Map<string, Map<string, Row>>();
  const relations = new Map<string, Set<string>>(); // `${module}/${id}/${link}` → related ids
  const tokens = new Map<string, { userId: string; expires: number }>();
  const refreshTokens = new Map<string, string>(); // token → userId
  const denied = new Set<string>();
  const clientId = options.clients?.[0]?.id ?? crypto.randomUUID();
  const clientSecret = options.clients?.[0]?.secret ?? 'client-secret';
  const clients = options.clients ?? [
    { id: clientId, secret: clientSecret, grants: ['password', 'refresh_token', 'client_credentials'] },
  ];
  const userSpecs = options.users ?? [
    { userName: 'sally', password: 'sally-pass' },
    { userName: 'max', password: 'max-pass' },
  ];
  const users = userSpecs.map((u) => ({ userName: u.userName, password: u.password, id: u.id ?? crypto.randomUUID() }));
  const deniedFor = new Map(userSpecs.map((u, i) => [users[i]!.id, new Set(u.denied ?? [])]));
  const table = (m: string) => {
    let t = tables.get(m);
    if (!t) tables.set(m, (t = new Map()));
    return t;
  };
  users.forEach((u, i) => {
    const email = userSpecs[i]!.email;
    table('Users').set(u.id, {
      id: u.id,
      user_name: u.userName,
      first_name: u.userName,
      last_name: 'User',
      email1: email === undefined ? `${u.userName}@corp.example` : (email ?? ''),
      deleted: 0,
      date_modified: now(),
      date_entered: now(),
    });
  });

  /** `single`: a single read or a create/PATCH answer, which carries set_accept_links (lists do not). */
  const render = (module: string, row: Row, fields: string[] | null, single = false) => {
    const attributes: Record<string, unknown> = {};
    for (const f of knownFields[module] ?? []) {
      if (fields && !fields.includes(f)) continue;
      // Filterable, but never rendered (SuiteCRM leaves a user's user_name out of its answers).
      if (module === 'Users' && f === 'user_name') continue;
      const v = row[f] ?? '';
      // Every value is a string in SuiteCRM's answers ("duration_hours":"1", "deleted":"0").
      attributes[f] =
        typeof v === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(v) ? exposedDate(v) : String(v);
    }
    // A custom (Studio) field exists once something wrote it: SuiteCRM renders it like any other.
    for (const [f, v] of Object.entries(row)) {
      if (f.endsWith('_c') && !(f in attributes) && (!fields || fields.includes(f))) attributes[f] = String(v ?? '');
    }
    if (single && !fields && (module === 'Meetings' || module === 'Calls')) attributes['set_accept_links'] = '';
    const relationships: Record<string, unknown> = {};
    for (const link of Object.keys(linkModules[module] ?? {})) {
      relationships[link] = { links: { related: `${prefix}/Api/V8/module/${module}/${row.id}/relationships/${link}` } };
    }
    return { type: bean(module), id: row.id, attributes, relationships };
  };

  function authorise(req: DoubleRequest): string | DoubleResponse {
    const m = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
    const t = m ? tokens.get(m[1]!) : undefined;
    if (!t || t.expires < systemClock().getTime()) {
      return {
        status: 401,
        body: {
          error: 'access_denied',
          error_description: 'The resource owner or authorization server denied the request.',
          message: 'The resource owner or authorization server denied the request.',
          hint: 'Access token is invalid',
        },
      };
    }
    return t.userId;
  }

  function issue(userId: string, withRefresh: boolean) {
    const access = crypto.randomBytes(16).toString('hex');
    tokens.set(access, { userId, expires: systemClock().getTime() + 3_600_000 });
    const body: Record<string, unknown> = { token_type: 'Bearer', expires_in: 3600, access_token: access };
    if (withRefresh) {
      const refresh = crypto.randomBytes(16).toString('hex');
      refreshTokens.set(refresh, userId);
      body['refresh_token'] = refresh;
    }
    return { status: 200, body };
  }

  function token(req: DoubleRequest): DoubleResponse {
    const p = (req.body ?? {}) as Record<string, string>;
    const invalidClient = {
      status: 401,
      body: {
        error: 'invalid_client',
        error_description: 'Client authentication failed',
        message: 'Client authentication failed',
      },
    };
    // A wrong secret, or a grant the client may not use: the same 401 invalid_client.
    const client = clients.find((c) => c.id === p['client_id'] && c.secret === p['client_secret']);
    if (!client || !client.grants.includes(p['grant_type'] ?? '')) return invalidClient;
    if (p['grant_type'] === 'password') {
      // SuiteCRM 7.14's own user check throws: HTTP 500, with the submitted password or user name in the text.
      const u = users.find((x) => x.userName === p['username']);
      const fail = (text: string) => ({
        status: 500,
        body: { error: 'unknown_error', error_description: text, message: text },
      });
      if (!u) return fail(`No user found with this username: ${p['username'] ?? ''}`);
      if (u.password !== p['password']) return fail(`The password is invalid: ${p['password'] ?? ''}`);
      return issue(u.id, true);
    }
    if (p['grant_type'] === 'client_credentials') return issue(client.userId ?? users[0]!.id, false);
    if (p['grant_type'] === 'refresh_token') {
      const userId = refreshTokens.get(p['refresh_token'] ?? '');
      if (!userId)
        return {
          status: 401,
          body: {
            error: 'invalid_request',
            error_description: 'The refresh token is invalid.',
            message: 'The refresh token is invalid.',
          },
        };
      refreshTokens.delete(p['refresh_token']!);
      return issue(userId, true);
    }
    return {
      status: 400,
      body: {
        error: 'unsupported_grant_type',
        message: 'The authorization grant type is not supported by the authorization server.',
      },
    };
  }

  function parseFilter(module: string, query: URLSearchParams): ((r: Row) => boolean) | DoubleResponse {
    let operator = 'AND';
    const conds: ((r: Row) => boolean)[] = [];
    let deletedGiven = false;
    for (const [key, value] of query) {
      if (key === 'filter[operator]') {
        operator = value.toUpperCase();
        if (operator !== 'AND' && operator !== 'OR')
          return error(400, 'Bad Request', `Filter operator ${value} is invalid`);
        continue;
      }
      const m = /^filter\[(\w+)\]\[(\w+)\]$/.exec(key);
      if (!m) continue;
      const [, field, op] = m as unknown as [string, string, string];
      if (!(knownFields[module] ?? []).includes(field))
        return error(400, 'Bad Request', `Filter field ${field} in ${module} module is not found`);
      if (nonDbFields.has(field))
        return error(500, 'Internal Server Error', `Database failure: unknown column ${field}`);
      if (field === 'deleted') deletedGiven = true;
      const cmp = (r: Row) => {
        const a = String(r[field] ?? '');
        switch (op.toLowerCase()) {
          case 'eq':
            return a === value;
          case 'neq':
            return a !== value;
          case 'gt':
            return a > value;
          case 'gte':
            return a >= value;
          case 'lt':
            return a < value;
          case 'lte':
            return a <= value;
          default:
            return false;
        }
      };
      if (!['eq', 'neq', 'gt', 'gte', 'lt', 'lte'].includes(op.toLowerCase()))
        return error(400, 'Bad Request', `Filter operator ${op} is invalid`);
      conds.push(cmp);
    }
    if (!deletedGiven) conds.push((r) => r.deleted === 0);
    // SuiteCRM joins every condition, the added deleted=0 included, with the one operator.
    return (r) => (conds.length === 0 ? true : operator === 'OR' ? conds.some((c) => c(r)) : conds.every((c) => c(r)));
  }

  async function api(req: DoubleRequest, userId: string): Promise<DoubleResponse> {
    const rest = req.path.slice(`${prefix}/Api/V8`.length);
    const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'module') return error(404, 'Not Found', 'route not found');
    const module = parts[1];
    if (module && (denied.has(module) || deniedFor.get(userId)?.has(module))) return accessDenied();
    if (req.method === 'GET' && parts.length === 2) {
      if (!knownFields[module!]) return error(400, 'Bad Request', `Module ${module} does not exist`);
      const filter = parseFilter(module!, req.query);
      if (typeof filter !== 'function') return filter;
      const fieldsParam = req.query.get(`fields[${module}]`);
      const fields = fieldsParam ? fieldsParam.split(',') : null;
      let rows = [...table(module!).values()].filter(filter);
      const sort = req.query.get('sort');
      if (sort) {
        const desc = sort.startsWith('-');
        const f = sort.replace(/^-/, '');
        rows = rows.sort(
          (a, b) =>
            (String(a[f]) < String(b[f]) ? -1 : String(a[f]) > String(b[f]) ? 1 : a.id < b.id ? -1 : 1) *
            (desc ? -1 : 1),
        );
      }
      const paged = req.query.has('page[size]') || req.query.has('page[number]');
      if (!paged) {
        // Without page parameters SuiteCRM answers every row, and nothing else (no meta, no links).
        const deletedRow = rows.find((r) => r.deleted);
        if (deletedRow) return notFound(module!, deletedRow.id);
        if (rows.length === 0) return { status: 200, body: noResult };
        return { status: 200, body: { data: rows.map((r) => render(module!, r, fields)) } };
      }
      const size = Number(req.query.get('page[size]') ?? 20);
      const number = Number(req.query.get('page[number]') ?? 1);
      const totalPages = Math.max(1, Math.ceil(rows.length / size));
      const page = rows.slice((number - 1) * size, number * size);
      // SuiteCRM loads each listed row as a bean, which a deleted row is not: the whole list fails.
      const deletedRow = page.find((r) => r.deleted);
      if (deletedRow) return notFound(module!, deletedRow.id);
      if (page.length === 0) return { status: 200, body: noResult };
      // Relative to /Api/ and not URL-encoded, as SuiteCRM writes them.
      const pageLink = (n: number) => {
        const q = new URLSearchParams(req.query);
        q.set('page[number]', String(n));
        return `V8/module/${module}?${decodeURIComponent(q.toString())}`;
      };
      const links: Record<string, string | null> = {
        first: number > 1 ? pageLink(1) : null,
        prev: number > 1 ? pageLink(number - 1) : null,
        next: number < totalPages ? pageLink(number + 1) : null,
        last: number < totalPages ? pageLink(totalPages) : null,
      };
      return {
        status: 200,
        body: {
          meta: { 'total-pages': totalPages, 'records-on-this-page': page.length },
          data: page.map((r) => render(module!, r, fields)),
          links,
        },
      };
    }
    if (req.method === 'GET' && parts.length === 3) {
      const row = table(module!).get(parts[2]!);
      if (!row || row.deleted) return notFound(module!, parts[2]!);
      const fieldsParam = req.query.get(`fields[${module}]`);
      const fields = fieldsParam ? fieldsParam.split(',') : null;
      return { status: 200, body: { data: render(module!, row, fields, true) } };
    }
    if (req.method === 'GET' && parts.length === 5 && parts[3] === 'relationships') {
      const row = table(module!).get(parts[2]!);
      if (!row || row.deleted) return notFound(module!, parts[2]!);
      const link = parts[4]!;
      // The reverse side (a contact's meetings) reads the same relationship from the other end.
      const reverse = reverseLinks[module!]?.[link];
      const related = linkModules[module!]?.[link] ?? reverse;
      if (!related) return error(400, 'Bad Request', `Link field ${link} is not found in ${module}`);
      const stored = reverse
        ? [...relations.entries()]
            .filter(
              ([key, set]) =>
                key.startsWith(`${reverse}/`) && key.endsWith(`/${module!.toLowerCase()}`) && set.has(row.id),
            )
            .map(([key]) => key.split('/')[1]!)
        : [...(relations.get(`${module}/${row.id}/${link}`) ?? [])];
      const ids = stored.filter((id) => table(related).get(id)?.deleted === 0);
      if (ids.length === 0) {
        return {
          status: 200,
          body: {
            meta: { message: `There is no relationship set in ${bean(module!)} module with ${parts[4]} link field` },
            data: [],
          },
        };
      }
      return {
        status: 200,
        body: {
          meta: { 'total-records': ids.length, 'total-pages': 1, 'records-on-this-page': ids.length },
          // links.self names the bean, as SuiteCRM's does (not a usable URL).
          data: ids.map((id) => ({
            ...render(related, table(related).get(id)!, null, true),
            links: { self: `V8/module/${bean(related)}/${id}` },
          })),
        },
      };
    }
    // Add: POST …/relationships (generic: the link is found from the type) or …/relationships/<link>.
    if (req.method === 'POST' && (parts.length === 4 || parts.length === 5) && parts[3] === 'relationships') {
      const row = table(module!).get(parts[2]!);
      if (!row || row.deleted) return notFound(module!, parts[2]!);
      const data = (req.body as { data?: { type?: string; id?: string } })?.data;
      const link =
        parts.length === 5
          ? parts[4]!
          : Object.entries(linkModules[module!] ?? {}).find(([, m]) => m === data?.type)?.[0];
      if (!data?.id || !data.type || !table(data.type).get(data.id))
        return error(400, null, `${data?.type ?? 'Module'} module with id ${data?.id ?? ''} is not found`);
      const message = `${bean(data.type)} with id ${data.id} has been added to ${bean(module!)} with id ${row.id}`;
      // The generic form picks another Meetings↔Users relationship for a user: 201, and nobody is invited.
      if (link && !(parts.length === 4 && data.type === 'Users') && linkModules[module!]?.[link] === data.type) {
        const key = `${module}/${row.id}/${link}`;
        relations.set(key, new Set([...(relations.get(key) ?? []), data.id]));
      }
      return {
        status: 201,
        body: {
          meta:
            parts.length === 5
              ? {
                  message: `${data.type} record with id ${data.id} has been related to ${module} record with id ${row.id} using link ${link}`,
                  sourceModule: module,
                  sourceModuleLabel: module,
                  sourceId: row.id,
                  relatedModule: data.type,
                  relatedModuleLabel: data.type,
                  relatedId: data.id,
                  relationshipLink: link,
                }
              : { message },
          data: [],
        },
      };
    }
    if (req.method === 'DELETE' && parts.length === 6 && parts[3] === 'relationships') {
      relations.get(`${module}/${parts[2]}/${parts[4]}`)?.delete(parts[5]!);
      const related = linkModules[module!]?.[parts[4]!] ?? '';
      return {
        status: 200,
        body: {
          meta: {
            message: `Relationship has been deleted between ${bean(module!)} with id ${parts[2]} and ${bean(related)} with id ${parts[5]}`,
          },
          data: [],
        },
      };
    }
    if ((req.method === 'POST' || req.method === 'PATCH') && parts.length === 1) {
      const data = (
        req.body as { data?: { type?: string; id?: string; attributes?: Record<string, string | number | null> } }
      )?.data;
      const m = data?.type;
      if (!m || !knownFields[m]) return error(400, 'Bad Request', 'Module is not found');
      if (denied.has(m) || deniedFor.get(userId)?.has(m)) return accessDenied();
      const attrs = data.attributes ?? {};
      for (const k of Object.keys(attrs))
        if (!knownFields[m]!.includes(k) && !k.endsWith('_c'))
          return error(400, 'Bad Request', `Property ${k} in ${m} module is invalid`);
      for (const k of ['date_start', 'date_end', 'date_due']) {
        const v = attrs[k];
        // Only the DB format is parsed: anything else (ISO 8601 with an offset too) is saved as an empty date, with
        // a 201 all the same; on PATCH it blanks the value the record had.
        if (typeof v === 'string' && v && !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(v)) attrs[k] = '';
      }
      if (req.method === 'POST') {
        const id = data.id ?? crypto.randomUUID();
        const row: Row = {
          ...attrs,
          id,
          deleted: 0,
          date_entered: now(),
          date_modified: now(),
          assigned_user_id: attrs['assigned_user_id'] ?? userId,
        };
        table(m).set(id, row);
        return { status: 201, body: { data: render(m, row, null, true) } };
      }
      const row = data.id ? table(m).get(data.id) : undefined;
      if (!row || row.deleted) return notFound(m, String(data.id));
      Object.assign(row, attrs, { date_modified: now() });
      return { status: 201, body: { data: render(m, row, null, true) } };
    }
    if (req.method === 'DELETE' && parts.length === 3) {
      const row = table(module!).get(parts[2]!);
      if (!row || row.deleted) return notFound(module!, parts[2]!);
      row.deleted = 1;
      row.date_modified = now();
      return { status: 200, body: { meta: { message: `Record with id ${parts[2]} is deleted` }, data: [] } };
    }
    return error(405, 'Method Not Allowed', `${req.method} ${req.path}`);
  }

  const double = await startDouble(async (request) => {
    // SuiteCRM 7 also serves the API under /legacy (as SuiteCRM 8 does).
    const req = prefix ? request : { ...request, path: request.path.replace(/^\/legacy(?=\/Api\/)/, '') };
    if (req.method === 'POST' && req.path === `${prefix}/Api/access_token`) return token(req);
    if (req.path.startsWith(`${prefix}/Api/V8/`)) {
      const user = authorise(req);
      if (typeof user !== 'string') return user;
      return api(req, user);
    }
    return { status: 404, body: '<html><body>Not Found</body></html>', headers: { 'content-type': 'text/html' } };
  });

  return {
    ...double,
    clientId,
    clientSecret,
    users,
    seed(module, attributes) {
      const id = String(attributes['id'] ?? crypto.randomUUID());
      table(module).set(id, {
        assigned_user_id: users[0]!.id,
        ...attributes,
        id,
        deleted: 0,
        date_entered: now(),
        date_modified: now(),
      } as Row);
      return id;
    },
    update(module, id, attributes) {
      const row = table(module).get(id);
      if (!row) throw new Error(`no ${module} ${id}`);
      Object.assign(row, attributes, { date_modified: now() });
    },
    remove(module, id) {
      const row = table(module).get(id);
      if (!row) throw new Error(`no ${module} ${id}`);
      row.deleted = 1;
      row.date_modified = now();
    },
    get: (module, id) => table(module).get(id),
    relate(module, id, link, relatedId) {
      const key = `${module}/${id}/${link}`;
      relations.set(key, new Set([...(relations.get(key) ?? []), relatedId]));
    },
    related: (module, id, link) => [...(relations.get(`${module}/${id}/${link}`) ?? [])],
    all: (module) => [...table(module).values()],
    advance(ms) {
      clock += ms;
    },
    expireTokens() {
      for (const t of tokens.values()) t.expires = 0;
    },
    revokeRefreshTokens() {
      refreshTokens.clear();
    },
    denyModule(module) {
      denied.add(module);
    },
  };
}

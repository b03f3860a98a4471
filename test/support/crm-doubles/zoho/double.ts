/**
 * A stateful Zoho CRM v8 double (records, deleted records, search, users; the accounts server's token endpoint),
 * held to Zoho's OpenAPI slice (../shared/schemas/zoho): every request and answer of the CRM API is checked
 * against it. The slice's `Record` is a free map, so field API names are checked against Zoho's standard-field list
 * for each module (the SDK's, in the same folder) plus the org's custom fields: writing or asking for an unknown
 * field is INVALID_DATA, as Zoho answers it.
 * What it models: OAuth code and refresh grants (hour-long tokens; refusals as 200 + {"error"}), `api_domain`;
 * `Zoho-oauthtoken` auth (401 INVALID_TOKEN); list with `fields` (required), `ids`, `If-Modified-Since` (304 when
 * nothing changed), `page` up to 2,000 records then `page_token`; insert/update of up to 100 records with per-record
 * results; delete to the recycle bin and `/deleted`; search by `criteria` ((Field:equals:value) joined by `or`,
 * 204 when nothing matches); Events participants (contact, lead, user, e-mail) read back with their e-mail; and
 * whether a write would have e-mailed participants (`$send_notification` not false): `invitationsSent`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { startDouble, type DoubleRequest, type DoubleResponse, type LoopbackDouble } from '../http-double';
import { ContractRecorder, loadContractIfPresent, schemaFile } from '../../contract/openapi';

export type ZohoModuleName = 'Events' | 'Calls' | 'Tasks' | 'Contacts' | 'Accounts';
const modules: readonly ZohoModuleName[] = ['Events', 'Calls', 'Tasks', 'Contacts', 'Accounts'];
export type ZRow = Record<string, unknown> & { id: string };

export interface ZohoDouble extends LoopbackDouble {
  clientId: string;
  clientSecret: string;
  users: { id: string; email: string; name: string }[];
  violations: string[];
  contractChecked: boolean;
  invitationsSent: number;
  authorize(p: { clientId: string; redirectUri: string; userIndex?: number }): string;
  addField(name: string): void;
  insert(module: ZohoModuleName, fields: Record<string, unknown>): string;
  update(module: ZohoModuleName, id: string, fields: Record<string, unknown>): void;
  remove(module: ZohoModuleName, id: string): void;
  get(module: ZohoModuleName, id: string): ZRow | undefined;
  all(module: ZohoModuleName): ZRow[];
  expireTokens(): void;
  now(): Date;
  advance(ms: number): void;
  mutateAnswer: ((path: string, body: unknown) => unknown) | null;
}

function standardFields(): Record<string, Set<string>> | null {
  const file = schemaFile('zoho', 'zoho-crm-v8-standard-fields.json');
  if (!fs.existsSync(file)) return null;
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { modules: Record<string, Record<string, string>> };
  return Object.fromEntries(Object.entries(json.modules).map(([m, f]) => [m, new Set(Object.keys(f))]));
}

/**
 * Zoho's recurring meetings: RRULE with FREQ (daily to yearly), DTSTART and UNTIL as dates, no iCalendar-only parts
 * (BYHOUR, WKST, …); EXDATE dates comma-separated. What Zoho's UI offers, held as the double's rule.
 */
function recurringActivityValid(v: unknown): boolean {
  if (!v || typeof v !== 'object') return false;
  const { RRULE: rule, EXDATE: ex } = v as { RRULE?: unknown; EXDATE?: unknown };
  if (typeof rule !== 'string') return false;
  const parts = new Map(rule.split(';').map((p) => [p.split('=')[0] ?? '', p.split('=')[1] ?? ''] as const));
  const known = ['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS', 'COUNT', 'UNTIL', 'DTSTART'];
  const date = /^\d{4}-\d{2}-\d{2}$/;
  return (
    [...parts.keys()].every((k) => known.includes(k)) &&
    ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(parts.get('FREQ') ?? '') &&
    date.test(parts.get('DTSTART') ?? '') &&
    (!parts.has('UNTIL') || date.test(parts.get('UNTIL') ?? '')) &&
    !(parts.has('UNTIL') && parts.has('COUNT')) &&
    (ex === undefined || (typeof ex === 'string' && ex.split(',').every((d) => date.test(d))))
  );
}

export async function startZohoDouble(options: { tagField?: boolean } = {}): Promise<ZohoDouble> {
  const contract = loadContractIfPresent([schemaFile('zoho', 'zoho-crm-v8-openapi.json')], {
    oneOfAsAnyOf: true,
    strict: true,
  });
  const recorder = new ContractRecorder(contract);
  const known = standardFields();
  const custom = new Set<string>(options.tagField === false ? [] : ['CrmSync_ICalUId']);
  let clock = Date.parse('2030-01-10T08:00:00.000Z');
  const zTime = (t = clock) => `${new Date(t).toISOString().slice(0, 19)}+00:00`;
  let nextId = 5_000_000_000_000_000;
  const tables = new Map<ZohoModuleName, Map<string, ZRow>>(modules.map((m) => [m, new Map()]));
  const deleted: { module: ZohoModuleName; id: string; at: number; name: string }[] = [];
  const clientId = `1000.${crypto.randomBytes(8).toString('hex').toUpperCase()}`;
  const clientSecret = crypto.randomBytes(16).toString('hex');
  const codes = new Map<string, { redirectUri: string; user: number }>();
  const tokens = new Map<string, { user: number; expiresAt: number }>();
  const refresh = new Map<string, number>();
  const users = [
    // Zoho's description gives user e-mails the (unanchored) pattern [a-z0-9]{9}@[a-z0-9]{5}.com, taken from an
    // example: the double's users fit it.
    { id: '4150868000000225013', email: 'sallysmith@corpx.com', name: 'Sally' },
    { id: '4150868000000225014', email: 'maxmuster@corpx.com', name: 'Max' },
  ];
  const table = (m: ZohoModuleName) => tables.get(m)!;
  const error = (status: number, code: string, message: string, details: Record<string, unknown> = {}) => ({
    status,
    body: { code, details, message, status: 'error' },
  });
  const allowed = (m: ZohoModuleName, f: string) =>
    f === 'id' || f.startsWith('$') || custom.has(f) || !known || (known[m]?.has(f) ?? false);
  const emailOf = (p: Record<string, unknown>): string => {
    const who = String(p['participant'] ?? '');
    if (p['type'] === 'email') return who;
    if (p['type'] === 'user') return users.find((u) => u.id === who)?.email ?? '';
    if (p['type'] === 'contact') return String(table('Contacts').get(who)?.['Email'] ?? '');
    return '';
  };
  const touch = (r: ZRow) => {
    r['Modified_Time'] = zTime();
  };
  const insert = (module: ZohoModuleName, fields: Record<string, unknown>): string => {
    const id = String(nextId++);
    const row: ZRow = { ...fields, id, Created_Time: zTime(), Modified_Time: zTime() };
    if (module === 'Contacts') row['Full_Name'] = [fields['First_Name'], fields['Last_Name']].filter(Boolean).join(' ');
    table(module).set(id, row);
    return id;
  };
  const present = (module: ZohoModuleName, r: ZRow, fields: string[]) => {
    const out: Record<string, unknown> = { id: r.id };
    for (const f of fields) {
      if (f === 'Participants' && Array.isArray(r['Participants'])) {
        out[f] = (r['Participants'] as Record<string, unknown>[]).map((p) => ({ ...p, Email: emailOf(p) }));
      } else if (r[f] !== undefined) out[f] = r[f];
    }
    if (r['$se_module'] !== undefined && fields.includes('What_Id')) out['$se_module'] = r['$se_module'];
    if (module === 'Contacts' && fields.includes('Account_Name') && r['Account_Name']) {
      const a = table('Accounts').get(String((r['Account_Name'] as { id: string }).id));
      out['Account_Name'] = { id: a?.id ?? '', name: a?.['Account_Name'] ?? '' };
    }
    return out;
  };
  const badFields = (module: ZohoModuleName, names: string[]) => names.filter((f) => !allowed(module, f));

  function page(rows: ZRow[], q: URLSearchParams): { rows: ZRow[]; info: Record<string, unknown> } | DoubleResponse {
    const perPage = Number(q.get('per_page') ?? 200);
    if (perPage > 200) return error(400, 'INVALID_DATA', 'per_page must be at most 200');
    const token = q.get('page_token');
    const pageNo = Number(q.get('page') ?? 1);
    if (!token && pageNo * perPage > 2000)
      return error(400, 'DISCRETE_PAGINATION_LIMIT_EXCEEDED', 'use page_token beyond 2000 records');
    const offset = token ? Number(Buffer.from(token, 'base64url').toString()) : (pageNo - 1) * perPage;
    const slice = rows.slice(offset, offset + perPage);
    const more = offset + perPage < rows.length;
    return {
      rows: slice,
      info: {
        per_page: perPage,
        count: slice.length,
        page: token ? Math.floor(offset / perPage) + 1 : pageNo,
        more_records: more,
        ...(more ? { next_page_token: Buffer.from(String(offset + perPage)).toString('base64url') } : {}),
      },
    };
  }

  function writeRecords(
    module: ZohoModuleName,
    method: 'POST' | 'PUT',
    data: Record<string, unknown>[],
  ): DoubleResponse {
    if (data.length > 100) return error(400, 'LIMIT_EXCEEDED', 'at most 100 records a request');
    const results = data.map((rec) => {
      const bad = badFields(module, Object.keys(rec));
      if (bad.length)
        return { code: 'INVALID_DATA', details: { api_name: bad[0] }, message: 'invalid data', status: 'error' };
      if (rec['Recurring_Activity'] !== undefined && !recurringActivityValid(rec['Recurring_Activity']))
        return {
          code: 'INVALID_DATA',
          details: { api_name: 'Recurring_Activity' },
          message: 'invalid data',
          status: 'error',
        };
      const { $send_notification: notify, ...fields } = rec;
      if (module === 'Events' && fields['Participants'] !== undefined && notify !== false) api.invitationsSent++;
      if (method === 'POST') {
        const id = insert(module, fields);
        return {
          code: 'SUCCESS',
          details: { id, Created_Time: zTime(), Modified_Time: zTime() },
          message: 'record added',
          status: 'success',
        };
      }
      const row = table(module).get(String(fields['id']));
      if (!row)
        return {
          code: 'INVALID_DATA',
          details: { api_name: 'id' },
          message: 'the id given seems to be invalid',
          status: 'error',
        };
      Object.assign(row, fields);
      touch(row);
      return {
        code: 'SUCCESS',
        details: { id: row.id, Modified_Time: zTime() },
        message: 'record updated',
        status: 'success',
      };
    });
    return { status: 200, body: { data: results } };
  }

  async function route(req: DoubleRequest): Promise<DoubleResponse> {
    const p = req.path;
    const q = req.query;
    const body = (req.body ?? {}) as Record<string, unknown>;
    let m: RegExpExecArray | null;
    if (p === '/oauth/v2/token' && req.method === 'POST') {
      const f = body as Record<string, string>;
      if (f['client_id'] !== clientId || f['client_secret'] !== clientSecret)
        return { status: 200, body: { error: 'invalid_client' } };
      let user: number;
      if (f['grant_type'] === 'authorization_code') {
        const c = codes.get(f['code'] ?? '');
        codes.delete(f['code'] ?? '');
        if (!c || c.redirectUri !== f['redirect_uri']) return { status: 200, body: { error: 'invalid_code' } };
        user = c.user;
      } else if (f['grant_type'] === 'refresh_token') {
        const r = refresh.get(f['refresh_token'] ?? '');
        if (r === undefined) return { status: 200, body: { error: 'invalid_code' } };
        user = r;
      } else return { status: 200, body: { error: 'unsupported_grant_type' } };
      const access = `1000.${crypto.randomBytes(16).toString('hex')}`;
      tokens.set(access, { user, expiresAt: clock + 3_600_000 });
      const answer: Record<string, unknown> = {
        access_token: access,
        scope: 'ZohoCRM.modules.ALL ZohoCRM.users.READ',
        api_domain: api.url,
        token_type: 'Bearer',
        expires_in: 3600,
      };
      if (f['grant_type'] === 'authorization_code') {
        const rt = `1000.${crypto.randomBytes(16).toString('hex')}`;
        refresh.set(rt, user);
        answer['refresh_token'] = rt;
      }
      return { status: 200, body: answer };
    }
    if (p === '/oauth/v2/token/revoke' && req.method === 'POST') {
      refresh.delete(q.get('token') ?? '');
      return { status: 200, body: { status: 'success' } };
    }
    const auth = String(req.headers['authorization'] ?? '');
    const grant = tokens.get(auth.replace(/^Zoho-oauthtoken /, ''));
    if (!auth.startsWith('Zoho-oauthtoken ') || !grant || grant.expiresAt < clock)
      return error(401, 'INVALID_TOKEN', 'invalid oauth token');
    const me = users[grant.user]!;

    if (p === '/crm/v8/users' && req.method === 'GET') {
      const list = q.get('type') === 'CurrentUser' ? [me] : users;
      return {
        status: 200,
        body: {
          users: list.map((u) => ({ id: u.id, email: u.email, full_name: u.name, status: 'active', confirm: true })),
          info: { per_page: 200, count: list.length, page: 1, more_records: false },
        },
      };
    }
    if ((m = /^\/crm\/v8\/(\w+)(?:\/(deleted|search|\d+))?$/.exec(p))) {
      const module = m[1] as ZohoModuleName;
      if (!modules.includes(module)) return error(400, 'INVALID_MODULE', 'the module name given seems to be invalid');
      const sub = m[2] ?? '';
      if (sub === 'deleted' && req.method === 'GET') {
        const since = req.headers['if-modified-since'];
        const rows = deleted
          .filter((d) => d.module === module && (!since || d.at >= Date.parse(String(since))))
          .map((d) => ({
            id: d.id,
            display_name: d.name,
            type: 'recycle',
            deleted_time: zTime(d.at),
            deleted_by: { id: me.id, name: me.name },
          }));
        if (!rows.length) return { status: 204 };
        const pg = page(rows as unknown as ZRow[], q);
        if ('status' in pg) return pg;
        return { status: 200, body: { data: pg.rows, info: pg.info } };
      }
      const fields = (q.get('fields') ?? '').split(',').filter(Boolean);
      if (req.method === 'GET' && (sub === '' || sub === 'search')) {
        if (!fields.length)
          return error(400, 'REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param: 'fields' });
        const bad = badFields(module, fields);
        if (bad.length) return error(400, 'INVALID_DATA', 'invalid field', { api_name: bad[0] });
      }
      if (sub === 'search' && req.method === 'GET') {
        const criteria = q.get('criteria') ?? '';
        const conds = [...criteria.matchAll(/\((\w+):equals:((?:\\.|[^()\\])*)\)/g)].map((c) => ({
          field: c[1]!,
          value: c[2]!.replace(/\\(.)/g, '$1'),
        }));
        if (!conds.length || conds.length > 10) return error(400, 'INVALID_QUERY', 'invalid criteria');
        const badC = badFields(
          module,
          conds.map((c) => c.field),
        );
        if (badC.length) return error(400, 'INVALID_QUERY', 'invalid field in criteria', { api_name: badC[0] });
        const rows = [...table(module).values()].filter((r) =>
          conds.some((c) => String(r[c.field] ?? '').toLowerCase() === c.value.toLowerCase()),
        );
        if (!rows.length) return { status: 204 };
        const pg = page(rows, q);
        if ('status' in pg) return pg;
        return { status: 200, body: { data: pg.rows.map((r) => present(module, r, fields)), info: pg.info } };
      }
      if (sub === '' && req.method === 'GET') {
        const ids = q.get('ids')?.split(',');
        const since = req.headers['if-modified-since'];
        const rows = [...table(module).values()].filter(
          (r) =>
            (!ids || ids.includes(r.id)) &&
            (!since || Date.parse(String(r['Modified_Time'])) >= Date.parse(String(since))),
        );
        if (!rows.length) return since ? { status: 304 } : { status: 204 };
        const pg = page(rows, q);
        if ('status' in pg) return pg;
        return { status: 200, body: { data: pg.rows.map((r) => present(module, r, fields)), info: pg.info } };
      }
      if (sub === '' && (req.method === 'POST' || req.method === 'PUT'))
        return writeRecords(module, req.method, (body['data'] ?? []) as Record<string, unknown>[]);
      if (/^\d+$/.test(sub) && req.method === 'DELETE') {
        const row = table(module).get(sub);
        if (!row) return error(400, 'INVALID_DATA', 'the related id given seems to be invalid');
        api.remove(module, sub);
        return {
          status: 200,
          body: { data: [{ code: 'SUCCESS', details: { id: sub }, message: 'record deleted', status: 'success' }] },
        };
      }
    }
    return error(404, 'INVALID_URL_PATTERN', `no route ${req.method} ${p}`);
  }

  const double = await startDouble(async (req) => {
    // The browser half of OAuth (the accounts server's consent page): the user consents at once; Zoho adds the
    // data centre's location and accounts server to the redirect.
    if (req.path === '/oauth/v2/auth' && req.method === 'GET') {
      const redirectUri = req.query.get('redirect_uri') ?? '';
      const code = api.authorize({ clientId: req.query.get('client_id') ?? '', redirectUri });
      const target = new URL(redirectUri);
      target.searchParams.set('state', req.query.get('state') ?? '');
      target.searchParams.set('code', code);
      target.searchParams.set('location', 'us');
      target.searchParams.set('accounts-server', api.url);
      return { status: 302, headers: { location: target.toString() } };
    }
    // The accounts server (OAuth) is not part of the CRM API description.
    const described = req.path.startsWith('/crm/');
    if (described)
      recorder.request({
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req.headers,
        body: req.rawBody ? req.body : undefined,
        contentType: String(req.headers['content-type'] ?? ''),
      });
    let answer = await route(req);
    if (api.mutateAnswer && answer.body !== undefined)
      answer = { ...answer, body: api.mutateAnswer(req.path, answer.body) };
    if (described) recorder.response(req, answer.status, answer.body);
    return answer;
  });

  const api: ZohoDouble = {
    ...double,
    clientId,
    clientSecret,
    users,
    violations: recorder.violations,
    contractChecked: contract !== null && known !== null,
    invitationsSent: 0,
    authorize({ clientId: id, redirectUri, userIndex = 0 }) {
      if (id !== clientId) throw new Error('unknown client id');
      const code = `1000.${crypto.randomBytes(12).toString('hex')}`;
      codes.set(code, { redirectUri, user: userIndex });
      return code;
    },
    addField: (name) => void custom.add(name),
    insert,
    update(module, id, fields) {
      const r = table(module).get(id);
      if (!r) throw new Error(`no ${module} ${id}`);
      Object.assign(r, fields);
      touch(r);
    },
    remove(module, id) {
      const r = table(module).get(id);
      if (!r) return;
      table(module).delete(id);
      deleted.push({ module, id, at: clock, name: String(r['Event_Title'] ?? r['Subject'] ?? r['Full_Name'] ?? id) });
    },
    get: (module, id) => table(module).get(id),
    all: (module) => [...table(module).values()],
    expireTokens() {
      for (const t of tokens.values()) t.expiresAt = clock - 1;
    },
    now: () => new Date(clock),
    advance(ms) {
      clock += ms;
    },
    mutateAnswer: null,
  };
  return api;
}

/**
 * A stateful Pipedrive double (API v2 activities and persons, v1 users and activity types, OAuth token endpoint),
 * held to Pipedrive's published OpenAPI descriptions (../shared/schemas/pipedrive) in strict form: every object the
 * description declares must carry only declared fields (`strictObjects`), so a misspelt field in a request or an
 * answer is a violation. What it models: API tokens (`x-api-token`) and OAuth (Basic client auth, authorization code
 * and refresh grants, one-hour access tokens, `api_domain`); activities with `due_date`/`due_time`/`duration`,
 * `busy`, `done`, `location`, `participants`, `attendees` (only with `include_fields=attendees`), soft deletion
 * (`is_deleted`, still listed), `updated_since`/`updated_until`, `owner_id`, `sort_by`, key-set cursors, limit ≤ 500;
 * persons with e-mails and an organization, exact e-mail search; `{success:false,error}` error bodies.
 * The description types fields without nulls: the double leaves an empty field out instead of answering null.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { startDouble, type DoubleRequest, type DoubleResponse, type LoopbackDouble } from '../http-double';
import { ContractRecorder, loadContractIfPresent, schemaFile } from '../../contract/openapi';

export const pipedriveSpecFiles = ['pipedrive-v2-openapi.json', 'pipedrive-v1-openapi.json'].map((f) =>
  schemaFile('pipedrive', f),
);

export interface PdActivityRow {
  id: number;
  subject: string;
  type: string;
  owner_id: number;
  is_deleted: boolean;
  add_time: string;
  update_time: string;
  due_date?: string;
  due_time?: string;
  duration?: string;
  busy: boolean;
  done: boolean;
  location?: { value: string };
  participants: { person_id: number; primary: boolean }[];
  attendees: { email: string; name?: string; person_id?: number; user_id?: number }[];
  person_id?: number;
  org_id?: number;
  note?: string;
}
export interface PdPerson {
  id: number;
  name: string;
  emails: { value: string; primary: boolean; label: string }[];
  org_id?: number;
  add_time: string;
  update_time: string;
}

export interface PipedriveDouble extends LoopbackDouble {
  clientId: string;
  clientSecret: string;
  users: { id: number; email: string; name: string; token: string }[];
  violations: string[];
  contractChecked: boolean;
  authorize(p: { clientId: string; redirectUri: string; userIndex?: number }): string;
  addActivity(a: Partial<PdActivityRow> & { subject: string; owner_id: number }): number;
  updateActivity(id: number, patch: Partial<PdActivityRow>): void;
  /** Pipedrive's delete: marked `is_deleted` (purged after 30 days). */
  deleteActivity(id: number): void;
  activity(id: number): PdActivityRow | undefined;
  activities(): PdActivityRow[];
  addOrganization(name: string): number;
  addPerson(p: { name: string; email: string; orgId?: number }): number;
  person(id: number): PdPerson | undefined;
  expireTokens(): void;
  now(): Date;
  advance(ms: number): void;
  mutateAnswer: ((path: string, body: unknown) => unknown) | null;
  /**
   * Pipedrive's token-based rate limits: each request spends its operation's `x-token-cost` (read from the OpenAPI
   * files) from the company's daily budget; `burst` requests per 2-second window (on the double's clock). Every
   * answer carries x-ratelimit-limit/-remaining/-reset and x-daily-ratelimit-token-limit/-remaining; past either
   * limit the answer is 429 (Retry-After for the burst window).
   */
  limits: { dailyTokens: number; tokensLeft: number; burst: number };
  /** Token cost of a request by its method and path (1 when the description is absent). */
  tokenCost(method: string, path: string): number;
}

/** `x-token-cost` per operation, from Pipedrive's own descriptions (v2 under /api/v2, v1 under /v1). */
function loadTokenCosts(): { method: string; re: RegExp; params: number; cost: number }[] {
  const out: { method: string; re: RegExp; params: number; cost: number }[] = [];
  for (const [file, base] of [
    ['pipedrive-v2-openapi.json', '/api/v2'],
    ['pipedrive-v1-openapi.json', '/v1'],
  ] as const) {
    const f = schemaFile('pipedrive', file);
    if (!fs.existsSync(f)) continue;
    const doc = JSON.parse(fs.readFileSync(f, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    for (const [template, ops] of Object.entries(doc.paths)) {
      const re = new RegExp(`^${base}${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      const params = (template.match(/\{/g) ?? []).length;
      for (const [method, op] of Object.entries(ops)) {
        const cost = (op as { 'x-token-cost'?: unknown })['x-token-cost'];
        if (typeof cost === 'number') out.push({ method: method.toUpperCase(), re, params, cost });
      }
    }
  }
  // Literal segments first (/users/me before /users/{id}).
  return out.sort((a, b) => a.params - b.params);
}

export async function startPipedriveDouble(): Promise<PipedriveDouble> {
  const contract = loadContractIfPresent(pipedriveSpecFiles, { strict: true });
  const recorder = new ContractRecorder(contract);
  let clock = Date.parse('2030-01-10T08:00:00.000Z');
  const stamp = () => new Date(clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
  let nextId = 1;
  const activities = new Map<number, PdActivityRow>();
  const persons = new Map<number, PdPerson>();
  const orgs = new Map<number, { id: number; name: string }>();
  const clientId = crypto.randomUUID();
  const clientSecret = crypto.randomBytes(16).toString('hex');
  const codes = new Map<string, { redirectUri: string; user: number }>();
  const bearer = new Map<string, { user: number; expiresAt: number }>();
  const refresh = new Map<string, number>();
  const users = [
    { id: 11, email: 'sally@corp.example', name: 'Sally', token: crypto.randomBytes(20).toString('hex') },
    { id: 12, email: 'max@corp.example', name: 'Max', token: crypto.randomBytes(20).toString('hex') },
  ];
  const types = ['call', 'meeting', 'task', 'deadline', 'email', 'lunch', 'follow_up'];

  const fail = (status: number, error: string, info?: string): DoubleResponse => ({
    status,
    body: { success: false, error, ...(info ? { error_info: info } : {}) },
  });
  const userOf = (req: DoubleRequest): number | DoubleResponse => {
    const token = req.headers['x-api-token'];
    if (typeof token === 'string') {
      const u = users.findIndex((x) => x.token === token);
      return u >= 0 ? u : fail(401, 'unauthorized access');
    }
    const auth = String(req.headers['authorization'] ?? '');
    const grant = bearer.get(auth.replace(/^Bearer /, ''));
    if (!grant || grant.expiresAt < clock) return fail(401, 'Invalid or expired access token');
    return grant.user;
  };
  const present = (a: PdActivityRow, withAttendees: boolean) => {
    const { attendees, ...rest } = a;
    const out: Record<string, unknown> = { ...rest };
    for (const [k, v] of Object.entries(out)) if (v === undefined || v === '') delete out[k];
    if (withAttendees) out['attendees'] = attendees;
    return out;
  };
  const presentPerson = (p: PdPerson) => ({ ...p });
  const timeOk = (v: unknown) => v === undefined || v === '' || (typeof v === 'string' && /^\d{2}:\d{2}$/.test(v));
  const validate = (b: Record<string, unknown>): DoubleResponse | null => {
    if (b['due_date'] !== undefined && b['due_date'] !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(String(b['due_date'])))
      return fail(400, 'Invalid due_date', 'Expected YYYY-MM-DD');
    if (!timeOk(b['due_time']) || !timeOk(b['duration']))
      return fail(400, 'Invalid due_time or duration', 'Expected HH:MM');
    if (b['type'] !== undefined && !types.includes(String(b['type'])))
      return fail(400, `Unknown activity type ${String(b['type'])}`);
    for (const p of (b['participants'] ?? []) as { person_id: number }[])
      if (!persons.has(p.person_id)) return fail(400, `Person ${p.person_id} not found`);
    if (b['org_id'] !== undefined && !orgs.has(Number(b['org_id']))) return fail(400, 'Organization not found');
    return null;
  };
  const apply = (a: PdActivityRow, b: Record<string, unknown>) => {
    for (const k of [
      'subject',
      'type',
      'owner_id',
      'due_date',
      'due_time',
      'duration',
      'busy',
      'done',
      'note',
      'org_id',
      'person_id',
    ] as const) {
      if (b[k] !== undefined) (a as unknown as Record<string, unknown>)[k] = b[k] === '' ? undefined : b[k];
    }
    if (b['location'] !== undefined) {
      const v = (b['location'] as { value?: string }).value ?? '';
      a.location = v ? { value: v } : undefined;
    }
    if (b['participants'] !== undefined) {
      a.participants = b['participants'] as PdActivityRow['participants'];
      a.person_id = a.participants.find((p) => p.primary)?.person_id ?? a.participants[0]?.person_id;
    }
    if (b['attendees'] !== undefined) a.attendees = b['attendees'] as PdActivityRow['attendees'];
    a.update_time = stamp();
  };
  const addActivity = (a: Partial<PdActivityRow> & { subject: string; owner_id: number }): number => {
    const id = nextId++;
    const row: PdActivityRow = {
      type: 'meeting',
      is_deleted: false,
      busy: true,
      done: false,
      participants: [],
      attendees: [],
      ...a,
      id,
      add_time: stamp(),
      update_time: stamp(),
    };
    activities.set(id, row);
    return id;
  };

  type Key = [string | number, number];
  const keyOf = (a: PdActivityRow, sortBy: string): Key => [
    sortBy === 'update_time'
      ? a.update_time
      : sortBy === 'add_time'
        ? a.add_time
        : sortBy === 'due_date'
          ? (a.due_date ?? '')
          : a.id,
    a.id,
  ];
  const cmp = (x: Key, y: Key) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1]);

  async function route(req: DoubleRequest): Promise<DoubleResponse> {
    const p = req.path;
    const q = req.query;
    const body = (req.body ?? {}) as Record<string, unknown>;
    let m: RegExpExecArray | null;

    if (p === '/oauth/token' && req.method === 'POST') {
      const basic = Buffer.from(String(req.headers['authorization'] ?? '').replace(/^Basic /, ''), 'base64').toString();
      if (basic !== `${clientId}:${clientSecret}`)
        return { status: 401, body: { success: false, error: 'Invalid client' } };
      let user: number;
      if (body['grant_type'] === 'authorization_code') {
        const c = codes.get(String(body['code']));
        codes.delete(String(body['code']));
        if (!c || c.redirectUri !== body['redirect_uri'])
          return { status: 400, body: { success: false, error: 'Invalid grant' } };
        user = c.user;
      } else if (body['grant_type'] === 'refresh_token') {
        const r = refresh.get(String(body['refresh_token']));
        if (r === undefined) return { status: 400, body: { success: false, error: 'Invalid grant' } };
        user = r;
      } else return { status: 400, body: { success: false, error: 'Unsupported grant' } };
      const access = `v1u:${crypto.randomBytes(16).toString('hex')}`;
      const rt = body['grant_type'] === 'refresh_token' ? String(body['refresh_token']) : crypto.randomUUID();
      bearer.set(access, { user, expiresAt: clock + 3_600_000 });
      refresh.set(rt, user);
      return {
        status: 200,
        body: {
          access_token: access,
          token_type: 'Bearer',
          refresh_token: rt,
          scope: 'base,activities:full,contacts:full,users:read',
          expires_in: 3599,
          api_domain: api.url,
        },
      };
    }

    const u = userOf(req);
    if (typeof u !== 'number') return u;
    const me = users[u]!;

    if (p === '/v1/users/me' && req.method === 'GET')
      return {
        status: 200,
        body: {
          success: true,
          data: { id: me.id, name: me.name, email: me.email, company_domain: 'corp', activated: true },
        },
      };
    if (p === '/v1/users' && req.method === 'GET')
      return {
        status: 200,
        body: { success: true, data: users.map((x) => ({ id: x.id, name: x.name, email: x.email, activated: true })) },
      };
    if (p === '/v1/activityTypes' && req.method === 'GET')
      return {
        status: 200,
        body: {
          success: true,
          data: types.map((t, i) => ({
            id: i + 1,
            name: t.replace('_', '-'),
            key_string: t,
            active_flag: true,
            is_custom_flag: t === 'follow_up',
            order_nr: i,
          })),
        },
      };

    if (p === '/api/v2/activities' && req.method === 'GET') {
      const limit = Number(q.get('limit') ?? 100);
      if (limit > 500) return fail(400, 'limit must be at most 500');
      const sortBy = q.get('sort_by') ?? 'id';
      const desc = q.get('sort_direction') === 'desc';
      const since = q.get('updated_since');
      const until = q.get('updated_until');
      for (const t of [since, until]) if (t && Number.isNaN(Date.parse(t))) return fail(400, 'Invalid RFC3339 time');
      const owner = q.get('owner_id');
      const ids = q.get('ids')?.split(',').map(Number);
      let rows = [...activities.values()].filter(
        (a) =>
          (!owner || a.owner_id === Number(owner)) &&
          (!ids || ids.includes(a.id)) &&
          (!since || Date.parse(a.update_time) >= Date.parse(since)) &&
          (!until || Date.parse(a.update_time) < Date.parse(until)),
      );
      rows.sort((x, y) => (desc ? -1 : 1) * cmp(keyOf(x, sortBy), keyOf(y, sortBy)));
      const cursor = q.get('cursor');
      if (cursor) {
        const after = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Key;
        rows = rows.filter((a) => (desc ? -1 : 1) * cmp(keyOf(a, sortBy), after) > 0);
      }
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const more = rows.length > limit && last;
      return {
        status: 200,
        body: {
          success: true,
          data: page.map((a) => present(a, q.get('include_fields') === 'attendees')),
          additional_data: more
            ? { next_cursor: Buffer.from(JSON.stringify(keyOf(last, sortBy))).toString('base64url') }
            : {},
        },
      };
    }
    if (p === '/api/v2/activities' && req.method === 'POST') {
      const bad = validate(body);
      if (bad) return bad;
      if (!body['subject'] && !body['type']) return fail(400, 'subject or type is required');
      const id = addActivity({ subject: String(body['subject'] ?? ''), owner_id: Number(body['owner_id'] ?? me.id) });
      apply(activities.get(id)!, body);
      return { status: 200, body: { success: true, data: present(activities.get(id)!, true) } };
    }
    if ((m = /^\/api\/v2\/activities\/(\d+)$/.exec(p))) {
      const a = activities.get(Number(m[1]));
      if (!a || (a.is_deleted && req.method !== 'GET')) return fail(404, 'Activity not found');
      if (req.method === 'GET')
        return { status: 200, body: { success: true, data: present(a, q.get('include_fields') === 'attendees') } };
      if (req.method === 'PATCH') {
        const bad = validate(body);
        if (bad) return bad;
        apply(a, body);
        return { status: 200, body: { success: true, data: present(a, true) } };
      }
      if (req.method === 'DELETE') {
        a.is_deleted = true;
        a.update_time = stamp();
        return { status: 200, body: { success: true, data: { id: a.id } } };
      }
    }
    if (p === '/api/v2/persons/search' && req.method === 'GET') {
      const term = (q.get('term') ?? '').toLowerCase();
      if (term.length < 2) return fail(400, 'term must be at least 2 characters');
      const exact = q.get('exact_match') === 'true';
      const onEmail = !q.get('fields') || q.get('fields')!.split(',').includes('email');
      const hits = [...persons.values()].filter(
        (x) =>
          onEmail &&
          x.emails.some((e) => (exact ? e.value.toLowerCase() === term : e.value.toLowerCase().includes(term))),
      );
      return {
        status: 200,
        body: {
          success: true,
          data: {
            items: hits.map((x) => ({
              result_score: 1,
              item: {
                id: x.id,
                type: 'person',
                name: x.name,
                emails: x.emails.map((e) => e.value),
                phones: [],
                ...(x.org_id ? { organization: { id: x.org_id, name: orgs.get(x.org_id)!.name } } : {}),
              },
            })),
          },
          additional_data: {},
        },
      };
    }
    if (p === '/api/v2/persons' && req.method === 'GET') {
      const limit = Math.min(500, Number(req.query.get('limit') ?? 100));
      const rows = [...persons.values()].slice(0, limit).map(presentPerson);
      return { status: 200, body: { success: true, data: rows, additional_data: {} } };
    }
    if (p === '/api/v2/persons' && req.method === 'POST') {
      if (!body['name']) return fail(400, 'name is required');
      const id = nextId++;
      persons.set(id, {
        id,
        name: String(body['name']),
        emails: ((body['emails'] ?? []) as PdPerson['emails']).map((e) => ({
          value: e.value,
          primary: !!e.primary,
          label: e.label ?? 'work',
        })),
        add_time: stamp(),
        update_time: stamp(),
      });
      return { status: 200, body: { success: true, data: presentPerson(persons.get(id)!) } };
    }
    return fail(404, `no route ${req.method} ${p}`);
  }

  const costs = loadTokenCosts();
  const tokenCost = (method: string, path: string) =>
    costs.find((c) => c.method === method && c.re.test(path))?.cost ?? 1;
  // Generous unless a test lowers them (Pipedrive's real budgets are tens of thousands of tokens a day).
  const limits = { dailyTokens: 10_000_000, tokensLeft: 10_000_000, burst: 100_000 };
  let windowStart = clock;
  let windowUsed = 0;
  /** Spends the request's tokens; a 429 when the day's budget or the 2-second window is used up. */
  const meter = (req: DoubleRequest): { headers: Record<string, string>; refused: DoubleResponse | null } => {
    if (clock - windowStart >= 2_000) {
      windowStart = clock;
      windowUsed = 0;
    }
    const cost = tokenCost(req.method, req.path);
    const resetS = Math.max(1, Math.ceil((windowStart + 2_000 - clock) / 1000));
    let refused: DoubleResponse | null = null;
    // Once the budget is spent further requests are refused until the day ends (the last one may overdraw it).
    if (limits.tokensLeft <= 0) refused = fail(429, 'Daily token budget exceeded');
    else if (windowUsed >= limits.burst)
      refused = { ...fail(429, 'Request over limit'), headers: { 'retry-after': String(resetS) } };
    else {
      limits.tokensLeft = Math.max(0, limits.tokensLeft - cost);
      windowUsed++;
    }
    return {
      refused,
      headers: {
        'x-ratelimit-limit': String(limits.burst),
        'x-ratelimit-remaining': String(Math.max(0, limits.burst - windowUsed)),
        'x-ratelimit-reset': String(resetS),
        'x-daily-ratelimit-token-limit': String(limits.dailyTokens),
        'x-daily-ratelimit-token-remaining': String(Math.max(0, limits.tokensLeft)),
        ...(refused?.headers ?? {}),
      },
    };
  };

  const double = await startDouble(async (req) => {
    recorder.request({
      method: req.method,
      path: req.path,
      query: req.query,
      headers: req.headers,
      body: req.rawBody ? req.body : undefined,
      contentType: String(req.headers['content-type'] ?? ''),
    });
    // The token endpoint (oauth.pipedrive.com) is not metered by the API's budget.
    const metered = req.path.startsWith('/api/') || req.path.startsWith('/v1/') ? meter(req) : null;
    let answer = metered?.refused ?? (await route(req));
    if (api.mutateAnswer && answer.body !== undefined)
      answer = { ...answer, body: api.mutateAnswer(req.path, answer.body) };
    // Pipedrive's descriptions declare no 429 answer: the double's refusals are not contract-checked.
    if (!metered?.refused) recorder.response(req, answer.status, answer.body);
    return metered ? { ...answer, headers: { ...(answer.headers ?? {}), ...metered.headers } } : answer;
  });

  const api: PipedriveDouble = {
    ...double,
    clientId,
    clientSecret,
    users,
    violations: recorder.violations,
    contractChecked: contract !== null,
    authorize({ clientId: id, redirectUri, userIndex = 0 }) {
      if (id !== clientId) throw new Error('unknown client id');
      const code = crypto.randomUUID();
      codes.set(code, { redirectUri, user: userIndex });
      return code;
    },
    addActivity,
    updateActivity(id, patch) {
      const a = activities.get(id);
      if (!a) throw new Error(`no activity ${id}`);
      Object.assign(a, patch);
      a.update_time = stamp();
    },
    deleteActivity(id) {
      const a = activities.get(id);
      if (!a) return;
      a.is_deleted = true;
      a.update_time = stamp();
    },
    activity: (id) => activities.get(id),
    activities: () => [...activities.values()],
    addOrganization(name) {
      const id = nextId++;
      orgs.set(id, { id, name });
      return id;
    },
    addPerson({ name, email, orgId }) {
      const id = nextId++;
      persons.set(id, {
        id,
        name,
        emails: [{ value: email, primary: true, label: 'work' }],
        ...(orgId ? { org_id: orgId } : {}),
        add_time: stamp(),
        update_time: stamp(),
      });
      return id;
    },
    person: (id) => persons.get(id),
    expireTokens() {
      for (const g of bearer.values()) g.expiresAt = clock - 1;
    },
    now: () => new Date(clock),
    advance(ms) {
      clock += ms;
    },
    mutateAnswer: null,
    limits,
    tokenCost,
  };
  return api;
}

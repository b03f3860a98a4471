/**
 * A stateful HubSpot double (CRM v3 objects, associations v4, owners v3, OAuth v1), written from HubSpot's
 * published OpenAPI files (../shared/schemas/hubspot) and its developer documentation: every request it receives
 * and every answer it gives is checked against those files (`violations`), so it cannot drift from them.
 *
 * What it models: OAuth authorization code (+ PKCE) and refresh grants with 30-minute access tokens, token
 * information, refresh-token deletion; private-app tokens; scopes (403 MISSING_SCOPES); objects with a defined
 * property set per type (writing or filtering on an unknown property is 400 VALIDATION_ERROR / PROPERTY_DOESNT_EXIST,
 * as the Properties API defines them per account); basic, batch (read/create/update/archive; a batch with one
 * invalid input fails whole) and search (filter groups, EQ/NEQ/IN/GT/GTE/LT/LTE/HAS_PROPERTY/CONTAINS_TOKEN, sorts,
 * offset paging with the 10,000-results cap, limit ≤ 200); archive = recycle bin, listed with `archived=true`;
 * associations with HubSpot-defined type ids; owners by e-mail; optional enforcement of 4 searches per second.
 * Batch create answers in reverse order (HubSpot does not promise input order): clients must match results by
 * objectWriteTraceId.
 * What the spec cannot check: property names and values (a free string map) — the double's property lists do.
 */
import crypto from 'node:crypto';
import { startDouble, type DoubleRequest, type DoubleResponse, type LoopbackDouble } from '../http-double';
import { ContractRecorder, loadContractIfPresent, schemaFile } from '../../contract/openapi';

export type HsType = 'meetings' | 'calls' | 'tasks' | 'contacts' | 'companies';
const types: readonly HsType[] = ['meetings', 'calls', 'tasks', 'contacts', 'companies'];
export interface HsRecord {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

export const hubspotSpecFiles = [
  'crm-meetings-v3.json',
  'crm-calls-v3.json',
  'crm-tasks-v3.json',
  'crm-contacts-v3.json',
  'crm-companies-v3.json',
  'crm-associations-v4.json',
  'crm-owners-v3.json',
  'auth-oauth-v1.json',
].map((f) => schemaFile('hubspot', f));

const standardProperties: Record<HsType, string[]> = {
  meetings: [
    'hs_meeting_title',
    'hs_meeting_body',
    'hs_meeting_start_time',
    'hs_meeting_end_time',
    'hs_meeting_location',
    'hs_meeting_outcome',
    'hs_attendee_owner_ids',
    'hs_internal_meeting_notes',
  ],
  calls: ['hs_call_title', 'hs_call_body', 'hs_call_duration', 'hs_call_status', 'hs_call_direction'],
  tasks: ['hs_task_subject', 'hs_task_body', 'hs_task_status', 'hs_task_priority', 'hs_task_type'],
  contacts: ['email', 'firstname', 'lastname', 'associatedcompanyid'],
  companies: ['name', 'domain'],
};
const activityCommon = ['hs_timestamp', 'hubspot_owner_id'];
const readOnly = ['hs_object_id', 'hs_createdate', 'hs_lastmodifieddate'];
const dateProperties = new Set([
  'hs_timestamp',
  'hs_meeting_start_time',
  'hs_meeting_end_time',
  'hs_createdate',
  'hs_lastmodifieddate',
]);
const numberProperties = new Set(['hs_object_id', 'hs_call_duration', 'associatedcompanyid', 'hubspot_owner_id']);
/** HubSpot-defined association type ids: from activity to contact / company. */
const associationTypes: Record<string, { contacts: number; companies: number }> = {
  meetings: { contacts: 200, companies: 188 },
  calls: { contacts: 194, companies: 182 },
  tasks: { contacts: 204, companies: 192 },
};
const objectTypeIds: Record<HsType, string> = {
  meetings: '0-47',
  calls: '0-48',
  tasks: '0-27',
  contacts: '0-1',
  companies: '0-2',
};
const scopeOf: Record<HsType, string> = {
  meetings: 'crm.objects.contacts',
  calls: 'crm.objects.contacts',
  tasks: 'crm.objects.contacts',
  contacts: 'crm.objects.contacts',
  companies: 'crm.objects.companies',
};
export const allScopes = [
  'oauth',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.objects.companies.read',
  'crm.objects.owners.read',
];

export interface HubSpotDouble extends LoopbackDouble {
  clientId: string;
  clientSecret: string;
  hubId: number;
  users: { ownerId: string; email: string; userId: number }[];
  /** Every contract problem seen so far (requests the connector sent, answers the double gave). */
  violations: string[];
  /** False when ../shared is absent: nothing is checked. */
  contractChecked: boolean;
  /** The browser half of OAuth: the user consents, HubSpot redirects with a code. */
  authorize(p: {
    clientId: string;
    redirectUri: string;
    codeChallenge?: string;
    userIndex?: number;
    scopes?: string[];
  }): string;
  /** A private app's token with these scopes. */
  privateAppToken(scopes?: string[]): string;
  defineProperty(type: HsType, name: string): void;
  insert(type: HsType, properties: Record<string, string>): string;
  update(type: HsType, id: string, properties: Record<string, string>): void;
  /** HubSpot's delete: to the recycle bin. */
  archive(type: HsType, id: string): void;
  get(type: HsType, id: string): HsRecord | undefined;
  all(type: HsType, archived?: boolean): HsRecord[];
  associate(fromType: HsType, fromId: string, toType: 'contacts' | 'companies', toIds: string[]): void;
  associated(fromType: HsType, fromId: string, toType: 'contacts' | 'companies'): string[];
  /** Replaces an activity's contact associations (a user editing the record's attendees). */
  setContacts(fromType: HsType, fromId: string, contactIds: string[]): void;
  expireTokens(): void;
  now(): Date;
  advance(ms: number): void;
  /** Answer 429 past four searches per second (wall time, measured with performance.now). */
  enforceSearchRate: boolean;
  searchCount: number;
  /** Test-only mutation of the double's answers (to prove the contract check catches a wrong field name). */
  mutateAnswer: ((path: string, body: unknown) => unknown) | null;
}

export interface HubSpotDoubleOptions {
  /** The admin created the connector's tag property on meetings, calls and tasks (default true). */
  tagProperty?: boolean;
}

export async function startHubSpotDouble(options: HubSpotDoubleOptions = {}): Promise<HubSpotDouble> {
  const contract = loadContractIfPresent(hubspotSpecFiles);
  const recorder = new ContractRecorder(contract);
  let clock = Date.parse('2030-01-10T08:00:00.000Z');
  const iso = () => new Date(clock).toISOString();
  let nextId = 1000;
  const store = new Map<HsType, Map<string, HsRecord>>(types.map((t) => [t, new Map()]));
  const custom = new Map<HsType, Set<string>>(types.map((t) => [t, new Set()]));
  const assoc = new Map<string, Set<string>>();
  if (options.tagProperty !== false)
    for (const t of ['meetings', 'calls', 'tasks'] as const) custom.get(t)!.add('crm_sync_ical_uid');
  const clientId = crypto.randomUUID();
  const clientSecret = crypto.randomBytes(16).toString('hex');
  const hubId = 4242;
  const codes = new Map<string, { challenge?: string; redirectUri: string; user: number; scopes: string[] }>();
  const tokens = new Map<string, { expiresAt: number; user: number | null; scopes: string[] }>();
  const refreshTokens = new Map<string, { user: number; scopes: string[] }>();
  const searchTimes: number[] = [];
  const users = [
    { ownerId: '501', email: 'sally@corp.example', userId: 9001 },
    { ownerId: '502', email: 'max@corp.example', userId: 9002 },
  ];

  const defined = (type: HsType) =>
    new Set([
      ...standardProperties[type],
      ...(associationTypes[type] ? activityCommon : []),
      ...readOnly,
      ...custom.get(type)!,
    ]);
  const normalise = (name: string, value: string): string => {
    if (dateProperties.has(name) && value !== '') {
      const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
      if (Number.isNaN(n)) throw new Error(`INVALID_DATE ${name}`);
      return new Date(n).toISOString();
    }
    return value;
  };
  const table = (t: HsType) => store.get(t)!;
  const insert = (type: HsType, properties: Record<string, string>): string => {
    const id = String(nextId++);
    const p: Record<string, string> = {};
    for (const [k, v] of Object.entries(properties)) if (v !== '') p[k] = normalise(k, v);
    Object.assign(p, { hs_object_id: id, hs_createdate: iso(), hs_lastmodifieddate: iso() });
    // HubSpot fills a meeting's hs_timestamp from its start time when none is given (changelog 2024-11).
    if (type === 'meetings' && !p['hs_timestamp'] && p['hs_meeting_start_time'])
      p['hs_timestamp'] = p['hs_meeting_start_time'];
    table(type).set(id, { id, properties: p, createdAt: iso(), updatedAt: iso(), archived: false });
    return id;
  };
  const update = (type: HsType, id: string, properties: Record<string, string>) => {
    const r = table(type).get(id);
    if (!r) throw new Error(`no ${type} ${id}`);
    for (const [k, v] of Object.entries(properties)) {
      if (v === '') delete r.properties[k];
      else r.properties[k] = normalise(k, v);
    }
    r.properties['hs_lastmodifieddate'] = iso();
    r.updatedAt = iso();
  };
  const key = (fromType: string, fromId: string, toType: string) => `${fromType}:${fromId}:${toType}`;
  const associated = (fromType: string, fromId: string, toType: string) => [
    ...(assoc.get(key(fromType, fromId, toType)) ?? []),
  ];

  const hsError = (status: number, category: string, message: string, context?: Record<string, string[]>) => ({
    status,
    body: { status: 'error', category, message, correlationId: crypto.randomUUID(), ...(context ? { context } : {}) },
  });
  const unknownProperties = (type: HsType, names: string[]) => names.filter((n) => !defined(type).has(n));
  const invalidProperties = (type: HsType, properties: Record<string, string>): DoubleResponse | null => {
    const bad = unknownProperties(type, Object.keys(properties)).concat(
      Object.keys(properties).filter((n) => readOnly.includes(n)),
    );
    if (bad.length)
      return hsError(
        400,
        'VALIDATION_ERROR',
        `Property values were not valid: PROPERTY_DOESNT_EXIST ${bad.join(', ')}`,
      );
    for (const [k, v] of Object.entries(properties)) {
      if (dateProperties.has(k) && v !== '' && Number.isNaN(/^\d+$/.test(v) ? Number(v) : Date.parse(v)))
        return hsError(400, 'VALIDATION_ERROR', `Property values were not valid: INVALID_DATE ${k}`);
    }
    return null;
  };
  const present = (r: HsRecord, properties: string[] | null, type: HsType) => {
    const wanted = properties ?? [];
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.properties)) {
      if (
        readOnly.includes(k) ||
        wanted.includes(k) ||
        (type === 'contacts' && ['email', 'firstname', 'lastname'].includes(k))
      )
        out[k] = v;
    }
    return {
      id: r.id,
      properties: out,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      archived: r.archived,
      ...(r.archivedAt ? { archivedAt: r.archivedAt } : {}),
    };
  };
  const compareValues = (name: string, a: string, b: string): number => {
    if (dateProperties.has(name)) {
      const x = Date.parse(a);
      const y = /^-?\d+$/.test(b) ? Number(b) : Date.parse(b);
      return x - y;
    }
    if (numberProperties.has(name)) return Number(a) - Number(b);
    return a.localeCompare(b);
  };
  type Filter = { propertyName: string; operator: string; value?: string; values?: string[] };
  const matches = (r: HsRecord, f: Filter): boolean => {
    const v = r.properties[f.propertyName];
    const eq = (x: string | undefined, y: string) =>
      x !== undefined && (compareValues(f.propertyName, x, y) === 0 || x.toLowerCase() === y.toLowerCase());
    switch (f.operator) {
      case 'EQ':
        return eq(v, f.value ?? '');
      case 'NEQ':
        return !eq(v, f.value ?? '');
      case 'IN':
        return (f.values ?? []).some((x) => eq(v, x));
      case 'NOT_IN':
        return !(f.values ?? []).some((x) => eq(v, x));
      case 'GT':
        return v !== undefined && compareValues(f.propertyName, v, f.value ?? '') > 0;
      case 'GTE':
        return v !== undefined && compareValues(f.propertyName, v, f.value ?? '') >= 0;
      case 'LT':
        return v !== undefined && compareValues(f.propertyName, v, f.value ?? '') < 0;
      case 'LTE':
        return v !== undefined && compareValues(f.propertyName, v, f.value ?? '') <= 0;
      case 'HAS_PROPERTY':
        return v !== undefined && v !== '';
      case 'NOT_HAS_PROPERTY':
        return v === undefined || v === '';
      case 'CONTAINS_TOKEN':
        return v !== undefined && v.split(';').includes(f.value ?? '');
      default:
        return false;
    }
  };

  /** The bearer token's grant, or an error answer. */
  const authorise = (req: DoubleRequest, scope: string | null): DoubleResponse | { user: number | null } => {
    const auth = String(req.headers['authorization'] ?? '');
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const grant = tokens.get(token);
    if (!grant) return hsError(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found.');
    if (grant.expiresAt < clock)
      return hsError(401, 'EXPIRED_AUTHENTICATION', 'The OAuth token used to make this call expired.');
    if (scope && !grant.scopes.includes(scope))
      return hsError(403, 'MISSING_SCOPES', "This app hasn't been granted all required scopes to make this call.", {
        requiredGranularScopes: [scope],
      });
    return { user: grant.user };
  };
  const issue = (user: number | null, scopes: string[], ttlMs: number | null) => {
    const token = `${user === null ? 'pat-na1' : 'CJ'}-${crypto.randomBytes(12).toString('hex')}`;
    tokens.set(token, { expiresAt: ttlMs === null ? Number.MAX_SAFE_INTEGER : clock + ttlMs, user, scopes });
    return token;
  };
  const batchEnvelope = (results: unknown[], errors: unknown[] = []) => ({
    status: 'COMPLETE',
    results,
    startedAt: iso(),
    completedAt: iso(),
    ...(errors.length ? { errors, numErrors: errors.length } : {}),
  });
  const notFoundError = (ids: string[]) => ({
    status: 'error',
    category: 'OBJECT_NOT_FOUND',
    message: 'Could not get some records, they may be deleted or not exist.',
    context: { ids },
    links: {},
    errors: [],
  });

  function createOne(
    type: HsType,
    input: {
      properties: Record<string, string>;
      associations?: { to: { id: string }; types: { associationTypeId: number }[] }[];
      objectWriteTraceId?: string;
    },
  ): { id: string } | DoubleResponse {
    const bad = checkCreate(type, input);
    if (bad) return bad;
    const id = insert(type, input.properties ?? {});
    for (const a of input.associations ?? []) {
      const typeId = a.types[0]?.associationTypeId;
      const toType = associationTypes[type]?.contacts === typeId ? 'contacts' : 'companies';
      const k = key(type, id, toType);
      assoc.set(k, new Set([...(assoc.get(k) ?? []), a.to.id]));
    }
    return { id };
  }

  function checkCreate(
    type: HsType,
    input: {
      properties: Record<string, string>;
      associations?: { to: { id: string }; types: { associationTypeId: number }[] }[];
    },
  ): DoubleResponse | null {
    const bad = invalidProperties(type, input.properties ?? {});
    if (bad) return bad;
    for (const a of input.associations ?? []) {
      const typeId = a.types[0]?.associationTypeId;
      const toType =
        associationTypes[type]?.contacts === typeId
          ? 'contacts'
          : associationTypes[type]?.companies === typeId
            ? 'companies'
            : null;
      if (!toType || !table(toType).get(a.to.id) || table(toType).get(a.to.id)!.archived)
        return hsError(400, 'VALIDATION_ERROR', `invalid association ${String(typeId)} to ${a.to.id}`);
    }
    return null;
  }

  async function route(req: DoubleRequest): Promise<DoubleResponse> {
    const p = req.path;
    const body = (req.body ?? {}) as Record<string, unknown>;
    let m: RegExpExecArray | null;

    if (p === '/oauth/v1/token' && req.method === 'POST') {
      const f = body as Record<string, string>;
      if (f['client_id'] !== clientId || f['client_secret'] !== clientSecret)
        return {
          status: 400,
          body: {
            status: 'BAD_CLIENT_ID',
            message: 'missing or unknown client id',
            correlationId: crypto.randomUUID(),
            category: 'VALIDATION_ERROR',
          },
        };
      let user: number;
      let scopes: string[];
      if (f['grant_type'] === 'authorization_code') {
        const c = codes.get(f['code'] ?? '');
        codes.delete(f['code'] ?? '');
        const verifierOk =
          !c?.challenge ||
          crypto
            .createHash('sha256')
            .update(f['code_verifier'] ?? '')
            .digest('base64url') === c.challenge;
        if (!c || c.redirectUri !== f['redirect_uri'] || !verifierOk)
          return {
            status: 400,
            body: {
              status: 'BAD_AUTH_CODE',
              message: 'auth code not found',
              correlationId: crypto.randomUUID(),
              category: 'VALIDATION_ERROR',
            },
          };
        user = c.user;
        scopes = c.scopes;
      } else if (f['grant_type'] === 'refresh_token') {
        const r = refreshTokens.get(f['refresh_token'] ?? '');
        if (!r)
          return {
            status: 400,
            body: {
              status: 'BAD_REFRESH_TOKEN',
              message: 'missing or unknown refresh token',
              correlationId: crypto.randomUUID(),
              category: 'VALIDATION_ERROR',
            },
          };
        user = r.user;
        scopes = r.scopes;
      } else
        return {
          status: 400,
          body: { message: 'unsupported grant', correlationId: crypto.randomUUID(), category: 'VALIDATION_ERROR' },
        };
      const refresh =
        f['refresh_token'] && f['grant_type'] === 'refresh_token' ? f['refresh_token'] : crypto.randomUUID();
      refreshTokens.set(refresh, { user, scopes });
      return {
        status: 200,
        body: {
          access_token: issue(user, scopes, 30 * 60_000),
          refresh_token: refresh,
          expires_in: 1800,
          token_type: 'bearer',
          token_use: 'access_token',
          hub_id: hubId,
          user_id: users[user]!.userId,
          scopes,
        },
      };
    }
    if ((m = /^\/oauth\/v1\/access-tokens\/([^/]+)$/.exec(p)) && req.method === 'GET') {
      const token = decodeURIComponent(m[1]!);
      const grant = tokens.get(token);
      if (!grant || grant.expiresAt < clock || grant.user === null)
        return hsError(404, 'OBJECT_NOT_FOUND', 'The access token was not found or expired.');
      return {
        status: 200,
        body: {
          token,
          user: users[grant.user]!.email,
          hub_id: hubId,
          user_id: users[grant.user]!.userId,
          app_id: 77,
          expires_in: Math.round((grant.expiresAt - clock) / 1000),
          scopes: grant.scopes,
          token_type: 'access',
          hub_domain: 'corp.example',
        },
      };
    }
    if ((m = /^\/oauth\/v1\/refresh-tokens\/([^/]+)$/.exec(p)) && req.method === 'DELETE') {
      refreshTokens.delete(decodeURIComponent(m[1]!));
      return { status: 204 };
    }
    if (p === '/crm/v3/owners' && req.method === 'GET') {
      const a = authorise(req, 'crm.objects.owners.read');
      if ('status' in a) return a;
      const email = req.query.get('email')?.toLowerCase();
      const results = users
        .filter((u) => !email || u.email === email)
        .map((u) => ({
          id: u.ownerId,
          email: u.email,
          type: 'PERSON',
          userId: u.userId,
          archived: false,
          createdAt: '2029-01-01T00:00:00.000Z',
          updatedAt: '2029-01-01T00:00:00.000Z',
        }));
      return { status: 200, body: { results } };
    }

    if ((m = /^\/crm\/v4\/associations\/(\w+)\/(\w+)\/batch\/(read|create|archive)$/.exec(p))) {
      const [, from, to, op] = m as unknown as [string, HsType, 'contacts' | 'companies', string];
      const a = authorise(req, `${scopeOf[from] ?? 'crm.objects.contacts'}.${op === 'read' ? 'read' : 'write'}`);
      if ('status' in a) return a;
      const inputs = (body['inputs'] ?? []) as Record<string, unknown>[];
      if (op === 'read') {
        const results = inputs
          .map((i) => String((i as { id: string }).id))
          .filter((id) => associated(from, id, to).length > 0)
          .map((id) => ({
            from: { id },
            to: associated(from, id, to).map((t) => ({
              toObjectId: t,
              associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: associationTypes[from]?.[to] ?? 0 }],
            })),
          }));
        return { status: 200, body: batchEnvelope(results) };
      }
      if (op === 'create') {
        const results = [];
        for (const i of inputs as {
          from: { id: string };
          to: { id: string };
          types: { associationTypeId: number }[];
        }[]) {
          if (!table(from).get(i.from.id) || !table(to).get(i.to.id))
            return hsError(400, 'VALIDATION_ERROR', `no such object ${i.from.id} or ${i.to.id}`);
          if (i.types[0]?.associationTypeId !== associationTypes[from]?.[to])
            return hsError(
              400,
              'VALIDATION_ERROR',
              `association type ${String(i.types[0]?.associationTypeId)} is not ${from}→${to}`,
            );
          const k = key(from, i.from.id, to);
          assoc.set(k, new Set([...(assoc.get(k) ?? []), i.to.id]));
          table(from).get(i.from.id)!.properties['hs_lastmodifieddate'] = iso();
          results.push({
            fromObjectId: i.from.id,
            fromObjectTypeId: objectTypeIds[from],
            toObjectId: i.to.id,
            toObjectTypeId: objectTypeIds[to],
            labels: [],
          });
        }
        return { status: 201, body: batchEnvelope(results) };
      }
      for (const i of inputs as { from: { id: string }; to: { id: string }[] }[]) {
        const k = key(from, i.from.id, to);
        const set = assoc.get(k) ?? new Set();
        for (const t of i.to) set.delete(t.id);
        assoc.set(k, set);
        const r = table(from).get(i.from.id);
        if (r) r.properties['hs_lastmodifieddate'] = iso();
      }
      return { status: 204 };
    }

    m = /^\/crm\/v3\/objects\/(\w+)(?:\/(batch\/read|batch\/create|batch\/update|batch\/archive|search|\d+))?$/.exec(p);
    if (!m || !types.includes(m[1] as HsType)) return hsError(404, 'OBJECT_NOT_FOUND', `no route ${req.method} ${p}`);
    const type = m[1] as HsType;
    const sub = m[2] ?? '';
    const write = req.method !== 'GET' && sub !== 'search' && sub !== 'batch/read';
    const a = authorise(req, `${scopeOf[type]}.${write ? 'write' : 'read'}`);
    if ('status' in a) return a;

    if (sub === 'search') {
      if (enforce.on) {
        const t = performance.now();
        while (searchTimes.length && searchTimes[0]! <= t - 1000) searchTimes.shift();
        if (searchTimes.length >= 4)
          return {
            ...hsError(429, 'RATE_LIMITS', 'You have reached your secondly limit.'),
            headers: { 'retry-after': '1' },
          };
        searchTimes.push(t);
      }
      api.searchCount++;
      const groups = (body['filterGroups'] ?? []) as { filters: Filter[] }[];
      const limit = Number(body['limit'] ?? 10);
      const after = Number(body['after'] ?? 0);
      const filterNames = groups.flatMap((g) => g.filters.map((f) => f.propertyName));
      const unknown = unknownProperties(type, filterNames);
      if (unknown.length)
        return hsError(
          400,
          'VALIDATION_ERROR',
          `There was a problem with the request: PROPERTY_DOESNT_EXIST ${unknown.join(', ')}`,
        );
      if (limit > 200) return hsError(400, 'VALIDATION_ERROR', 'limit must be at most 200');
      if (groups.length > 5 || groups.some((g) => g.filters.length > 6))
        return hsError(400, 'VALIDATION_ERROR', 'too many filter groups or filters');
      if (after + limit > 10_000)
        return hsError(400, 'VALIDATION_ERROR', 'The search API returns at most 10,000 results per query.');
      let rows = [...table(type).values()].filter(
        (r) => !r.archived && (groups.length === 0 || groups.some((g) => g.filters.every((f) => matches(r, f)))),
      );
      const sorts = (body['sorts'] ?? []) as string[];
      const sortBy = sorts[0] ?? 'hs_object_id';
      const desc = sortBy.startsWith('-');
      const prop = sortBy.replace(/^-/, '');
      rows = rows.sort((x, y) => {
        const c = compareValues(prop, x.properties[prop] ?? '', y.properties[prop] ?? '');
        return desc ? -c : c;
      });
      const page = rows.slice(after, after + limit);
      const properties = (body['properties'] ?? []) as string[];
      return {
        status: 200,
        body: {
          total: rows.length,
          results: page.map((r) => present(r, properties, type)),
          ...(after + limit < rows.length ? { paging: { next: { after: String(after + limit) } } } : {}),
        },
      };
    }
    if (sub === 'batch/read') {
      const archived = req.query.get('archived') === 'true';
      const ids = ((body['inputs'] ?? []) as { id: string }[]).map((i) => i.id);
      const found = ids.map((id) => table(type).get(id)).filter((r): r is HsRecord => !!r && r.archived === archived);
      const missing = ids.filter((id) => !found.some((r) => r.id === id));
      const properties = (body['properties'] ?? []) as string[];
      const results = found.map((r) => present(r, properties, type));
      return missing.length
        ? { status: 207, body: batchEnvelope(results, [notFoundError(missing)]) }
        : { status: 200, body: batchEnvelope(results) };
    }
    if (sub === 'batch/create') {
      const inputs = (body['inputs'] ?? []) as Parameters<typeof createOne>[1][];
      if (inputs.length > 100) return hsError(400, 'VALIDATION_ERROR', 'at most 100 inputs');
      // A batch with one invalid input fails whole: nothing is created.
      for (const i of inputs) {
        const bad = checkCreate(type, i);
        if (bad) return bad;
      }
      const results = [];
      for (const i of inputs) {
        const created = createOne(type, i);
        if ('status' in created) return created;
        results.push({
          ...present(table(type).get(created.id)!, Object.keys(i.properties ?? {}), type),
          ...(i.objectWriteTraceId ? { objectWriteTraceId: i.objectWriteTraceId } : {}),
        });
      }
      return { status: 201, body: batchEnvelope(results.reverse()) };
    }
    if (sub === 'batch/update') {
      const inputs = (body['inputs'] ?? []) as { id: string; properties: Record<string, string> }[];
      if (inputs.length > 100) return hsError(400, 'VALIDATION_ERROR', 'at most 100 inputs');
      const ids = new Set<string>();
      for (const i of inputs) {
        if (ids.has(i.id)) return hsError(400, 'VALIDATION_ERROR', `Duplicate IDs found in batch input: [${i.id}]`);
        ids.add(i.id);
        const bad = invalidProperties(type, i.properties ?? {});
        if (bad) return bad;
      }
      const results = [];
      const missing: string[] = [];
      for (const i of inputs) {
        const r = table(type).get(i.id);
        if (!r || r.archived) {
          missing.push(i.id);
          continue;
        }
        update(type, i.id, i.properties);
        results.push(present(r, Object.keys(i.properties), type));
      }
      return missing.length
        ? { status: 207, body: batchEnvelope(results, [notFoundError(missing)]) }
        : { status: 200, body: batchEnvelope(results) };
    }
    if (sub === 'batch/archive') {
      for (const i of (body['inputs'] ?? []) as { id: string }[]) archive(type, i.id);
      return { status: 204 };
    }
    if (sub === '' && req.method === 'GET') {
      const archived = req.query.get('archived') === 'true';
      const limit = Number(req.query.get('limit') ?? 10);
      const after = Number(req.query.get('after') ?? 0);
      const properties = req.query.getAll('properties').flatMap((x) => x.split(','));
      const rows = [...table(type).values()].filter((r) => r.archived === archived);
      return {
        status: 200,
        body: {
          results: rows.slice(after, after + limit).map((r) => present(r, properties, type)),
          ...(after + limit < rows.length ? { paging: { next: { after: String(after + limit) } } } : {}),
        },
      };
    }
    if (sub === '' && req.method === 'POST') {
      const created = createOne(type, body as Parameters<typeof createOne>[1]);
      if ('status' in created) return created;
      const input = body as { properties?: Record<string, string> };
      return { status: 201, body: present(table(type).get(created.id)!, Object.keys(input.properties ?? {}), type) };
    }
    const r = table(type).get(sub);
    if (!r || r.archived) return hsError(404, 'OBJECT_NOT_FOUND', 'resource not found');
    if (req.method === 'GET')
      return {
        status: 200,
        body: present(
          r,
          req.query.getAll('properties').flatMap((x) => x.split(',')),
          type,
        ),
      };
    if (req.method === 'PATCH') {
      const props = (body['properties'] ?? {}) as Record<string, string>;
      const bad = invalidProperties(type, props);
      if (bad) return bad;
      update(type, r.id, props);
      return { status: 200, body: present(r, Object.keys(props), type) };
    }
    if (req.method === 'DELETE') {
      archive(type, r.id);
      return { status: 204 };
    }
    return hsError(405, 'METHOD_NOT_ALLOWED', 'method not allowed');
  }

  const archive = (type: HsType, id: string) => {
    const r = table(type).get(id);
    if (!r || r.archived) return;
    r.archived = true;
    r.archivedAt = iso();
    r.updatedAt = iso();
  };
  const enforce = { on: false };

  const double = await startDouble(async (req) => {
    // The browser half of OAuth (app.hubspot.com's consent page, not part of the API): the user consents at once.
    if (req.path === '/oauth/authorize' && req.method === 'GET') {
      const redirectUri = req.query.get('redirect_uri') ?? '';
      const challenge = req.query.get('code_challenge');
      const code = api.authorize({
        clientId: req.query.get('client_id') ?? '',
        redirectUri,
        ...(challenge ? { codeChallenge: challenge } : {}),
      });
      const target = new URL(redirectUri);
      target.searchParams.set('code', code);
      target.searchParams.set('state', req.query.get('state') ?? '');
      return { status: 302, headers: { location: target.toString() } };
    }
    const contentType = String(req.headers['content-type'] ?? '');
    recorder.request({
      method: req.method,
      path: req.path,
      query: req.query,
      headers: req.headers,
      body: req.rawBody ? req.body : undefined,
      contentType,
    });
    let answer = await route(req);
    if (api.mutateAnswer && answer.body !== undefined)
      answer = { ...answer, body: api.mutateAnswer(req.path, answer.body) };
    recorder.response(req, answer.status, answer.body);
    return answer;
  });

  const api: HubSpotDouble = {
    ...double,
    clientId,
    clientSecret,
    hubId,
    users,
    violations: recorder.violations,
    contractChecked: contract !== null,
    authorize({ clientId: id, redirectUri, codeChallenge, userIndex = 0, scopes = allScopes }) {
      if (id !== clientId) throw new Error('unknown client id');
      const code = crypto.randomUUID();
      codes.set(code, { ...(codeChallenge ? { challenge: codeChallenge } : {}), redirectUri, user: userIndex, scopes });
      return code;
    },
    privateAppToken: (scopes = allScopes) => issue(null, scopes, null),
    defineProperty: (type, name) => void custom.get(type)!.add(name),
    insert,
    update,
    archive,
    get: (type, id) => table(type).get(id),
    all: (type, archived = false) => [...table(type).values()].filter((r) => r.archived === archived),
    associate(fromType, fromId, toType, toIds) {
      const k = key(fromType, fromId, toType);
      assoc.set(k, new Set([...(assoc.get(k) ?? []), ...toIds]));
    },
    associated,
    setContacts(fromType, fromId, contactIds) {
      assoc.set(key(fromType, fromId, 'contacts'), new Set(contactIds));
      update(fromType, fromId, {});
    },
    expireTokens() {
      for (const g of tokens.values()) if (g.user !== null) g.expiresAt = clock - 1;
    },
    now: () => new Date(clock),
    advance(ms) {
      clock += ms;
    },
    get enforceSearchRate() {
      return enforce.on;
    },
    set enforceSearchRate(v: boolean) {
      enforce.on = v;
    },
    searchCount: 0,
    mutateAnswer: null,
  };
  return api;
}

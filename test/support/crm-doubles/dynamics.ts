/**
 * A stateful Dataverse Web API (v9.2) double with an Entra token endpoint, written from Microsoft's Dataverse and
 * identity-platform documentation: authorization code + PKCE and refresh grants (AADSTS error bodies), WhoAmI,
 * entity sets with $select/$filter (eq, or/and)/$top, Prefer odata.maxpagesize with @odata.nextLink, change
 * tracking (Prefer odata.track-changes → @odata.deltaLink; $deltatoken answers changes and $deletedEntity rows;
 * expired tokens), activity parties (deep insert, replace on PATCH), If-Match on @odata.etag, lookup annotations,
 * $batch (multipart/mixed, independent operations) and {"error":{code,message}} bodies.
 */
import crypto from 'node:crypto';
import { startDouble, type DoubleRequest, type DoubleResponse, type LoopbackDouble } from './http-double';
import { systemClock, type Clock } from '../../../src/shared/clock';

export type DvRow = Record<string, unknown>;
const api = '/api/data/v9.2';
const keys: Record<string, string> = {
  appointments: 'activityid',
  phonecalls: 'activityid',
  tasks: 'activityid',
  contacts: 'contactid',
  leads: 'leadid',
  accounts: 'accountid',
  systemusers: 'systemuserid',
  activityparties: 'activitypartyid',
};
const activitySets = ['appointments', 'phonecalls', 'tasks'];
const singular: Record<string, string> = {
  appointments: 'appointment',
  phonecalls: 'phonecall',
  tasks: 'task',
  contacts: 'contact',
  leads: 'lead',
  accounts: 'account',
  systemusers: 'systemuser',
};

export interface DynamicsDouble extends LoopbackDouble {
  clientId: string;
  users: { id: string; email: string }[];
  authorize(p: { clientId: string; redirectUri: string; codeChallenge: string; scope: string }): string;
  insert(set: string, fields: DvRow): string;
  update(set: string, id: string, fields: DvRow): void;
  remove(set: string, id: string): void;
  addParty(
    set: string,
    activityId: string,
    party: { type: string | null; id: string | null; email: string; mask: number },
  ): void;
  /** A user edits the party list on the form: the activity's parties are replaced and the activity changes. */
  replaceParties(
    set: string,
    activityId: string,
    parties: { type: string | null; id: string | null; email: string; mask: number }[],
  ): void;
  get(set: string, id: string): DvRow | undefined;
  parties(activityId: string): DvRow[];
  all(set: string): DvRow[];
  expireTokens(): void;
  expireDeltaTokens(): void;
  pageSize: number;
  /** The users' time zone (Dataverse time zone code: 92 UTC, 110 W. Europe, 235 Tokyo, 35 Eastern, 4 Pacific). */
  timeZoneCode: number;
  /** An org without the Sales app has no lead table: `leads` answers 404. */
  salesApp: boolean;
  /**
   * The user's security roles lack Read (denyRead) or Create/Write/Delete (denyWrite) on this entity set: Dataverse
   * answers 403 with error code 0x80040220 (PrivilegeDenied, "Principal user … is missing prv<Op><Entity>
   * privilege", Web API error codes reference), also inside $batch.
   */
  denyRead(set: string): void;
  denyWrite(set: string): void;
  /** The double's clock (`modifiedon`); a world shares it with the calendar side and the engine. */
  now: Clock;
}

/** The Dataverse time zone codes this double knows, as IANA zones (Dataverse time zone definition table). */
const zones: Record<number, string> = {
  92: 'UTC',
  85: 'Europe/London',
  110: 'Europe/Berlin',
  235: 'Asia/Tokyo',
  35: 'America/New_York',
  4: 'America/Los_Angeles',
};
function offsetMinutes(zone: string, at: number): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(
    +parts['year']!,
    +parts['month']! - 1,
    +parts['day']!,
    +parts['hour']!,
    +parts['minute']!,
    +parts['second']!,
  );
  return Math.round((local - at) / 60_000);
}
/** The UTC instant of a wall-clock time in a zone. */
function utcOf(zone: string, local: number): number {
  let guess = local - offsetMinutes(zone, local) * 60_000;
  guess = local - offsetMinutes(zone, guess) * 60_000;
  return guess;
}

/** Date-time columns come back in UTC with second precision: `2030-01-01T10:00:00Z` (Web API query examples). */
const dateColumns = new Set(['scheduledstart', 'scheduledend', 'actualstart', 'actualend', 'createdon', 'modifiedon']);
const wire = (row: DvRow): DvRow => {
  for (const [k, v] of Object.entries(row))
    if (dateColumns.has(k) && typeof v === 'string' && !Number.isNaN(Date.parse(v)))
      row[k] = `${new Date(v).toISOString().slice(0, 19)}Z`;
  return row;
};

const err = (status: number, code: string, message: string): DoubleResponse => ({
  status,
  body: { error: { code, message } },
});

export async function startDynamicsDouble(opts: { now?: Clock } = {}): Promise<DynamicsDouble> {
  const now = opts.now ?? systemClock;
  const tables = new Map<string, Map<string, DvRow>>();
  const deletedLog: { set: string; id: string; seq: number }[] = [];
  const codes = new Map<string, { challenge: string; redirectUri: string; scope: string }>();
  const tokens = new Set<string>();
  const refreshTokens = new Set<string>();
  let seq = 0;
  let minDelta = 0;
  let pageSize = 5000;
  let timeZoneCode = 92;
  let salesApp = true;
  const noRead = new Set<string>();
  const noWrite = new Set<string>();
  /** The 403 Dataverse answers when the user's roles lack the privilege for this method on this entity set. */
  function privilegeDenied(method: string, path: string): DoubleResponse | null {
    const set = new RegExp(`^${api}/(\\w+)`).exec(path)?.[1] ?? '';
    const entity = singular[set];
    if (!entity) return null;
    const op = method === 'GET' ? 'Read' : method === 'POST' ? 'Create' : method === 'DELETE' ? 'Delete' : 'Write';
    if (op === 'Read' ? !noRead.has(set) : !noWrite.has(set) && !noRead.has(set)) return null;
    const prv = `prv${op}${entity.charAt(0).toUpperCase()}${entity.slice(1)}`;
    return err(
      403,
      '0x80040220',
      `Principal user (Id=${me}, type=8, roleCount=1, privilegeCount=412, accessMode=0), is missing ${prv} privilege (Id=${crypto.randomUUID()}) on OTC=4201 for entity '${entity}'. context: Method=${method}`,
    );
  }
  const clientId = crypto.randomUUID();
  const table = (s: string) => {
    let t = tables.get(s);
    if (!t) tables.set(s, (t = new Map()));
    return t;
  };
  const touch = (row: DvRow) => {
    row['versionnumber'] = ++seq;
    row['modifiedon'] = now().toISOString();
    row['@odata.etag'] = `W/"${seq}"`;
    wire(row);
  };
  const insert = (set: string, fields: DvRow): string => {
    const id = crypto.randomUUID();
    const row: DvRow = { ...fields, [keys[set]!]: id };
    if (activitySets.includes(set)) row['statecode'] ??= 0;
    if ((set === 'contacts' || set === 'leads') && row['fullname'] === undefined) {
      row['fullname'] = [fields['firstname'], fields['lastname']].filter(Boolean).join(' ');
    }
    touch(row);
    table(set).set(id, row);
    return id;
  };
  const users = [
    {
      id: insert('systemusers', { internalemailaddress: 'Sally@Corp.example', fullname: 'Sally' }),
      email: 'sally@corp.example',
    },
    {
      id: insert('systemusers', { internalemailaddress: 'max@corp.example', fullname: 'Max' }),
      email: 'max@corp.example',
    },
  ];
  const me = users[0]!.id;

  const lookupSetOf = (id: string): string | null => {
    for (const s of ['contacts', 'leads', 'accounts', 'systemusers']) if (table(s).has(id)) return s;
    return null;
  };

  function annotate(row: DvRow, fields: string[] | null): DvRow {
    const out: DvRow = {};
    for (const [k, v] of Object.entries(row)) {
      if (k.startsWith('_') && k.endsWith('_value') && typeof v === 'string') {
        const set = lookupSetOf(v);
        if (set) out[`${k}@Microsoft.Dynamics.CRM.lookuplogicalname`] = singular[set];
      }
      if (!fields || fields.includes(k) || k === '@odata.etag') out[k] = v;
    }
    return out;
  }

  function parseFilter(filter: string | null): ((r: DvRow) => boolean) | DoubleResponse {
    if (!filter) return () => true;
    const orParts = filter.split(/ or /i);
    const clauses: [string, unknown][][] = [];
    for (const orPart of orParts) {
      const ands: [string, unknown][] = [];
      for (const part of orPart.split(/ and /i)) {
        const m = /^\(?\s*(\w+) eq (.+?)\s*\)?$/.exec(part.trim());
        if (!m) return err(400, '0x80060888', `Syntax error in $filter near '${part}'`);
        const raw = m[2]!;
        const value = raw.startsWith("'")
          ? raw.slice(1, -1).replace(/''/g, "'")
          : /^\d+$/.test(raw)
            ? Number(raw)
            : raw;
        ands.push([m[1]!, value]);
      }
      clauses.push(ands);
    }
    return (r) =>
      clauses.some((ands) =>
        ands.every(([f, v]) =>
          typeof v === 'string' && typeof r[f] === 'string'
            ? String(r[f]).toLowerCase() === v.toLowerCase()
            : r[f] === v,
        ),
      );
  }

  function list(req: { set: string; query: URLSearchParams; prefer: string; path: string }): DoubleResponse {
    const { set, query } = req;
    const fields = query.get('$select')?.split(',') ?? null;
    const filter = parseFilter(query.get('$filter'));
    if (typeof filter !== 'function') return filter;
    const tracking = /odata\.track-changes/.test(req.prefer) || query.has('$deltatoken');
    if (tracking && query.has('$filter')) return err(400, '0x80048d19', 'Change tracking does not support $filter');
    const delta = query.get('$deltatoken');
    if (delta !== null && Number(delta) < minDelta)
      return err(400, '0x80044352', 'The specified version stamp is expired');
    const since = delta === null ? -1 : Number(delta);
    let rows = [...table(set).values()].filter((r) => filter(r) && Number(r['versionnumber']) > since);
    rows.sort((a, b) => Number(a['versionnumber']) - Number(b['versionnumber']));
    const top = query.get('$top');
    if (top) rows = rows.slice(0, Number(top));
    const values: DvRow[] = rows.map((r) => annotate(r, fields));
    if (delta !== null) {
      for (const d of deletedLog.filter((x) => x.set === set && x.seq > since)) {
        values.push({
          '@odata.context': `${double.url}${api}/$metadata#${set}/$deletedEntity`,
          id: d.id,
          reason: 'deleted',
        });
      }
    }
    const size = Number(/odata\.maxpagesize=(\d+)/.exec(req.prefer)?.[1] ?? pageSize);
    const skip = Number(query.get('$skiptoken') ?? 0);
    const page = values.slice(skip, skip + Math.min(size, pageSize));
    const body: DvRow = { '@odata.context': `${double.url}${api}/$metadata#${set}`, value: page };
    if (skip + page.length < values.length) {
      const q = new URLSearchParams(query);
      q.set('$skiptoken', String(skip + page.length));
      body['@odata.nextLink'] = `${double.url}${req.path}?${q.toString()}`;
    } else if (tracking) {
      const q = new URLSearchParams();
      if (fields) q.set('$select', fields.join(','));
      q.set('$deltatoken', String(seq));
      body['@odata.deltaLink'] = `${double.url}${api}/${set}?${q.toString()}`;
    }
    return { status: 200, body };
  }

  function bindings(set: string, body: DvRow, row: DvRow): DoubleResponse | null {
    for (const [k, v] of Object.entries(body)) {
      const m = /^(\w+)@odata\.bind$/.exec(k);
      if (!m) continue;
      const target = /^\/(\w+)\(([0-9a-f-]+)\)$/.exec(String(v));
      if (!target || !table(target[1]!).has(target[2]!)) return err(400, '0x80040217', `${v} Does Not Exist`);
      const nav = m[1]!;
      if (nav === 'ownerid') row['_ownerid_value'] = target[2];
      else if (nav.startsWith('regardingobjectid_')) row['_regardingobjectid_value'] = target[2];
      else if (nav.startsWith('partyid_')) row['_partyid_value'] = target[2];
      else if (nav.startsWith('activityid_')) row['_activityid_value'] = target[2];
      else if (nav === 'parentcustomerid_account') row['_parentcustomerid_value'] = target[2];
      else return err(400, '0x80060888', `An undeclared property '${nav}' which only has property annotations`);
      delete row[k];
    }
    void set;
    return null;
  }

  function setParties(set: string, activityId: string, parties: DvRow[]): DoubleResponse | null {
    for (const [id, p] of table('activityparties'))
      if (p['_activityid_value'] === activityId) table('activityparties').delete(id);
    for (const p of parties) {
      const row: DvRow = { ...p, _activityid_value: activityId };
      const bad = bindings('activityparties', p, row);
      if (bad) return bad;
      if (row['_partyid_value'] && !row['addressused']) {
        const target = [...['contacts', 'leads', 'systemusers']]
          .map((s) => table(s).get(String(row['_partyid_value'])))
          .find(Boolean);
        row['addressused'] = String(target?.['emailaddress1'] ?? target?.['internalemailaddress'] ?? '').toLowerCase();
      }
      insert('activityparties', row);
    }
    void set;
    return null;
  }

  function write(method: string, path: string, headers: Record<string, string>, body: DvRow): DoubleResponse {
    const denied = privilegeDenied(method, path);
    if (denied) return denied;
    const one = new RegExp(`^${api}/(\\w+)\\(([0-9a-f-]+)\\)$`).exec(path);
    const coll = new RegExp(`^${api}/(\\w+)$`).exec(path);
    // activityparty supports GET only (Dataverse table reference, activityparty): parties are written with the
    // activity through its <entity>_activity_parties collection. (The error code here is this double's choice.)
    if ((method === 'POST' || method === 'PATCH') && (coll?.[1] ?? one?.[1]) === 'activityparties')
      return err(
        405,
        '0x80040800',
        `The '${method === 'POST' ? 'Create' : 'Update'}' method does not support entities of type 'activityparty'.`,
      );
    if (method === 'POST' && coll && keys[coll[1]!]) {
      const set = coll[1]!;
      const row: DvRow = {};
      const partyKey = `${singular[set]}_activity_parties`;
      for (const [k, v] of Object.entries(body)) if (k !== partyKey) row[k] = v;
      const bad = bindings(set, body, row);
      if (bad) return bad;
      for (const k of Object.keys(row)) if (k.endsWith('@odata.bind')) delete row[k];
      const id = insert(set, row);
      if (Array.isArray(body[partyKey])) {
        const b = setParties(set, id, body[partyKey] as DvRow[]);
        if (b) return b;
      }
      const created = table(set).get(id)!;
      return /return=representation/.test(headers['prefer'] ?? '')
        ? { status: 201, body: annotate(created, null) }
        : { status: 204, headers: { 'odata-entityid': `${double.url}${api}/${set}(${id})` } };
    }
    if (method === 'PATCH' && one) {
      const [, set, id] = one as unknown as [string, string, string];
      const row = table(set).get(id);
      if (!row) return err(404, '0x80040217', `${singular[set]} With Id = ${id} Does Not Exist`);
      const ifMatch = headers['if-match'];
      if (ifMatch && ifMatch !== '*' && ifMatch !== row['@odata.etag']) {
        return err(
          412,
          '0x80060882',
          "The version of the existing record doesn't match the RowVersion property provided.",
        );
      }
      const partyKey = `${singular[set]}_activity_parties`;
      // Only appointments have the Outlook correlation column (Dataverse appointment reference: GlobalObjectId).
      if ('globalobjectid' in body && set !== 'appointments') {
        return err(
          400,
          '0x80060888',
          `The property 'globalobjectid' does not exist on type 'Microsoft.Dynamics.CRM.${singular[set]}'. Make sure to only use property names that are defined by the type.`,
        );
      }
      const patch: DvRow = {};
      for (const [k, v] of Object.entries(body)) if (k !== partyKey && !k.endsWith('@odata.bind')) patch[k] = v;
      const bad = bindings(set, body, row);
      if (bad) return bad;
      Object.assign(row, patch);
      if (Array.isArray(body[partyKey])) {
        const b = setParties(set, id, body[partyKey] as DvRow[]);
        if (b) return b;
      }
      touch(row);
      return { status: 204 };
    }
    return err(405, '0x8006088a', `${method} ${path} is not supported`);
  }

  function batch(req: DoubleRequest): DoubleResponse {
    const boundary = /boundary=([^;]+)/.exec(String(req.headers['content-type'] ?? ''))?.[1];
    if (!boundary) return err(400, '0x80048d19', 'missing boundary');
    const out: string[] = [];
    const answerBoundary = `batchresponse_${crypto.randomUUID()}`;
    for (const chunk of req.rawBody.split(`--${boundary}`)) {
      const part = chunk.trim();
      if (!part || part === '--') continue;
      const firstBlank = part.search(/\r?\n\r?\n/);
      const requestText = firstBlank >= 0 ? part.slice(firstBlank).trim() : '';
      const sep = requestText.search(/\r?\n\r?\n/);
      const head = sep >= 0 ? requestText.slice(0, sep) : requestText;
      const bodyText = sep >= 0 ? requestText.slice(sep).trim() : '';
      const [line = '', ...headerLines] = head.split(/\r?\n/);
      const [method = '', url = ''] = line.split(' ');
      const headers: Record<string, string> = {};
      for (const l of headerLines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      let answer: DoubleResponse;
      let parsed: DvRow = {};
      try {
        parsed = bodyText ? (JSON.parse(bodyText) as DvRow) : {};
        answer = write(method, new URL(url).pathname, headers, parsed);
      } catch (e) {
        answer = err(400, '0x80048d19', e instanceof Error ? e.message : String(e));
      }
      // Each operation of the batch is an exchange of its own for the contract tests.
      double.exchanges.push({
        method,
        path: new URL(url).pathname,
        query: new URL(url).searchParams,
        headers,
        requestBody: parsed,
        status: answer.status,
        responseHeaders: { ...(answer.headers ?? {}) },
        responseBody: answer.body,
        injected: false,
      });
      out.push(
        [
          `--${answerBoundary}`,
          'Content-Type: application/http',
          'Content-Transfer-Encoding: binary',
          '',
          `HTTP/1.1 ${answer.status} ${answer.status < 300 ? 'OK' : 'Error'}`,
          ...Object.entries(answer.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
          ...(answer.body !== undefined ? ['Content-Type: application/json; odata.metadata=minimal'] : []),
          '',
          answer.body !== undefined ? JSON.stringify(answer.body) : '',
        ].join('\r\n'),
      );
    }
    return {
      status: 200,
      headers: { 'content-type': `multipart/mixed; boundary=${answerBoundary}` },
      body: `${out.join('\r\n')}\r\n--${answerBoundary}--\r\n`,
    };
  }

  const double = await startDouble((req) => {
    const token = /^\/([\w.-]+)\/oauth2\/v2\.0\/token$/.exec(req.path);
    if (req.method === 'POST' && token) {
      const p = (req.body ?? {}) as Record<string, string>;
      const bad = (code: string, d: string) => ({
        status: 400,
        body: { error: code, error_description: d, error_codes: [70008] },
      });
      if (p['client_id'] !== clientId)
        return bad('unauthorized_client', 'AADSTS700016: Application with identifier was not found in the directory');
      if (p['grant_type'] === 'authorization_code') {
        const c = codes.get(p['code'] ?? '');
        codes.delete(p['code'] ?? '');
        if (!c || c.redirectUri !== p['redirect_uri'])
          return bad('invalid_grant', 'AADSTS70008: The provided authorization code or refresh token has expired');
        if (
          crypto
            .createHash('sha256')
            .update(p['code_verifier'] ?? '')
            .digest('base64url') !== c.challenge
        )
          return bad('invalid_grant', 'AADSTS501481: The Code_Verifier does not match the code_challenge');
      } else if (p['grant_type'] === 'refresh_token') {
        if (!refreshTokens.has(p['refresh_token'] ?? ''))
          return bad('invalid_grant', 'AADSTS70008: The refresh token has expired');
      } else return bad('unsupported_grant_type', 'AADSTS70003');
      const access = crypto.randomBytes(16).toString('hex');
      const refresh = crypto.randomBytes(16).toString('hex');
      tokens.add(access);
      refreshTokens.add(refresh);
      return {
        status: 200,
        body: {
          token_type: 'Bearer',
          scope: p['scope'],
          expires_in: 3599,
          access_token: access,
          refresh_token: refresh,
        },
      };
    }
    if (!req.path.startsWith(`${api}/`)) return err(404, '0x8006088a', 'Resource not found');
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!bearer || !tokens.has(bearer))
      return { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: '' };
    const prefer = String(req.headers['prefer'] ?? '');
    if (req.method === 'POST' && req.path === `${api}/$batch`) return batch(req);
    if (req.method === 'GET' && req.path === `${api}/WhoAmI`)
      return {
        status: 200,
        body: { UserId: me, BusinessUnitId: crypto.randomUUID(), OrganizationId: crypto.randomUUID() },
      };
    if (req.path.startsWith(`${api}/leads`) && !salesApp)
      return err(404, '0x80060888', "Resource not found for the segment 'leads'.");
    // usersettings (set usersettingscollection) and the UtcTimeFromLocalTime function (Web API reference).
    const settings = new RegExp(`^${api}/usersettingscollection\\(([0-9a-f-]+)\\)$`).exec(req.path);
    if (req.method === 'GET' && settings) {
      const zone = zones[timeZoneCode]!;
      const jan = Date.UTC(2030, 0, 1);
      return {
        status: 200,
        body: {
          '@odata.context': `${double.url}${api}/$metadata#usersettingscollection(timezonecode,timezonebias)/$entity`,
          systemuserid: settings[1],
          timezonecode: timeZoneCode,
          // Minutes to add to local time for UTC, standard time (Windows convention): Berlin -60.
          timezonebias: -offsetMinutes(zone, jan),
        },
      };
    }
    const fn = new RegExp(`^${api}/UtcTimeFromLocalTime\\(TimeZoneCode=@p1,LocalTime=@p2\\)$`).exec(req.path);
    if (req.method === 'GET' && fn) {
      const zone = zones[Number(req.query.get('@p1'))];
      const local = Date.parse(req.query.get('@p2') ?? '');
      if (!zone || Number.isNaN(local)) return err(400, '0x80040203', 'Invalid time zone code or local time');
      return {
        status: 200,
        body: {
          '@odata.context': `${double.url}${api}/$metadata#Microsoft.Dynamics.CRM.UtcTimeFromLocalTimeResponse`,
          UtcTime: `${new Date(utcOf(zone, local)).toISOString().slice(0, 19)}Z`,
        },
      };
    }
    if (req.method === 'GET') {
      const denied = privilegeDenied('GET', req.path);
      if (denied) return denied;
    }
    const one = new RegExp(`^${api}/(\\w+)\\(([0-9a-f-]+)\\)$`).exec(req.path);
    if (req.method === 'GET' && one) {
      const row = table(one[1]!).get(one[2]!);
      return row
        ? { status: 200, body: annotate(row, req.query.get('$select')?.split(',') ?? null) }
        : err(404, '0x80040217', 'Does Not Exist');
    }
    const coll = new RegExp(`^${api}/(\\w+)$`).exec(req.path);
    if (req.method === 'GET' && coll && keys[coll[1]!])
      return list({ set: coll[1]!, query: req.query, prefer, path: req.path });
    return write(
      req.method,
      req.path,
      Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      (req.body ?? {}) as DvRow,
    );
  });

  return {
    ...double,
    clientId,
    users,
    now,
    get pageSize() {
      return pageSize;
    },
    set pageSize(v: number) {
      pageSize = v;
    },
    get timeZoneCode() {
      return timeZoneCode;
    },
    set timeZoneCode(v: number) {
      timeZoneCode = v;
    },
    get salesApp() {
      return salesApp;
    },
    set salesApp(v: boolean) {
      salesApp = v;
    },
    authorize({ clientId: cid, redirectUri, codeChallenge, scope }) {
      if (cid !== clientId) throw new Error('unknown client');
      const code = crypto.randomBytes(12).toString('hex');
      codes.set(code, { challenge: codeChallenge, redirectUri, scope });
      return code;
    },
    insert,
    update(set, id, fields) {
      const row = table(set).get(id);
      if (!row) throw new Error(`no ${set} ${id}`);
      Object.assign(row, fields);
      touch(row);
    },
    remove(set, id) {
      table(set).delete(id);
      deletedLog.push({ set, id, seq: ++seq });
    },
    addParty(set, activityId, p) {
      insert('activityparties', {
        _activityid_value: activityId,
        _partyid_value: p.id,
        addressused: p.email,
        participationtypemask: p.mask,
      });
      const row = table(set).get(activityId);
      if (row) touch(row);
    },
    replaceParties(set, activityId, parties) {
      for (const [id, p] of table('activityparties'))
        if (p['_activityid_value'] === activityId) table('activityparties').delete(id);
      for (const p of parties)
        insert('activityparties', {
          _activityid_value: activityId,
          _partyid_value: p.id,
          addressused: p.email,
          participationtypemask: p.mask,
        });
      const row = table(set).get(activityId);
      if (row) touch(row);
    },
    get: (set, id) => table(set).get(id),
    parties: (activityId) =>
      [...table('activityparties').values()].filter((p) => p['_activityid_value'] === activityId),
    all: (set) => [...table(set).values()],
    denyRead(set) {
      noRead.add(set);
    },
    denyWrite(set) {
      noWrite.add(set);
    },
    expireTokens() {
      tokens.clear();
    },
    expireDeltaTokens() {
      minDelta = seq + 1;
    },
  };
}

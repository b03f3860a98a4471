/**
 * A stateful Salesforce REST double, written from Salesforce's REST API and OAuth documentation: the web-server
 * flow with PKCE (authorization code, S256 verifier, refresh tokens, invalid_grant), /services/oauth2/userinfo,
 * SOQL queries (the subset the connector writes: field lists, AND-ed comparisons, IN lists, ORDER BY, LIMIT)
 * with nextRecordsUrl paging, getDeleted (/sobjects/{type}/deleted/), composite sObject collections with
 * per-record results, INVALID_SESSION_ID / INVALID_FIELD / REQUEST_LIMIT_EXCEEDED error bodies and the
 * Sforce-Limit-Info header.
 */
import crypto from 'node:crypto';
import { startDouble, type DoubleRequest, type DoubleResponse, type LoopbackDouble } from './http-double';

export type SfRecord = Record<string, unknown> & { Id: string };

const schema: Record<string, string[]> = {
  Event: [
    'Id',
    'Subject',
    'StartDateTime',
    'EndDateTime',
    'IsAllDayEvent',
    'ActivityDate',
    'DurationInMinutes',
    'Description',
    'Location',
    'ShowAs',
    'IsPrivate',
    'IsReminderSet',
    'ReminderDateTime',
    'WhoId',
    'WhatId',
    'AccountId',
    'OwnerId',
    'Type',
    'SystemModstamp',
    'CreatedDate',
    'IsDeleted',
    'IsChild',
    'IsGroupEvent',
    'GroupEventType',
    'IsRecurrence',
    'RecurrenceActivityId',
    'IsRecurrence2',
  ],
  Task: [
    'Id',
    'Subject',
    'ActivityDate',
    'Description',
    'Status',
    'Priority',
    'IsClosed',
    'WhoId',
    'WhatId',
    'AccountId',
    'OwnerId',
    'SystemModstamp',
    'CreatedDate',
    'IsDeleted',
  ],
  EventRelation: [
    'Id',
    'EventId',
    'RelationId',
    'Status',
    'IsInvitee',
    'IsParent',
    'IsWhat',
    'SystemModstamp',
    'CreatedDate',
    'IsDeleted',
  ],
  Contact: ['Id', 'FirstName', 'LastName', 'Name', 'Email', 'AccountId', 'SystemModstamp', 'CreatedDate', 'IsDeleted'],
  Lead: ['Id', 'FirstName', 'LastName', 'Name', 'Email', 'IsConverted', 'SystemModstamp', 'CreatedDate', 'IsDeleted'],
  Account: ['Id', 'Name', 'SystemModstamp', 'CreatedDate', 'IsDeleted'],
  User: ['Id', 'Username', 'Email', 'IsActive', 'SystemModstamp', 'CreatedDate', 'IsDeleted'],
};
const prefixOf: Record<string, string> = {
  Event: '00U',
  Task: '00T',
  EventRelation: '0RE',
  Contact: '003',
  Lead: '00Q',
  Account: '001',
  User: '005',
};
const customFields = ['CrmSync_ICalUId__c', 'CrmSync_Sync__c'];
/** Field types as describe() reports them (../shared/schemas/salesforce; User and the custom fields from the docs). */
const fieldTypes: Record<string, string> = {
  Id: 'id',
  Subject: 'combobox',
  StartDateTime: 'datetime',
  EndDateTime: 'datetime',
  ReminderDateTime: 'datetime',
  SystemModstamp: 'datetime',
  CreatedDate: 'datetime',
  ActivityDate: 'date',
  DurationInMinutes: 'int',
  Description: 'textarea',
  Location: 'string',
  ShowAs: 'picklist',
  Type: 'picklist',
  Status: 'picklist',
  Priority: 'picklist',
  GroupEventType: 'picklist',
  Email: 'email',
  FirstName: 'string',
  LastName: 'string',
  Name: 'string',
  Username: 'string',
  CrmSync_ICalUId__c: 'string',
  CrmSync_Sync__c: 'boolean',
};
const typeOf = (field: string): string =>
  fieldTypes[field] ?? (/^Is[A-Z]/.test(field) ? 'boolean' : /Id$/.test(field) ? 'reference' : 'string');
/** Non-nillable booleans read false when never set; GroupEventType defaults to '0' (describe defaultValue). */
const defaults = (type: string): Record<string, unknown> =>
  type === 'Event'
    ? {
        IsAllDayEvent: false,
        IsPrivate: false,
        IsReminderSet: false,
        IsChild: false,
        IsGroupEvent: false,
        GroupEventType: '0',
        IsRecurrence: false,
        IsRecurrence2: false,
        ShowAs: 'Busy',
      }
    : type === 'Task'
      ? { IsClosed: false, Status: 'Not Started', Priority: 'Normal' }
      : type === 'EventRelation'
        ? { IsInvitee: true, IsParent: false, IsWhat: false, Status: 'New' }
        : {};
/**
 * Fields the API cannot write (Salesforce Object Reference: no Create/Update property); writing one answers
 * INVALID_FIELD_FOR_INSERT_UPDATE.
 */
const readOnly = new Set([
  'IsDeleted',
  'CreatedDate',
  'SystemModstamp',
  'AccountId',
  'IsClosed',
  'Name',
  'IsChild',
  'IsGroupEvent',
  'GroupEventType',
]);
/** DateTime values on the wire: `2030-01-01T10:00:00.000+0000` (REST API Developer Guide, date formats). */
const wire = (v: unknown): unknown =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v))
    ? new Date(v).toISOString().replace('Z', '+0000')
    : v;

export interface SalesforceDouble extends LoopbackDouble {
  clientId: string;
  users: { id: string; email: string; username: string }[];
  /** What the browser half of the flow does: the user consents, Salesforce redirects with a code. */
  authorize(p: { clientId: string; redirectUri: string; codeChallenge: string; userIndex?: number }): string;
  insert(type: string, fields: Record<string, unknown>): string;
  update(type: string, id: string, fields: Record<string, unknown>): void;
  remove(type: string, id: string): void;
  get(type: string, id: string): SfRecord | undefined;
  all(type: string): SfRecord[];
  advance(ms: number): void;
  expireTokens(): void;
  revoked: string[];
  /** Daily API budget reported in Sforce-Limit-Info. */
  setApiUsage(used: number, max: number): void;
  /** The org's requests counted so far (every authenticated call counts, refused ones too, as Salesforce does). */
  apiUsage(): { used: number; max: number };
  /** Orgs without the connector's custom fields. */
  dropCustomFields(): void;
  /** Field-level security hides these fields from this user (absent from describe, INVALID_FIELD in SOQL). */
  hideFields(type: string, fields: string[]): void;
  /**
   * The user's profile/sharing gives read but not edit on this object: every create, update and delete of it fails
   * with INSUFFICIENT_ACCESS_OR_READONLY (a SaveResult error in Collections, 400 on a single-record call), as the
   * REST API Developer Guide's status codes and sObject Collections pages describe.
   */
  denyWrite(type: string): void;
  /**
   * The user's profile has no Read on this object: SOQL answers 400 INVALID_TYPE ("sObject type '…' is not
   * supported"), describe 404 NOT_FOUND, writes INSUFFICIENT_ACCESS_OR_READONLY.
   */
  denyRead(type: string): void;
  /**
   * Shared Activities (Setup): on by default. Off, EventRelation has no IsInvitee/IsParent/IsWhat and every row is
   * an invitee (Object Reference, EventRelation).
   */
  sharedActivities: boolean;
  /** An admin empties the Recycle Bin: the delete log starts now (earliestDateAvailable moves). */
  purgeDeleteLog(): void;
  /** Records per query page (Salesforce's default is 2000). */
  pageSize: number;
  /** The double's clock. */
  now(): Date;
}

const sfError = (status: number, errorCode: string, message: string): DoubleResponse => ({
  status,
  body: [{ errorCode, message }],
});

export async function startSalesforceDouble(): Promise<SalesforceDouble> {
  let clock = Date.parse('2030-01-10T08:00:00Z');
  const stamp = () => new Date(clock).toISOString().replace('Z', '+0000');
  const tables = new Map<string, Map<string, SfRecord>>();
  const deleted: { type: string; id: string; at: number }[] = [];
  const codes = new Map<string, { clientId: string; redirectUri: string; challenge: string; userId: string }>();
  const tokens = new Map<string, string>();
  const refreshTokens = new Map<string, string>();
  const revoked: string[] = [];
  const locators = new Map<string, SfRecord[]>();
  let usage = { used: 0, max: 15000 };
  let hasCustom = true;
  let shared = true;
  /** Deletions before this instant are gone from the delete log (an admin emptied the Recycle Bin). */
  let purgedBefore = 0;
  const hidden = new Map<string, Set<string>>();
  const noWrite = new Set<string>();
  const noRead = new Set<string>();
  let counter = 0;
  let pageSize = 2000;
  const clientId = `3MVG9${crypto.randomBytes(8).toString('hex')}`;
  const table = (t: string) => {
    let m = tables.get(t);
    if (!m) tables.set(t, (m = new Map()));
    return m;
  };
  const newId = (type: string) => `${prefixOf[type] ?? '0XX'}${String(++counter).padStart(12, '0')}AAA`;
  const fieldsOf = (type: string) =>
    [...(schema[type] ?? []), ...(hasCustom && (type === 'Event' || type === 'Task') ? customFields : [])].filter(
      (f) =>
        !hidden.get(type)?.has(f) &&
        (shared || type !== 'EventRelation' || !['IsInvitee', 'IsParent', 'IsWhat'].includes(f)),
    );

  const insert = (type: string, fields: Record<string, unknown>): string => {
    const id = newId(type);
    const given = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, wire(v)]));
    const rec: SfRecord = {
      IsDeleted: false,
      ...defaults(type),
      ...given,
      Id: id,
      CreatedDate: stamp(),
      SystemModstamp: stamp(),
    };
    if (type === 'Contact' || type === 'Lead')
      rec['Name'] = [fields['FirstName'], fields['LastName']].filter(Boolean).join(' ');
    if (type === 'Event' && fields['IsAllDayEvent'] !== true && typeof fields['StartDateTime'] === 'string') {
      rec['ActivityDate'] = String(fields['StartDateTime']).slice(0, 10);
    }
    if (type === 'Task') rec['IsClosed'] = rec['Status'] === 'Completed';
    table(type).set(id, rec);
    // An invited user gets a child copy of the event, owned by them (Object Reference, Event: IsChild).
    if (type === 'EventRelation' && String(rec['RelationId']).startsWith(prefixOf['User']!)) {
      const parent = table('Event').get(String(rec['EventId']));
      if (parent && parent['IsChild'] !== true) {
        const { Id: _id, CreatedDate: _c, SystemModstamp: _s, ...copy } = parent;
        insert('Event', { ...copy, IsChild: true, IsGroupEvent: true, OwnerId: rec['RelationId'] });
        parent['IsGroupEvent'] = true;
        parent['GroupEventType'] = '1';
      }
    }
    return id;
  };
  const users = [
    {
      id: insert('User', { Username: 'sally@corp.example.org', Email: 'sally@corp.example', IsActive: true }),
      email: 'sally@corp.example',
      username: 'sally@corp.example.org',
    },
    {
      id: insert('User', { Username: 'max@corp.example.org', Email: 'max@corp.example', IsActive: true }),
      email: 'max@corp.example',
      username: 'max@corp.example.org',
    },
  ];

  function literal(raw: string): unknown {
    const v = raw.trim();
    if (v.startsWith("'")) return v.slice(1, -1).replace(/\\'/g, "'").replace(/\\\\/g, '\\');
    if (v === 'true' || v === 'false') return v === 'true';
    if (v === 'null') return null;
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v)) return { dateTime: Date.parse(v) };
    if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
    throw new Error(`bad literal ${v}`);
  }

  function compare(a: unknown, b: unknown): number {
    if (b && typeof b === 'object' && 'dateTime' in b) {
      const x = typeof a === 'string' ? Date.parse(a) : NaN;
      return x - (b as { dateTime: number }).dateTime;
    }
    if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase().localeCompare(b.toLowerCase());
    return a === b ? 0 : String(a) < String(b) ? -1 : 1;
  }

  function query(soql: string): SfRecord[] | DoubleResponse {
    const m = /^SELECT (.+?) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY (\w+)(?: (ASC|DESC))?)?(?: LIMIT (\d+))?$/i.exec(
      soql.trim(),
    );
    if (!m) return sfError(400, 'MALFORMED_QUERY', `unexpected token in ${soql.slice(0, 60)}`);
    const [, fieldList, type, where, orderBy, dir, limit] = m;
    if (!schema[type!] || noRead.has(type!))
      return sfError(
        400,
        'INVALID_TYPE',
        `sObject type '${type}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    const fields = fieldList!.split(',').map((f) => f.trim());
    const known = fieldsOf(type!);
    const bad = [...fields, ...(orderBy ? [orderBy] : [])].find((f) => !known.includes(f));
    if (bad) return sfError(400, 'INVALID_FIELD', `No such column '${bad}' on entity '${type}'.`);
    const conds: ((r: SfRecord) => boolean)[] = [];
    for (const part of where ? where.split(/ AND /i) : []) {
      const c = /^(\w+) (=|!=|>=|<=|>|<|IN) (.+)$/i.exec(part.trim());
      if (!c) return sfError(400, 'MALFORMED_QUERY', `cannot parse ${part}`);
      const [, field, op, rawValue] = c as unknown as [string, string, string, string];
      if (!known.includes(field))
        return sfError(400, 'INVALID_FIELD', `No such column '${field}' on entity '${type}'.`);
      if (op.toUpperCase() === 'IN') {
        const values = rawValue
          .replace(/^\(|\)$/g, '')
          .split(/,\s*/)
          .map(literal);
        conds.push((r) => values.some((v) => compare(r[field], v) === 0));
      } else {
        const value = literal(rawValue);
        conds.push((r) => {
          const d = compare(r[field] ?? null, value);
          return op === '='
            ? d === 0
            : op === '!='
              ? d !== 0
              : op === '>'
                ? d > 0
                : op === '>='
                  ? d >= 0
                  : op === '<'
                    ? d < 0
                    : d <= 0;
        });
      }
    }
    let rows = [...table(type!).values()].filter((r) => r['IsDeleted'] !== true && conds.every((c) => c(r)));
    if (orderBy) rows.sort((a, b) => compare(a[orderBy], b[orderBy]) * (dir?.toUpperCase() === 'DESC' ? -1 : 1));
    if (limit) rows = rows.slice(0, Number(limit));
    return rows.map((r) => {
      const out: SfRecord = { attributes: { type, url: `/services/data/v60.0/sobjects/${type}/${r.Id}` }, Id: r.Id };
      for (const f of fields) out[f] = r[f] ?? (typeOf(f) === 'boolean' ? false : null);
      return out;
    });
  }

  function page(rows: SfRecord[], size: number): DoubleResponse {
    const first = rows.slice(0, size);
    const rest = rows.slice(size);
    const body: Record<string, unknown> = { totalSize: rows.length, done: rest.length === 0, records: first };
    if (rest.length) {
      const locator = `01g${crypto.randomBytes(6).toString('hex')}`;
      locators.set(locator, rest);
      body['nextRecordsUrl'] = `/services/data/v60.0/query/${locator}-${size}`;
    }
    return { status: 200, body };
  }

  /** A SaveResult: a failed one names the record's id, null for a create (the described SaveResult shape). */
  function write(
    type: string,
    fields: Record<string, unknown>,
    id: string | null,
  ): { id: string | null; success: boolean; errors: unknown[] } {
    const r = writeOne(type, fields, id);
    return { ...r, id: r.id ?? id };
  }

  function writeOne(
    type: string,
    fields: Record<string, unknown>,
    id: string | null,
  ): { id?: string; success: boolean; errors: unknown[] } {
    if (noWrite.has(type) || noRead.has(type))
      return {
        success: false,
        errors: [
          {
            statusCode: 'INSUFFICIENT_ACCESS_OR_READONLY',
            message: 'insufficient access rights on object id',
            fields: [],
          },
        ],
      };
    const known = fieldsOf(type);
    const bad = Object.keys(fields).find((f) => f !== 'attributes' && f !== 'Id' && !known.includes(f));
    if (bad)
      return {
        success: false,
        errors: [
          { statusCode: 'INVALID_FIELD', message: `No such column '${bad}' on sobject of type ${type}`, fields: [bad] },
        ],
      };
    const ro = Object.keys(fields).find((f) => readOnly.has(f));
    if (ro)
      return {
        success: false,
        errors: [
          {
            statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
            message: `Unable to create/update fields: ${ro}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
            fields: [ro],
          },
        ],
      };
    const { attributes: _a, Id: _i, ...given } = fields;
    const rest = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, wire(v)]));
    if (type === 'EventRelation') {
      const dup = [...table(type).values()].find(
        (r) => !r['IsDeleted'] && r['EventId'] === rest['EventId'] && r['RelationId'] === rest['RelationId'],
      );
      if (dup)
        return {
          success: false,
          errors: [
            { statusCode: 'DUPLICATE_VALUE', message: 'duplicate value found: EventId, RelationId', fields: [] },
          ],
        };
      if (!table('Event').get(String(rest['EventId'])))
        return {
          success: false,
          errors: [
            { statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: ['EventId'] },
          ],
        };
    }
    if (id === null) return { id: insert(type, rest), success: true, errors: [] };
    const rec = table(type).get(id);
    if (!rec || rec['IsDeleted'])
      return {
        success: false,
        errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }],
      };
    Object.assign(rec, rest, { SystemModstamp: stamp() });
    if (type === 'Task') rec['IsClosed'] = rec['Status'] === 'Completed';
    if (type === 'Event' && rec['IsAllDayEvent'] !== true && typeof rec['StartDateTime'] === 'string')
      rec['ActivityDate'] = String(rec['StartDateTime']).slice(0, 10);
    return { id, success: true, errors: [] };
  }

  function tokenEndpoint(req: DoubleRequest): DoubleResponse {
    const p = (req.body ?? {}) as Record<string, string>;
    const invalid = (d: string) => ({ status: 400, body: { error: 'invalid_grant', error_description: d } });
    if (p['client_id'] !== clientId)
      return { status: 400, body: { error: 'invalid_client_id', error_description: 'client identifier invalid' } };
    let userId: string | undefined;
    if (p['grant_type'] === 'authorization_code') {
      const c = codes.get(p['code'] ?? '');
      if (!c) return invalid('invalid authorization code');
      codes.delete(p['code']!);
      if (c.redirectUri !== p['redirect_uri'])
        return {
          status: 400,
          body: { error: 'redirect_uri_mismatch', error_description: 'redirect_uri must match configuration' },
        };
      const challenge = crypto
        .createHash('sha256')
        .update(p['code_verifier'] ?? '')
        .digest('base64url');
      if (challenge !== c.challenge) return invalid('invalid code verifier');
      userId = c.userId;
    } else if (p['grant_type'] === 'refresh_token') {
      userId = refreshTokens.get(p['refresh_token'] ?? '');
      if (!userId) return invalid('expired access/refresh token');
    } else
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant type not supported' } };
    const access = `00D!${crypto.randomBytes(12).toString('hex')}`;
    tokens.set(access, userId);
    const body: Record<string, unknown> = {
      access_token: access,
      instance_url: double.url,
      id: `${double.url}/id/00D000000000001/${userId}`,
      token_type: 'Bearer',
      issued_at: String(clock),
      signature: 'sig',
    };
    if (p['grant_type'] === 'authorization_code') {
      const refresh = `5Aep${crypto.randomBytes(12).toString('hex')}`;
      refreshTokens.set(refresh, userId);
      body['refresh_token'] = refresh;
    }
    return { status: 200, body };
  }

  const base = '/services/data/v60.0';
  const double = await startDouble((req) => {
    if (req.method === 'POST' && req.path === '/services/oauth2/token') return tokenEndpoint(req);
    if (req.method === 'POST' && req.path === '/services/oauth2/revoke') {
      const t = String((req.body as Record<string, string>)['token'] ?? '');
      revoked.push(t);
      refreshTokens.delete(t);
      tokens.delete(t);
      return { status: 200 };
    }
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const userId = bearer ? tokens.get(bearer) : undefined;
    if (!userId) return sfError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    usage.used += 1;
    const limitHeader = { 'sforce-limit-info': `api-usage=${usage.used}/${usage.max}` };
    if (usage.used > usage.max)
      return { ...sfError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), headers: limitHeader };
    const answer = ((): DoubleResponse => {
      if (req.path === '/services/oauth2/userinfo') {
        const u = users.find((x) => x.id === userId)!;
        return {
          status: 200,
          body: { user_id: u.id, organization_id: '00D000000000001', preferred_username: u.username, email: u.email },
        };
      }
      if (req.method === 'GET' && req.path === `${base}/query`) {
        const rows = query(req.query.get('q') ?? '');
        return Array.isArray(rows) ? page(rows, pageSize) : rows;
      }
      const loc = new RegExp(`^${base}/query/(\\w+)-(\\d+)$`).exec(req.path);
      if (req.method === 'GET' && loc) {
        const rows = locators.get(loc[1]!);
        if (!rows) return sfError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
        locators.delete(loc[1]!);
        return page(rows, Number(loc[2]));
      }
      const del = new RegExp(`^${base}/sobjects/(\\w+)/deleted/?$`).exec(req.path);
      if (req.method === 'GET' && del) {
        // sObject Get Deleted (REST API Developer Guide): seconds are ignored; the range must exceed one minute;
        // the log reaches back no more than 15 days before the day of the call.
        const minute = (v: number) => v - (v % 60_000);
        const start = minute(Date.parse(req.query.get('start') ?? ''));
        const end = minute(Date.parse(req.query.get('end') ?? ''));
        const day = clock - (clock % 86_400_000);
        const earliest = day - 15 * 86_400_000;
        if (Number.isNaN(start) || Number.isNaN(end))
          return sfError(400, 'MALFORMED_QUERY', 'start and end must be ISO 8601 dateTimes');
        if (end - start <= 60_000)
          return sfError(
            400,
            'INVALID_REPLICATION_DATE',
            'startDate must chronologically precede endDate by more than one minute',
          );
        if (start < earliest)
          return sfError(400, 'INVALID_REPLICATION_DATE', 'startDate cannot be more than 15 days ago');
        const covered = Math.min(end, minute(clock));
        const sf = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
        return {
          status: 200,
          body: {
            deletedRecords: deleted
              .filter((d) => d.type === del[1] && d.at >= start && d.at < covered)
              .map((d) => ({ id: d.id, deletedDate: sf(d.at) })),
            earliestDateAvailable: sf(Math.max(earliest, purgedBefore)),
            latestDateCovered: sf(covered),
          },
        };
      }
      const desc = new RegExp(`^${base}/sobjects/(\\w+)/describe/?$`).exec(req.path);
      if (req.method === 'GET' && desc) {
        const type = desc[1]!;
        if (!schema[type] || noRead.has(type))
          return sfError(404, 'NOT_FOUND', `The requested resource does not exist`);
        return {
          status: 200,
          body: {
            name: type,
            queryable: true,
            // DescribeSObjectResult: what this user's profile allows on the object.
            createable: !noWrite.has(type),
            updateable: !noWrite.has(type),
            deletable: !noWrite.has(type),
            fields: fieldsOf(type).map((name) => ({ name, type: typeOf(name), custom: name.endsWith('__c') })),
          },
        };
      }
      if (req.path === `${base}/composite/sobjects` && req.method === 'DELETE') {
        const ids = (req.query.get('ids') ?? '').split(',').filter(Boolean);
        if (ids.length > 200) return sfError(400, 'EXCEEDED_ID_LIMIT', 'record limit reached');
        return {
          status: 200,
          body: ids.map((id) => {
            const type = Object.keys(prefixOf).find((t) => id.startsWith(prefixOf[t]!)) ?? '';
            const rec = table(type).get(id);
            if (!rec || rec['IsDeleted'])
              return {
                id,
                success: false,
                errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }],
              };
            if (noWrite.has(type) || noRead.has(type))
              return {
                id,
                success: false,
                errors: [
                  {
                    statusCode: 'INSUFFICIENT_ACCESS_OR_READONLY',
                    message: 'insufficient access rights on object id',
                    fields: [],
                  },
                ],
              };
            rec['IsDeleted'] = true;
            deleted.push({ type, id, at: clock });
            return { id, success: true, errors: [] };
          }),
        };
      }
      if (req.path === `${base}/composite/sobjects` && (req.method === 'POST' || req.method === 'PATCH')) {
        const body = req.body as { allOrNone?: boolean; records?: SfRecord[] };
        const records = body.records ?? [];
        // Runs of one object type are processed as chunks, at most 10 per request (sObject Collections).
        const chunks = records.filter(
          (r, i) =>
            i === 0 ||
            (r['attributes'] as { type?: string })?.type !== (records[i - 1]!['attributes'] as { type?: string })?.type,
        ).length;
        if (chunks > 10)
          return sfError(
            400,
            'EXCEEDED_MAX_TYPES_LIMIT',
            'Cannot have more than 10 chunks in a single operation. Please rearrange the data to reduce chunking.',
          );
        if (records.length > 200)
          return sfError(
            400,
            'EXCEEDED_ID_LIMIT',
            'record limit reached. cannot submit more than 200 records into this call',
          );
        return {
          status: 200,
          body: records.map((r) => {
            const type = (r['attributes'] as { type?: string } | undefined)?.type ?? '';
            if (!schema[type])
              return {
                success: false,
                errors: [{ statusCode: 'INVALID_TYPE', message: `bad type ${type}`, fields: [] }],
              };
            return write(type, r, req.method === 'POST' ? null : String(r['Id'] ?? r.Id));
          }),
        };
      }
      const one = new RegExp(`^${base}/sobjects/(\\w+)(?:/(\\w+))?$`).exec(req.path);
      if (one && req.method === 'POST' && !one[2]) {
        const r = write(one[1]!, req.body as Record<string, unknown>, null);
        return r.success
          ? { status: 201, body: { id: r.id, success: true, errors: [] } }
          : {
              status: 400,
              body: r.errors.map((e) => ({ ...(e as object), errorCode: (e as { statusCode: string }).statusCode })),
            };
      }
      if (one && req.method === 'PATCH' && one[2]) {
        const r = write(one[1]!, req.body as Record<string, unknown>, one[2]);
        return r.success
          ? { status: 204 }
          : sfError(
              r.errors[0] && (r.errors[0] as { statusCode: string }).statusCode === 'ENTITY_IS_DELETED' ? 404 : 400,
              (r.errors[0] as { statusCode: string }).statusCode,
              'failed',
            );
      }
      return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
    })();
    return { ...answer, headers: { ...(answer.headers ?? {}), ...limitHeader } };
  });

  return {
    ...double,
    clientId,
    users,
    revoked,
    get pageSize() {
      return pageSize;
    },
    set pageSize(v: number) {
      pageSize = v;
    },
    now: () => new Date(clock),
    authorize({ clientId: cid, redirectUri, codeChallenge, userIndex = 0 }) {
      if (cid !== clientId) throw new Error('unknown client');
      const code = `aPrx${crypto.randomBytes(8).toString('hex')}`;
      codes.set(code, { clientId: cid, redirectUri, challenge: codeChallenge, userId: users[userIndex]!.id });
      return code;
    },
    insert,
    update(type, id, fields) {
      const r = write(type, fields, id);
      if (!r.success) throw new Error(JSON.stringify(r.errors));
    },
    remove(type, id) {
      const rec = table(type).get(id);
      if (!rec) throw new Error(`no ${type} ${id}`);
      rec['IsDeleted'] = true;
      rec['SystemModstamp'] = stamp();
      deleted.push({ type, id, at: clock });
    },
    get: (type, id) => table(type).get(id),
    all: (type) => [...table(type).values()].filter((r) => !r['IsDeleted']),
    advance(ms) {
      clock += ms;
    },
    expireTokens() {
      tokens.clear();
    },
    setApiUsage(used, max) {
      usage = { used, max };
    },
    apiUsage: () => ({ ...usage }),
    dropCustomFields() {
      hasCustom = false;
    },
    denyWrite(type) {
      noWrite.add(type);
    },
    denyRead(type) {
      noRead.add(type);
    },
    hideFields(type, fields) {
      hidden.set(type, new Set([...(hidden.get(type) ?? []), ...fields]));
    },
    get sharedActivities() {
      return shared;
    },
    set sharedActivities(v: boolean) {
      shared = v;
    },
    purgeDeleteLog() {
      purgedBefore = clock;
      deleted.splice(0, deleted.length);
    },
  };
}

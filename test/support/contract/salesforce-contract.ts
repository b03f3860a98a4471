/**
 * The Salesforce REST contract: every exchange with the Salesforce double (the connector's request and the
 * double's answer) held to ../shared/schemas/salesforce — describe() of Event, Task, Contact, Lead, Account and
 * EventRelation from a real org (API 61.0), and the JSON Schema derived from it with the REST envelopes.
 *
 * Where the description is silent or narrower than Salesforce's documentation, the documentation wins and the
 * rule below cites the page:
 * - Standard fields this org's describe does not list (field-level security or an org setting hides them):
 *   Event.Type (object reference, Event: picklist Call/Email/Meeting/Other), EventRelation.IsInvitee/IsParent/IsWhat
 *   (object reference, EventRelation: present when Shared Activities is enabled), and the User fields the connector
 *   reads (object reference, User; User is not in the slice). A connector may use them only after its own describe
 *   said they are there (tested in the provider tests, not here).
 * - Read-only fields (the trimmed describe has no createable/updateable flags): the object reference lists them
 *   without the Create/Update property (system audit fields, Event/Task AccountId, Task IsClosed, Contact/Lead Name,
 *   Event IsChild/IsGroupEvent/GroupEventType).
 * - Wire formats: datetimes come back as `2024-01-01T10:00:00.000+0000` (REST API Developer Guide, "Valid Date and
 *   DateTime Formats"); requests may use `Z` or an offset.
 * - sObject Collections: at most 200 records and at most 10 chunks (runs of one object type) per request
 *   (https://developer.salesforce.com/docs/platform/api-rest/guide/resources-composite-sobjects-collections-create.html).
 * - sObject Get Deleted: start at most 15 days before the day of the call; the range must exceed one minute, seconds
 *   ignored (https://developer.salesforce.com/docs/platform/api-rest/guide/resources-getdeleted.md and SOAP
 *   getDeleted()).
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import type { DoubleExchange } from '../crm-doubles/http-double';
import { readSharedJson } from './shared-schemas';

interface DescribeField {
  name: string;
  type: string;
  nillable?: boolean;
  filterable?: boolean;
  picklistValues?: { value: string }[];
}
type Json = Record<string, unknown>;
export interface Finding {
  where: string;
  problem: string;
}

const objectReference = 'https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects';
/** Documented standard fields absent from the slice org's describe (see the header). */
const documentedExtras: Record<string, (DescribeField & { source: string })[]> = {
  Event: [
    {
      name: 'Type',
      type: 'picklist',
      nillable: true,
      filterable: true,
      picklistValues: ['Call', 'Email', 'Meeting', 'Other'].map((value) => ({ value })),
      source: `${objectReference}/object-event.html`,
    },
  ],
  EventRelation: ['IsInvitee', 'IsParent', 'IsWhat'].map((name) => ({
    name,
    type: 'boolean',
    nillable: false,
    filterable: true,
    source: `${objectReference}/object-eventrelation.html`,
  })),
  User: [
    { name: 'Id', type: 'id' },
    { name: 'Email', type: 'email' },
    { name: 'Username', type: 'string' },
    { name: 'IsActive', type: 'boolean' },
    { name: 'SystemModstamp', type: 'datetime' },
  ].map((f) => ({ ...f, nillable: f.name !== 'Id', filterable: true, source: `${objectReference}/object-user.html` })),
};
const systemFields = [
  'IsDeleted',
  'CreatedDate',
  'CreatedById',
  'LastModifiedDate',
  'LastModifiedById',
  'SystemModstamp',
];
const readOnly: Record<string, string[]> = {
  Event: [...systemFields, 'AccountId', 'IsChild', 'IsGroupEvent', 'GroupEventType', 'IsArchived', 'EndDate'],
  Task: [...systemFields, 'AccountId', 'IsClosed', 'IsHighPriority', 'IsArchived'],
  Contact: [...systemFields, 'Name'],
  Lead: [...systemFields, 'Name'],
  Account: systemFields,
  EventRelation: systemFields,
};

const wireDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;
const requestDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})$/;
const isoDate = /^\d{4}-\d{2}-\d{2}$/;
const dataPath = /^\/services\/data\/v\d+\.\d+(\/.*)$/;

export interface SalesforceContract {
  /** Findings for one exchange; `now` is the double's clock (getDeleted's reach is counted from it). */
  check(ex: DoubleExchange, now: Date): Finding[];
  /** Findings for a record body of this sObject type (for the negative controls). */
  checkRecord(type: string, record: Json, direction: 'request' | 'response'): string[];
  checkEnvelope(def: string, body: unknown): string[];
}

export function loadSalesforceContract(): SalesforceContract | null {
  const describe = readSharedJson<{ sobjects: Record<string, { fields: DescribeField[] }> }>(
    'salesforce',
    'sobjects-describe-v61.json',
  );
  const schema = readSharedJson<Json>('salesforce', 'salesforce-rest-v61.schema.json');
  if (!describe || !schema) return null;

  const fields = new Map<string, Map<string, DescribeField>>();
  for (const [type, d] of Object.entries(describe.sobjects))
    fields.set(type, new Map(d.fields.map((f) => [f.name, f])));
  for (const [type, extra] of Object.entries(documentedExtras)) {
    const m = fields.get(type) ?? new Map<string, DescribeField>();
    for (const f of extra) if (!m.has(f.name)) m.set(f.name, f);
    fields.set(type, m);
  }

  // The derived schema with the documented extras added to each object's properties.
  const defs = structuredClone(schema['$defs']) as Record<string, Json & { properties?: Record<string, Json> }>;
  for (const [type, extra] of Object.entries(documentedExtras)) {
    const def = defs[type];
    if (!def?.properties) continue;
    for (const f of extra) {
      def.properties[f.name] ??= {
        type: f.type === 'boolean' ? 'boolean' : ['string', 'null'],
        ...(f.picklistValues ? { 'x-picklistValues': f.picklistValues.map((p) => p.value) } : {}),
      };
    }
  }
  const withDefs = { ...schema, $id: 'salesforce-contract', $defs: defs };
  const compile = (dateTime: RegExp): Ajv2020 => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addFormat('date-time', dateTime);
    ajv.addFormat('date', isoDate);
    ajv.addSchema(withDefs);
    return ajv;
  };
  const ajv = { request: compile(requestDateTime), response: compile(wireDateTime) };
  const validators = new Map<string, ValidateFunction>();
  const validator = (direction: 'request' | 'response', def: string): ValidateFunction | null => {
    const key = `${direction}:${def}`;
    if (!validators.has(key)) {
      const v = defs[def] ? ajv[direction].getSchema(`salesforce-contract#/$defs/${def}`) : undefined;
      if (v) validators.set(key, v);
    }
    return validators.get(key) ?? null;
  };
  const errorsOf = (v: ValidateFunction): string[] =>
    (v.errors ?? []).map(
      (e) =>
        `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` '${String(e.params['additionalProperty'])}'` : ''}`,
    );

  function checkEnvelope(def: string, body: unknown): string[] {
    const v = validator('response', def);
    if (!v) return [`no schema ${def}`];
    return v(body) ? [] : errorsOf(v).map((e) => `${def}: ${e}`);
  }

  function checkRecord(type: string, record: Json, direction: 'request' | 'response'): string[] {
    const out: string[] = [];
    const known = fields.get(type);
    if (!known) return [`sObject type ${type} is not in the description`];
    const plain: Json = {};
    for (const [k, v] of Object.entries(record)) {
      if (/^[A-Za-z]\w*__c$/.test(k)) {
        // Custom fields are org-specific (not in the slice): only their JSON type is held to the describe's kinds.
        if (v !== null && !['string', 'boolean', 'number'].includes(typeof v))
          out.push(`${type}.${k}: custom field value of JSON type ${typeof v}`);
      } else plain[k] = v;
    }
    const v = validator(direction, type);
    if (v && !v(plain)) out.push(...errorsOf(v).map((e) => `${type}${e}`));
    for (const [k, value] of Object.entries(plain)) {
      const f = known.get(k);
      if (!f) continue;
      if (
        f.type === 'picklist' &&
        f.picklistValues &&
        value !== null &&
        !f.picklistValues.some((p) => p.value === value)
      )
        out.push(`${type}.${k}: '${String(value)}' is not a value of the picklist`);
      if (direction === 'request' && readOnly[type]?.includes(k)) out.push(`${type}.${k} is read-only`);
    }
    if (direction === 'request' && 'Id' in plain) out.push(`${type}: a record body names its Id only in a PATCH`);
    return out;
  }

  function soqlFindings(soql: string): string[] {
    const m = /^SELECT (.+?) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY (\w+)(?: (?:ASC|DESC))?)?(?: LIMIT \d+)?$/i.exec(
      soql.trim(),
    );
    if (!m) return [`not a SOQL query this contract reads: ${soql.slice(0, 80)}`];
    const [, list, type, where, orderBy] = m as unknown as [string, string, string, string?, string?];
    const known = fields.get(type);
    if (!known) return [`FROM ${type}: not in the description`];
    const out: string[] = [];
    const field = (name: string, role: string): DescribeField | null => {
      if (/__c$/.test(name)) return null;
      const f = known.get(name);
      if (!f) out.push(`${role} ${type}.${name}: no such field`);
      return f ?? null;
    };
    for (const f of list.split(',').map((s) => s.trim())) field(f, 'SELECT');
    if (orderBy) field(orderBy, 'ORDER BY');
    for (const part of where ? where.split(/ AND | OR /i) : []) {
      const c = /^\(?\s*(\w+) (=|!=|>=|<=|>|<|IN|NOT IN) (.+?)\)?$/i.exec(part.trim());
      if (!c) {
        out.push(`WHERE: cannot read '${part}'`);
        continue;
      }
      const [, name, op, raw] = c as unknown as [string, string, string, string];
      const f = field(name, 'WHERE');
      if (!f) continue;
      if (f.filterable === false) out.push(`WHERE ${type}.${name}: not filterable`);
      const values = /IN$/i.test(op) ? raw.replace(/^\(|\)$/g, '').split(/,\s*/) : [raw];
      for (const v of values) {
        const ok =
          v === 'null'
            ? true
            : f.type === 'boolean'
              ? v === 'true' || v === 'false'
              : f.type === 'datetime'
                ? /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v)
                : f.type === 'date'
                  ? isoDate.test(v)
                  : ['int', 'double', 'currency', 'percent'].includes(f.type)
                    ? /^-?\d+(\.\d+)?$/.test(v)
                    : /^'.*'$/.test(v);
        if (!ok) out.push(`WHERE ${type}.${name} (${f.type}) compared with ${v}`);
        if (f.type === 'picklist' && f.picklistValues && /^'.*'$/.test(v)) {
          const value = v.slice(1, -1);
          if (!f.picklistValues.some((p) => p.value === value))
            out.push(`WHERE ${type}.${name}: '${value}' is not a value of the picklist`);
        }
      }
    }
    return out;
  }

  function check(ex: DoubleExchange, now: Date): Finding[] {
    const where = `${ex.method} ${ex.path}${ex.query.size ? `?${ex.query.toString().slice(0, 120)}` : ''}`;
    const out: Finding[] = [];
    const add = (problems: string[]) => problems.forEach((problem) => out.push({ where, problem }));
    if (ex.path.startsWith('/services/oauth2/')) {
      // OAuth endpoints (not in the slice): error answers are {error, error_description} (OAuth 2.0, RFC 6749 §5.2).
      if (ex.status >= 400 && ex.path.endsWith('/token')) {
        const b = ex.responseBody as Json | undefined;
        if (typeof b?.['error'] !== 'string') add(['OAuth error answer without an error code']);
      }
      return out;
    }
    const rel = dataPath.exec(ex.path)?.[1];
    if (!rel) return [{ where, problem: 'not a REST data path' }];
    if (ex.status >= 400) {
      if (!ex.injected || Array.isArray(ex.responseBody)) add(checkEnvelope('ErrorResponse', ex.responseBody));
      return out;
    }
    const body = ex.responseBody;
    if (ex.method === 'GET' && rel === '/query') {
      add(soqlFindings(ex.query.get('q') ?? ''));
      add(queryAnswer(body));
    } else if (ex.method === 'GET' && /^\/query\/[\w-]+$/.test(rel)) {
      add(queryAnswer(body));
    } else if (ex.method === 'GET' && /^\/sobjects\/\w+\/deleted\/?$/.test(rel)) {
      add(getDeletedRequest(ex.query, now));
      add(checkEnvelope('GetDeletedResult', body));
      const b = body as {
        deletedRecords?: { deletedDate?: string }[];
        earliestDateAvailable?: string;
        latestDateCovered?: string;
      };
      for (const d of [
        b.earliestDateAvailable,
        b.latestDateCovered,
        ...(b.deletedRecords ?? []).map((r) => r.deletedDate),
      ])
        if (d !== undefined && !wireDateTime.test(d)) add([`getDeleted date '${d}' is not in the +0000 wire form`]);
    } else if (ex.method === 'GET' && /^\/sobjects\/\w+\/describe\/?$/.test(rel)) {
      const type = /^\/sobjects\/(\w+)/.exec(rel)![1]!;
      add(describeAnswer(type, body));
    } else if (rel === '/composite/sobjects' && (ex.method === 'POST' || ex.method === 'PATCH')) {
      add(collectionsRequest(ex.method, ex.requestBody));
      add(checkEnvelope('CollectionsResponse', body));
    } else if (rel === '/composite/sobjects' && ex.method === 'DELETE') {
      const ids = (ex.query.get('ids') ?? '').split(',').filter(Boolean);
      if (ids.length === 0 || ids.length > 200) add([`DELETE collections with ${ids.length} ids (1..200)`]);
      add(checkEnvelope('CollectionsResponse', body));
    } else if (ex.method === 'POST' && /^\/sobjects\/\w+$/.test(rel)) {
      const type = rel.split('/')[2]!;
      add(checkRecord(type, ex.requestBody as Json, 'request'));
      add(checkEnvelope('SaveResult', body));
    } else if (ex.method === 'PATCH' && /^\/sobjects\/\w+\/\w+$/.test(rel)) {
      const type = rel.split('/')[2]!;
      add(checkRecord(type, ex.requestBody as Json, 'request'));
      if (ex.status !== 204 || body !== undefined) add([`a PATCH answers 204 without a body, not ${ex.status}`]);
    } else {
      add([`no rule for this resource (the connector should not call it, or this contract lacks it)`]);
    }
    return out;
  }

  function queryAnswer(body: unknown): string[] {
    const out = checkEnvelope('QueryResult', body);
    const b = body as { records?: Json[]; done?: boolean; nextRecordsUrl?: string };
    if (b.done === false && !b.nextRecordsUrl) out.push('QueryResult: done false without nextRecordsUrl');
    if (b.nextRecordsUrl && !/^\/services\/data\/v\d+\.\d+\/query\/[\w-]+$/.test(b.nextRecordsUrl))
      out.push(`QueryResult: nextRecordsUrl '${b.nextRecordsUrl}' is not a query locator path`);
    for (const r of b.records ?? []) {
      const type = (r['attributes'] as { type?: string } | undefined)?.type ?? '';
      out.push(...checkRecord(type, r, 'response'));
    }
    return out;
  }

  function describeAnswer(type: string, body: unknown): string[] {
    const b = body as { name?: string; fields?: { name?: string; type?: string }[] };
    const out: string[] = [];
    if (b.name !== type) out.push(`describe of ${type} names '${String(b.name)}'`);
    if (!Array.isArray(b.fields)) return [...out, 'describe without fields[]'];
    // DescribeSObjectResult (REST API Developer Guide, sObject Describe): the access flags are booleans.
    for (const flag of ['queryable', 'createable', 'updateable', 'deletable'])
      if (flag in b && typeof (b as Record<string, unknown>)[flag] !== 'boolean')
        out.push(`describe of ${type}: ${flag} must be boolean`);
    const known = fields.get(type);
    for (const f of b.fields) {
      if (!f.name || /__c$/.test(f.name)) continue;
      const vendor = known?.get(f.name);
      if (!vendor) out.push(`describe of ${type} lists '${f.name}', which Salesforce does not document`);
      else if (vendor.type !== f.type) out.push(`describe of ${type}.${f.name}: type ${f.type}, vendor ${vendor.type}`);
    }
    return out;
  }

  function collectionsRequest(method: string, body: unknown): string[] {
    const v = validator('request', 'CollectionsRequest');
    const out = v && !v(body) ? errorsOf(v).map((e) => `CollectionsRequest: ${e}`) : [];
    const records = ((body as { records?: Json[] }).records ?? []) as Json[];
    let chunks = 0;
    let last = '';
    for (const r of records) {
      const type = (r['attributes'] as { type?: string } | undefined)?.type ?? '';
      if (type !== last) chunks++;
      last = type;
      const { attributes: _a, Id: id, ...rest } = r;
      if (method === 'PATCH' && typeof id !== 'string') out.push(`PATCH collections: record without Id`);
      if (method === 'POST' && id !== undefined) out.push(`POST collections: record with an Id`);
      out.push(...checkRecord(type, rest, 'request'));
    }
    if (chunks > 10) out.push(`sObject Collections: ${chunks} chunks of one object type (at most 10 per request)`);
    return out;
  }

  function getDeletedRequest(q: URLSearchParams, now: Date): string[] {
    const out: string[] = [];
    const start = q.get('start') ?? '';
    const end = q.get('end') ?? '';
    for (const [k, v] of [
      ['start', start],
      ['end', end],
    ] as const)
      if (!requestDateTime.test(v)) out.push(`getDeleted ${k}='${v}' is not an ISO 8601 dateTime`);
    const minute = (v: string) => Math.floor(Date.parse(v) / 60_000) * 60_000;
    if (!(minute(end) - minute(start) > 60_000))
      out.push(`getDeleted range ${start}..${end} does not exceed one minute (seconds are ignored)`);
    const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    if (Date.parse(start) < day - 15 * 86_400_000)
      out.push(`getDeleted start ${start} is more than 15 days before the day of the call`);
    return out;
  }

  return { check, checkRecord, checkEnvelope };
}

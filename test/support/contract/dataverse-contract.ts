/**
 * The Dataverse Web API contract: every exchange with the Dynamics double (each operation of a $batch too) held to
 * ../shared/schemas/dynamics/dataverse-entities-derived.json — entity sets, columns with their JSON types and
 * option-set values, lookups as `_x_value`, `@odata.bind` navigation names with their target sets, collection-valued
 * navigation for deep insert.
 *
 * The slice comes from one org's generated typings; where it and Microsoft's documentation disagree, the
 * documentation wins (each rule cites its page):
 * - `ownerid@odata.bind` on activities: the slice names the owner navigation `ownerid_<entity>`, a generator
 *   artefact; Web API samples bind `ownerid` (learn.microsoft.com/power-apps/developer/data-platform/webapi/
 *   create-entity-web-api#associate-table-rows-on-create).
 * - `activityparty` is read-only through the Web API: parties are written with the activity through its
 *   `<entity>_activity_parties` collection (learn.microsoft.com/power-apps/developer/data-platform/reference/
 *   entities/activityparty: "Only the GET method is supported"; .../activities-email#activity-parties).
 * - `lead` (Sales app only, not in the slice): leadid, fullname, emailaddress1 (…/reference/entities/lead).
 * - `usersettings` (set `usersettingscollection`): systemuserid, timezonecode, timezonebias
 *   (…/reference/entities/usersettings); function `UtcTimeFromLocalTime(TimeZoneCode, LocalTime)` → `{UtcTime}`
 *   (…/webapi/reference/utctimefromlocaltime).
 * - Date-times come back as `2024-01-01T10:00:00Z`, no fractional seconds (…/webapi/query-data-web-api examples;
 *   Edm.DateTimeOffset with second precision in Dataverse).
 * - Read-only on create/update: the primary key, createdon, modifiedon, versionnumber, lookups' `_x_value`.
 */
import type { DoubleExchange } from '../crm-doubles/http-double';
import { readSharedJson } from './shared-schemas';
import type { Finding } from './salesforce-contract';

interface Prop {
  jsonType: 'string' | 'number' | 'integer' | 'boolean';
  format?: string;
  options?: Record<string, number>;
}
interface Entity {
  entitySetName: string;
  primaryKey: string;
  properties: Record<string, Prop>;
  lookupProperties: string[];
  singleValuedNavigation: Record<string, string[]>;
  collectionValuedNavigation: string[];
}
type Json = Record<string, unknown>;

const documentedEntities: Record<string, Entity> = {
  lead: {
    entitySetName: 'leads',
    primaryKey: 'leadid',
    properties: {
      leadid: { jsonType: 'string' },
      fullname: { jsonType: 'string' },
      emailaddress1: { jsonType: 'string' },
      firstname: { jsonType: 'string' },
      lastname: { jsonType: 'string' },
    },
    lookupProperties: ['_ownerid_value'],
    singleValuedNavigation: {},
    collectionValuedNavigation: [],
  },
  usersettings: {
    entitySetName: 'usersettingscollection',
    primaryKey: 'systemuserid',
    properties: {
      systemuserid: { jsonType: 'string' },
      timezonecode: { jsonType: 'integer' },
      timezonebias: { jsonType: 'integer' },
    },
    lookupProperties: [],
    singleValuedNavigation: {},
    collectionValuedNavigation: [],
  },
};
const readOnlyColumns = ['createdon', 'modifiedon', 'versionnumber'];
const wireDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const requestDateTime = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const guid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const annotation =
  /^(.+)@(OData\.Community\.Display\.V1\.FormattedValue|Microsoft\.Dynamics\.CRM\.(lookuplogicalname|associatednavigationproperty))$/;

export interface DataverseContract {
  check(ex: DoubleExchange): Finding[];
  checkBody(entity: string, body: Json): string[];
  checkRow(entity: string, row: Json): string[];
  checkCollection(entity: string, body: unknown): string[];
}

export function loadDataverseContract(): DataverseContract | null {
  const slice = readSharedJson<{ entities: Record<string, Entity> }>('dynamics', 'dataverse-entities-derived.json');
  if (!slice) return null;
  const entities: Record<string, Entity> = { ...slice.entities, ...documentedEntities };
  const bySet = new Map(Object.entries(entities).map(([name, e]) => [e.entitySetName, name]));

  function value(entity: string, col: string, p: Prop, v: unknown, direction: 'request' | 'response'): string[] {
    if (v === null) return [];
    const t = typeof v;
    const ok =
      p.jsonType === 'integer'
        ? Number.isInteger(v)
        : p.jsonType === 'number'
          ? t === 'number'
          : p.jsonType === 'boolean'
            ? t === 'boolean'
            : t === 'string';
    if (!ok) return [`${entity}.${col}: ${JSON.stringify(v)} is not ${p.jsonType}`];
    if (p.options && !Object.values(p.options).includes(v as number))
      return [`${entity}.${col}: ${String(v)} is not an option of ${Object.keys(p.options).join('/')}`];
    if (p.format?.startsWith('date-time') && typeof v === 'string') {
      const re = direction === 'response' ? wireDateTime : requestDateTime;
      if (!re.test(v)) return [`${entity}.${col}: '${v}' is not a Dataverse ${direction} date-time`];
    }
    return [];
  }

  function checkBody(entity: string, body: Json): string[] {
    const e = entities[entity];
    if (!e) return [`entity ${entity} is not described`];
    const out: string[] = [];
    for (const [k, v] of Object.entries(body)) {
      const bind = /^(\w+)@odata\.bind$/.exec(k);
      if (bind) {
        const nav = bind[1]!;
        const targets =
          e.singleValuedNavigation[nav] ??
          (nav === 'ownerid' && e.singleValuedNavigation[`ownerid_${entity}`]
            ? e.singleValuedNavigation[`ownerid_${entity}`]
            : undefined);
        if (!targets) out.push(`${entity}: no single-valued navigation '${nav}'`);
        const m = new RegExp(`^/(\\w+)\\(${guid}\\)$`).exec(String(v));
        if (!m) out.push(`${entity}: ${k} = '${String(v)}' is not /<set>(<guid>)`);
        else if (targets && !targets.includes(m[1]!))
          out.push(`${entity}: ${nav} binds ${m[1]}, not ${targets.join('/')}`);
        continue;
      }
      if (e.collectionValuedNavigation.includes(k) || k === `${entity}_activity_parties`) {
        if (k !== `${entity}_activity_parties`) {
          out.push(`${entity}: deep insert through ${k} is not used by this connector`);
          continue;
        }
        if (!e.collectionValuedNavigation.includes(k)) out.push(`${entity}: no collection '${k}'`);
        if (!Array.isArray(v)) out.push(`${entity}.${k} is not an array`);
        else for (const party of v as Json[]) out.push(...checkBody('activityparty', party).map((p) => `${k}[]: ${p}`));
        continue;
      }
      const p = e.properties[k];
      if (!p) {
        out.push(
          `${entity}: no column '${k}'${e.lookupProperties.includes(`_${k}_value`) ? ' (bind the lookup)' : ''}`,
        );
        continue;
      }
      if (k === e.primaryKey || readOnlyColumns.includes(k)) out.push(`${entity}.${k} is read-only`);
      out.push(...value(entity, k, p, v, 'request'));
    }
    return out;
  }

  function checkRow(entity: string, row: Json): string[] {
    const e = entities[entity];
    if (!e) return [`entity ${entity} is not described`];
    const out: string[] = [];
    for (const [k, v] of Object.entries(row)) {
      if (k === '@odata.context') continue;
      if (k === '@odata.etag') {
        if (typeof v !== 'string' || !/^W\/"\d+"$/.test(v)) out.push(`${entity}: @odata.etag '${String(v)}'`);
        continue;
      }
      const a = annotation.exec(k);
      const col = a ? a[1]! : k;
      if (e.lookupProperties.includes(col)) {
        if (!a && v !== null && (typeof v !== 'string' || !new RegExp(`^${guid}$`).test(v)))
          out.push(`${entity}.${col}: '${String(v)}' is not a GUID`);
        continue;
      }
      const p = e.properties[col];
      if (!p) {
        out.push(`${entity}: no column '${col}'`);
        continue;
      }
      if (!a) out.push(...value(entity, col, p, v, 'response'));
    }
    return out;
  }

  function checkCollection(entity: string, body: unknown): string[] {
    const b = body as Json;
    const out: string[] = [];
    for (const k of Object.keys(b))
      if (!['@odata.context', 'value', '@odata.nextLink', '@odata.deltaLink'].includes(k))
        out.push(`collection: unexpected '${k}'`);
    if (typeof b['@odata.context'] !== 'string') out.push('collection without @odata.context');
    if (!Array.isArray(b['value'])) return [...out, 'collection without value[]'];
    if (b['@odata.nextLink'] !== undefined && b['@odata.deltaLink'] !== undefined)
      out.push('collection with both @odata.nextLink and @odata.deltaLink');
    for (const r of b['value'] as Json[]) {
      if (String(r['@odata.context'] ?? '').endsWith('/$deletedEntity')) {
        const keys = Object.keys(r).sort().join(',');
        if (keys !== '@odata.context,id,reason' || r['reason'] !== 'deleted')
          out.push(`$deletedEntity row with ${keys}`);
        continue;
      }
      out.push(...checkRow(entity, r));
    }
    return out;
  }

  function selectAndFilter(entity: string, q: URLSearchParams): string[] {
    const e = entities[entity]!;
    const known = (c: string) => Boolean(e.properties[c]) || e.lookupProperties.includes(c);
    const out: string[] = [];
    for (const c of (q.get('$select') ?? '').split(',').filter(Boolean))
      if (!known(c)) out.push(`$select ${entity}.${c}: no such column`);
    for (const m of (q.get('$filter') ?? '').matchAll(/(\w+) (eq|ne|gt|ge|lt|le) /g))
      if (!known(m[1]!)) out.push(`$filter ${entity}.${m[1]}: no such column`);
    return out;
  }

  function check(ex: DoubleExchange): Finding[] {
    const where = `${ex.method} ${ex.path}`;
    const out: Finding[] = [];
    const add = (problems: string[]) => problems.forEach((problem) => out.push({ where, problem }));
    if (/\/oauth2\/v2\.0\/token$/.test(ex.path)) return out;
    const rel = /^\/api\/data\/v9\.2\/(.*)$/.exec(ex.path)?.[1];
    if (rel === undefined) return [{ where, problem: 'not a Web API v9.2 path' }];
    if (ex.status >= 400) {
      const b = ex.responseBody as { error?: { code?: unknown; message?: unknown } } | string | undefined;
      const empty = b === undefined || b === '';
      if (
        !(ex.status === 401 && empty) &&
        (typeof b !== 'object' || typeof b.error?.code !== 'string' || typeof b.error?.message !== 'string')
      )
        add([`error ${ex.status} without {error:{code,message}}`]);
      if (ex.status === 429 && !ex.responseHeaders['retry-after']) add(['429 without Retry-After']);
      return out;
    }
    if (rel === '$batch') return out; // its operations are recorded one by one
    if (rel === 'WhoAmI') {
      const keys = Object.keys(ex.responseBody as Json)
        .filter((k) => k !== '@odata.context')
        .sort()
        .join(',');
      if (keys !== 'BusinessUnitId,OrganizationId,UserId') add([`WhoAmI answers ${keys}`]);
      return out;
    }
    if (/^UtcTimeFromLocalTime\(/.test(rel)) {
      const t = (ex.responseBody as Json)['UtcTime'];
      if (typeof t !== 'string' || !wireDateTime.test(t)) add([`UtcTimeFromLocalTime answers ${String(t)}`]);
      return out;
    }
    const m = new RegExp(`^(\\w+)(?:\\((${guid})\\))?$`).exec(rel);
    const entity = m ? bySet.get(m[1]!) : undefined;
    if (!m || !entity) return [{ where, problem: `no described entity set '${rel}'` }];
    const one = Boolean(m[2]);
    if (ex.method === 'GET') {
      add(selectAndFilter(entity, ex.query));
      add(one ? checkRow(entity, ex.responseBody as Json) : checkCollection(entity, ex.responseBody));
    } else if (ex.method === 'POST' || ex.method === 'PATCH') {
      if (entity === 'activityparty') add(['activityparty is read-only through the Web API (GET only)']);
      if (one === (ex.method === 'POST')) add([`${ex.method} on ${one ? 'a row' : 'a collection'}`]);
      add(checkBody(entity, (ex.requestBody ?? {}) as Json));
      if (ex.status === 201) add(checkRow(entity, ex.responseBody as Json));
      else if (ex.status !== 204) add([`${ex.method} answered ${ex.status}`]);
    } else add([`${ex.method} is not used`]);
    return out;
  }

  return { check, checkBody, checkRow, checkCollection };
}

/**
 * Contract checks against a vendor's OpenAPI 3.0 description, with Ajv: which operation a request is, whether its
 * path and query parameters, headers and body are what the operation declares, and whether an answer matches the
 * declared response for its status. The CRM doubles call it on every request they receive and every answer they
 * give, so neither the connector nor the double can drift from the vendor's own description.
 *
 * - Several files can form one API (HubSpot publishes one per object); each file gets its own Ajv instance
 *   because the files reuse component names.
 * - A literal path segment wins over a template (`/{module}/deleted` before `/{module}/{id}`).
 * - The server's base path (`/api/v2`, `/v1`) is taken from the operation's, the path's or the document's
 *   `servers`, so one double can serve several versions on one host.
 * - Query parameters the operation does not declare are errors: a misspelt parameter would be silently ignored by
 *   the vendor, which is exactly the drift this is here to catch.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

type Json = Record<string, unknown>;

/** Where ../shared is: `CRM_SHARED_DIR` (a worktree outside /work/main), else `<repo>/../shared`. */
export function sharedDir(): string {
  return process.env['CRM_SHARED_DIR'] ?? path.resolve(__dirname, '../../../../shared');
}

export function schemaFile(...parts: string[]): string {
  return path.join(sharedDir(), 'schemas', ...parts);
}

export interface ContractRequest {
  method: string;
  /** Path as received, with the server's base path (e.g. /api/v2/activities). */
  path: string;
  query: URLSearchParams;
  headers?: Record<string, string | string[] | undefined>;
  /** Parsed body (JSON object, or a form as a record), undefined when none. */
  body?: unknown;
  contentType?: string;
}

interface Operation {
  doc: number;
  method: string;
  template: string;
  basePath: string;
  regex: RegExp;
  literals: number;
  pointer: string;
  op: Json;
  pathItem: Json;
}

export interface OpenApiContract {
  /** The operation a request is (`POST /crm/v3/objects/meetings/search`), or null. */
  match(req: Pick<ContractRequest, 'method' | 'path'>): { template: string; method: string } | null;
  /** Problems with a request (empty when valid). */
  checkRequest(req: ContractRequest): string[];
  /** Problems with an answer to a request (empty when valid). */
  checkResponse(req: Pick<ContractRequest, 'method' | 'path'>, status: number, body: unknown): string[];
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function basePathOf(servers: unknown): string | null {
  const url = Array.isArray(servers) ? (servers[0] as { url?: string } | undefined)?.url : undefined;
  if (!url) return null;
  try {
    return new URL(url).pathname.replace(/\/+$/, '');
  } catch {
    return url.replace(/\/+$/, '');
  }
}

function coerce(value: string, schema: Json | undefined): unknown {
  const type = schema?.['type'];
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

/**
 * Strict objects: `allOf` of plain object schemas is merged into one, and every object schema that declares
 * properties gets `additionalProperties: false`. For descriptions (Pipedrive's) that declare every field but require
 * none, this is what makes a misspelt field name an error instead of an ignored extra.
 */
export function strictObjects(node: unknown, key = ''): unknown {
  if (Array.isArray(node)) return node.map((n) => strictObjects(n));
  if (!node || typeof node !== 'object' || key === 'example' || key === 'examples') return node;
  let out: Json = {};
  for (const [k, v] of Object.entries(node as Json))
    out[k] = k === 'properties' ? strictProps(v as Json) : strictObjects(v, k);
  const parts = out['allOf'];
  if (
    Array.isArray(parts) &&
    parts.every((p) => p && typeof p === 'object' && !('$ref' in p) && (p as Json)['properties'])
  ) {
    const merged: Json = { type: 'object', properties: {}, required: [] as string[] };
    for (const p of parts as Json[]) {
      Object.assign(merged['properties'] as Json, p['properties']);
      (merged['required'] as string[]).push(...((p['required'] as string[] | undefined) ?? []));
    }
    const { allOf: _drop, ...rest } = out;
    void _drop;
    out = { ...rest, ...merged };
  }
  if (out['properties'] && out['additionalProperties'] === undefined && (out['type'] === 'object' || !out['type'])) {
    out['additionalProperties'] = false;
    // A name required but not declared (Pipedrive's POST /persons requires "title") could never validate once
    // extras are refused: such a requirement is a defect of the description and is dropped.
    if (Array.isArray(out['required'])) {
      const declared = Object.keys(out['properties'] as Json);
      out['required'] = (out['required'] as string[]).filter((r) => declared.includes(r));
    }
  }
  return out;
}
function strictProps(props: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(props)) out[k] = strictObjects(v);
  return out;
}

/**
 * `oneOf` read as `anyOf`: Zoho's description offers alternatives that all match any object (a record wrapper and an
 * exception, neither with required fields), so "exactly one" can never hold; "at least one" is what it means.
 */
export function anyOfForOneOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(anyOfForOneOf);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) out[k === 'oneOf' ? 'anyOf' : k] = anyOfForOneOf(v);
  return out;
}

export interface OpenApiOptions {
  strict?: boolean;
  oneOfAsAnyOf?: boolean;
}

export function loadOpenApi(files: string[], options: OpenApiOptions = {}): OpenApiContract {
  const operations: Operation[] = [];
  const ajvs: Ajv[] = [];
  const cache = new Map<string, ValidateFunction>();
  files.forEach((file, doc) => {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
    const loosened = options.oneOfAsAnyOf ? anyOfForOneOf(parsed) : parsed;
    const definition = (options.strict ? strictObjects(loosened) : loosened) as Json;
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormats(ajv);
    ajv.addSchema({ ...definition, $id: `doc${doc}` });
    ajvs.push(ajv);
    const docBase = basePathOf(definition['servers']) ?? '';
    for (const [template, pathItem] of Object.entries((definition['paths'] ?? {}) as Record<string, Json>)) {
      for (const [method, op] of Object.entries(pathItem)) {
        if (!['get', 'put', 'post', 'patch', 'delete'].includes(method)) continue;
        const o = op as Json;
        const basePath = basePathOf(o['servers']) ?? basePathOf(pathItem['servers']) ?? docBase;
        const segments = template.split('/').filter(Boolean);
        const regex = new RegExp(
          `^${segments.map((s) => `/${/^\{.+\}$/.test(s) ? '([^/]+)' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).join('')}/?$`,
        );
        operations.push({
          doc,
          method: method.toUpperCase(),
          template,
          basePath,
          regex,
          literals: segments.filter((s) => !/^\{.+\}$/.test(s)).length,
          pointer: `#/paths/${escapePointer(template)}/${method}`,
          op: o,
          pathItem,
        });
      }
    }
  });

  const validator = (op: Operation, pointer: string): ValidateFunction => {
    const key = `${op.doc}${pointer}`;
    let v = cache.get(key);
    if (!v) {
      v = ajvs[op.doc]!.compile({ $ref: `doc${op.doc}${pointer}` });
      cache.set(key, v);
    }
    return v;
  };
  const errorsOf = (v: ValidateFunction, where: string): string[] =>
    (v.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message ?? 'invalid'}${paramsText(e.params)}`);

  /**
   * The operations a request can be, best first: most literal segments win. Several can tie (Pipedrive describes
   * its one token endpoint twice, as `/oauth/token` for the code and `/oauth/token/` for the refresh grant): a
   * request or answer is valid when it is valid for one of them.
   */
  function findAll(method: string, fullPath: string): { op: Operation; params: string[] }[] {
    const found: { op: Operation; params: string[] }[] = [];
    for (const op of operations) {
      if (op.method !== method.toUpperCase()) continue;
      if (op.basePath && !fullPath.startsWith(`${op.basePath}/`)) continue;
      const m = op.regex.exec(fullPath.slice(op.basePath.length));
      if (m) found.push({ op, params: m.slice(1).map(decodeURIComponent) });
    }
    const most = Math.max(...found.map((f) => f.op.literals));
    return found.filter((f) => f.op.literals === most);
  }
  function find(method: string, fullPath: string): { op: Operation; params: string[] } | null {
    return findAll(method, fullPath)[0] ?? null;
  }
  function firstValid(candidates: number, check: (i: number) => string[]): string[] {
    let first: string[] = [];
    for (let i = 0; i < candidates; i++) {
      const problems = check(i);
      if (problems.length === 0) return [];
      if (i === 0) first = problems;
    }
    return first;
  }

  /** The operation's parameters (path-level first), each with the JSON pointer of its schema. */
  function parametersOf(op: Operation): { p: Json; schemaPointer: string }[] {
    const root = ajvs[op.doc]!.getSchema(`doc${op.doc}`)?.schema as Json;
    const at = (ref: string): Json => {
      let node: unknown = root;
      for (const part of ref.replace(/^#\//, '').split('/'))
        node = (node as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      return (node ?? {}) as Json;
    };
    const pathPointer = `#/paths/${escapePointer(op.template)}/parameters`;
    const list = (items: unknown, base: string) =>
      ((items ?? []) as Json[]).map((p, i) => {
        const ref = p['$ref'];
        return typeof ref === 'string'
          ? { p: at(ref), schemaPointer: `${ref}/schema` }
          : { p, schemaPointer: `${base}/${i}/schema` };
      });
    return [...list(op.pathItem['parameters'], pathPointer), ...list(op.op['parameters'], `${op.pointer}/parameters`)];
  }

  return {
    match(req) {
      const found = find(req.method, req.path);
      return found ? { template: found.op.template, method: found.op.method } : null;
    },

    checkRequest(req) {
      const all = findAll(req.method, req.path);
      if (!all.length) return [`${req.method} ${req.path}: no such operation in the description`];
      return firstValid(all.length, (i) => checkRequestFor(all[i]!, req));
    },

    checkResponse(req, status, body) {
      const all = findAll(req.method, req.path);
      if (!all.length) return [`${req.method} ${req.path}: no such operation in the description`];
      return firstValid(all.length, (i) => checkResponseFor(all[i]!.op, status, body));
    },
  };

  function checkRequestFor(found: { op: Operation; params: string[] }, req: ContractRequest): string[] {
    const { op } = found;
    const problems: string[] = [];
    const params = parametersOf(op);
    const pathNames = [...op.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const seenQuery = new Set<string>();
    params.forEach(({ p, schemaPointer }) => {
      const name = String(p['name']);
      const where = String(p['in']);
      const schema = p['schema'] as Json | undefined;
      let value: unknown;
      if (where === 'path') {
        const i = pathNames.indexOf(name);
        value = i >= 0 ? coerce(found.params[i] ?? '', schema) : undefined;
      } else if (where === 'query') {
        seenQuery.add(name);
        const all = req.query.getAll(name);
        if (all.length === 0) value = undefined;
        else if (schema?.['type'] === 'array') {
          const items = all.length === 1 ? all[0]!.split(',') : all;
          value = items.map((x) => coerce(x, schema['items'] as Json | undefined));
        } else value = all.length === 1 ? coerce(all[0]!, schema) : all;
      } else if (where === 'header') {
        const h = req.headers?.[name.toLowerCase()];
        value = Array.isArray(h) ? h[0] : h;
      } else return;
      if (value === undefined) {
        if (p['required'] === true) problems.push(`${where} parameter ${name} is required`);
        return;
      }
      if (schema) {
        const v = validator(op, schemaPointer);
        if (!v(value)) problems.push(...errorsOf(v, `${where} parameter ${name}`));
      }
    });
    for (const name of new Set(req.query.keys())) {
      if (!seenQuery.has(name)) problems.push(`query parameter ${name} is not declared by ${op.method} ${op.template}`);
    }
    const requestBody = op.op['requestBody'] as Json | undefined;
    const hasBody = req.body !== undefined && req.body !== '' && req.body !== null;
    if (!requestBody) {
      if (hasBody) problems.push(`${op.method} ${op.template} takes no request body`);
      return problems;
    }
    if (!hasBody) {
      if (requestBody['required'] === true) problems.push('a request body is required');
      return problems;
    }
    const content = (requestBody['content'] ?? {}) as Record<string, Json>;
    const type = (req.contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
    const mediaType = content[type] ? type : content['*/*'] ? '*/*' : null;
    if (!mediaType) {
      problems.push(`content type ${type} is not one of ${Object.keys(content).join(', ')}`);
      return problems;
    }
    if (!content[mediaType]!['schema']) return problems;
    const v = validator(op, `${op.pointer}/requestBody/content/${escapePointer(mediaType)}/schema`);
    if (!v(req.body)) problems.push(...errorsOf(v, 'body'));
    return problems;
  }

  function checkResponseFor(op: Operation, status: number, body: unknown): string[] {
    const responses = (op.op['responses'] ?? {}) as Record<string, Json>;
    const key = responses[String(status)]
      ? String(status)
      : responses[`${String(status)[0]}XX`]
        ? `${String(status)[0]}XX`
        : responses['default']
          ? 'default'
          : null;
    // Pipedrive describes only its 200 answers: an error status the description does not mention is not checked.
    // An empty 204 / 304 (Zoho: no records, not modified) is HTTP, not a described body.
    if (!key && (status === 204 || status === 304) && (body === undefined || body === '')) return [];
    if (!key) return status >= 400 ? [] : [`${op.method} ${op.template} declares no ${status} response`];
    let response: Json = responses[key]!;
    let pointer = `${op.pointer}/responses/${key}`;
    const ref = response['$ref'];
    if (typeof ref === 'string') {
      pointer = ref;
      const doc = ajvs[op.doc]!.getSchema(`doc${op.doc}`)?.schema as Json;
      let node: unknown = doc;
      for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Json)[part];
      response = node as Json;
    }
    const content = response['content'] as Record<string, Json> | undefined;
    if (!content || Object.keys(content).length === 0) {
      return body === undefined || body === '' || body === null
        ? []
        : [`${op.method} ${op.template} ${key} has no body, but one was sent`];
    }
    const mediaType = content['application/json'] ? 'application/json' : Object.keys(content)[0]!;
    if (!content[mediaType]!['schema']) return [];
    const v = validator(op, `${pointer}/content/${escapePointer(mediaType)}/schema`);
    return v(body) ? [] : errorsOf(v, `response ${status}`);
  }
}

function paramsText(params: unknown): string {
  if (!params || typeof params !== 'object') return '';
  const p = params as Record<string, unknown>;
  const extra = p['additionalProperty'] ?? p['missingProperty'] ?? p['allowedValues'];
  return extra === undefined ? '' : ` (${JSON.stringify(extra)})`;
}

/**
 * What a double does with its contract: every request it receives and every answer it gives is checked; the
 * problems are collected (a double must still answer) and a test asserts there were none.
 */
export class ContractRecorder {
  readonly violations: string[] = [];
  constructor(readonly contract: OpenApiContract | null) {}

  request(req: ContractRequest): void {
    if (!this.contract) return;
    for (const p of this.contract.checkRequest(req)) this.violations.push(`request ${req.method} ${req.path}: ${p}`);
  }

  response(req: Pick<ContractRequest, 'method' | 'path'>, status: number, body: unknown): void {
    if (!this.contract) return;
    for (const p of this.contract.checkResponse(req, status, body))
      this.violations.push(`answer to ${req.method} ${req.path}: ${p}`);
  }
}

/** Loads the files when ../shared is present; null (and the tests say they skipped) when it is not. */
export function loadContractIfPresent(files: string[], options: OpenApiOptions = {}): OpenApiContract | null {
  return files.every((f) => fs.existsSync(f)) ? loadOpenApi(files, options) : null;
}

/**
 * Holds the SuiteCRM double to the real thing: every request/response pair captured from a real SuiteCRM 7.14.6
 * (../shared/peers/suitecrm/transcripts) is replayed, in order, through the double, which must answer with the same
 * status and the same shapes: top-level keys, meta and links keys, error fields and detail (ids aside), record
 * types, attribute names (the double knows a subset of SuiteCRM's) and their formats. Record ids differ between the
 * two: each id a create answered is mapped to the double's for the requests that follow.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startSuiteCrmDouble, type SuiteCrmDouble } from '../../../support/crm-doubles/suitecrm';
import { sharedDir } from '../../../support/suitecrm-peer';

const dir = path.join(sharedDir(), 'peers/suitecrm/transcripts');
const present = fs.existsSync(dir);
if (!present) test.skip('skipped: ../shared/peers/suitecrm/transcripts not present', () => undefined);

interface Transcript {
  name: string;
  request: { method: string; url: string; headers: Record<string, string>; body?: unknown };
  response: { status: number; body: unknown };
}

const secrets: Record<string, string> = {
  adminPassword: 'AdminPass123',
  passwordClientSecret: 'password-client-secret',
  credentialsClientSecret: 'credentials-client-secret',
  wrongPassword: 'Not-The-Password-1',
  wrongClientSecret: 'not-the-secret',
  limitedUserPassword: 'User-Pass-123',
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const masked = (v: unknown) =>
  String(v)
    .replace(uuid, '<id>')
    .replace(/\{\{\w+\}\}|Not-The-Password-1/g, '<secret>');
/** The format of an attribute value: what a connector parsing it relies on. */
const format = (v: unknown): string =>
  typeof v !== 'string'
    ? typeof v
    : v === ''
      ? 'empty'
      : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/.test(v)
        ? 'iso-utc'
        : /^-?\d+$/.test(v)
          ? 'integer-string'
          : 'string';

/** Differences between SuiteCRM's answer and the double's, as readable lines (empty: they agree). */
function compare(real: unknown, double: unknown, where: string, out: string[]): void {
  if (!isObject(real) || !isObject(double)) {
    if (isObject(real) !== isObject(double)) out.push(`${where}: ${JSON.stringify(double)?.slice(0, 80)} ≠ object`);
    return;
  }
  const keys = (o: Record<string, Json>) => Object.keys(o).sort().join(',');
  for (const part of ['meta', 'links', 'errors'] as const) {
    if (isObject(real[part]) || isObject(double[part])) {
      if (!isObject(real[part]) || !isObject(double[part]) || keys(real[part]) !== keys(double[part]))
        out.push(
          `${where}.${part}: keys ${JSON.stringify(double[part])?.slice(0, 120)} ≠ ${JSON.stringify(real[part])?.slice(0, 120)}`,
        );
    }
  }
  if (where === 'body' && keys(real) !== keys(double)) out.push(`body keys ${keys(double)} ≠ ${keys(real)}`);
  for (const k of ['error', 'error_description', 'message'] as const) {
    if (typeof real[k] === 'string' && masked(real[k]) !== masked(double[k]))
      out.push(`${where}.${k}: "${masked(double[k])}" ≠ "${masked(real[k])}"`);
  }
  const re = real['errors'];
  const de = double['errors'];
  if (isObject(re) && isObject(de)) {
    if (re['status'] !== de['status']) out.push(`errors.status ${String(de['status'])} ≠ ${String(re['status'])}`);
    if (masked(re['detail']) !== masked(de['detail']))
      out.push(`errors.detail "${masked(de['detail'])}" ≠ "${masked(re['detail'])}"`);
  }
  if (isObject(real['meta']) && typeof real['meta']['message'] === 'string') {
    const dm = isObject(double['meta']) ? double['meta']['message'] : undefined;
    if (masked(real['meta']['message']) !== masked(dm))
      out.push(`meta.message "${masked(dm)}" ≠ "${masked(real['meta']['message'])}"`);
  }
  const rd = real['data'];
  const dd = double['data'];
  const records = (d: Json | undefined) => (Array.isArray(d) ? d : d === undefined || d === null ? [] : [d]);
  if (Array.isArray(rd) !== Array.isArray(dd) && rd !== undefined) out.push(`data: array ≠ object`);
  const rr = records(rd);
  const dr = records(dd);
  if (rr.length !== dr.length) out.push(`data: ${dr.length} records ≠ ${rr.length}`);
  rr.forEach((r, i) => {
    const d = dr[i];
    if (!isObject(r) || !isObject(d)) return;
    if (r['type'] !== d['type']) out.push(`data[${i}].type ${String(d['type'])} ≠ ${String(r['type'])}`);
    const ra = isObject(r['attributes']) ? r['attributes'] : {};
    const da = isObject(d['attributes']) ? d['attributes'] : {};
    for (const [name, value] of Object.entries(da)) {
      if (!(name in ra)) out.push(`data[${i}].attributes.${name}: SuiteCRM has no such attribute`);
      else if (format(value) !== format(ra[name]) && !(format(ra[name]) === 'empty' || format(value) === 'empty'))
        out.push(
          `data[${i}].attributes.${name}: ${format(value)} (${String(value)}) ≠ ${format(ra[name])} (${String(ra[name])})`,
        );
    }
    // What a connector reads must be there: the attributes SuiteCRM sends that the double knows and sends too.
    if ('set_accept_links' in ra !== 'set_accept_links' in da)
      out.push(
        `data[${i}].attributes.set_accept_links: present ${'set_accept_links' in da} ≠ ${'set_accept_links' in ra}`,
      );
  });
}

(present ? describe : describe.skip)('the SuiteCRM double answers as SuiteCRM 7.14.6 did (transcripts)', () => {
  let crm: SuiteCrmDouble;
  const transcripts: Transcript[] = present
    ? fs
        .readdirSync(dir)
        .filter((f) => /^\d+-.*\.json$/.test(f))
        .sort()
        .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Transcript)
    : [];
  const ids = new Map<string, string>(); // SuiteCRM's record id → the double's
  let accessToken = '';

  beforeAll(async () => {
    crm = await startSuiteCrmDouble({
      users: [
        { userName: 'admin', password: secrets['adminPassword']!, id: '1', email: null },
        { userName: 'limited', password: secrets['limitedUserPassword']!, denied: ['Meetings'] },
      ],
      clients: [
        {
          id: '11111111-1111-4111-8111-111111111111',
          secret: secrets['passwordClientSecret']!,
          grants: ['password', 'refresh_token'],
        },
        {
          id: '22222222-2222-4222-8222-222222222222',
          secret: secrets['credentialsClientSecret']!,
          grants: ['client_credentials'],
          userId: '1',
        },
      ],
    });
  });
  afterAll(() => crm?.close());

  const fill = (text: string) =>
    text
      .replace(/\{\{baseUrl\}\}/g, crm.url)
      .replace(/\{\{accessToken\}\}/g, accessToken)
      .replace(/\{\{(\w+)\}\}/g, (m, k: string) => secrets[k] ?? m)
      .replace(uuid, (id) => ids.get(id) ?? id);

  test.each(transcripts.map((t) => [t.name, t] as const))('%s', async (_name, t) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.request.headers)) headers[k.toLowerCase()] = fill(v);
    const body =
      t.request.body === undefined || t.request.body === null ? undefined : fill(JSON.stringify(t.request.body));
    const res = await fetch(fill(t.request.url), { method: t.request.method, headers, ...(body ? { body } : {}) });
    const text = await res.text();
    const answer = text ? (JSON.parse(text) as unknown) : null;
    // Tokens are the double's own from here on (the next requests carry them).
    if (isObject(answer) && typeof answer['access_token'] === 'string') accessToken = answer['access_token'];
    // A create: SuiteCRM's new id stands for the double's in later requests.
    const realData = isObject(t.response.body) ? t.response.body['data'] : undefined;
    const doubleData = isObject(answer) ? answer['data'] : undefined;
    if (t.response.status === 201 && isObject(realData) && isObject(doubleData) && t.request.method === 'POST') {
      ids.set(String(realData['id']), String(doubleData['id']));
    }
    const diffs: string[] = [];
    if (res.status !== t.response.status) diffs.push(`status ${res.status} ≠ ${t.response.status}`);
    compare(t.response.body, answer, 'body', diffs);
    expect(diffs).toEqual([]);
  });
});

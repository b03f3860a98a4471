/**
 * WebDAV multistatus parsing that tolerates what servers vary in: namespace prefixes (D:, d:, default
 * namespace, none), single vs repeated elements, absolute vs relative hrefs, quoted etags.
 */
import { XMLParser } from 'fast-xml-parser';

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
});

export type XmlNode = Record<string, unknown>;

export interface DavPropstat {
  status: number;
  prop: XmlNode;
}

export interface DavResponse {
  /** Path of the resource (absolute hrefs are reduced to their path). */
  href: string;
  /** Status of the response itself (404 for a removed member in sync-collection), else 200. */
  status: number;
  propstats: DavPropstat[];
}

export interface Multistatus {
  responses: DavResponse[];
  syncToken: string | null;
}

export function asArray<T>(v: T | T[] | undefined | null): T[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** Text content of a node that may be a string, a {#text} object or absent. */
export function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v && typeof v === 'object' && '#text' in v) return textOf((v as XmlNode)['#text']);
  return '';
}

function statusCode(v: unknown): number {
  const m = /\s(\d{3})(\s|$)/.exec(` ${textOf(v).trim()} `);
  return m ? Number(m[1]) : 200;
}

/**
 * One spelling per path: servers differ in what they percent-encode (Radicale sends "%40" for "@", others send
 * "@"), and ids are compared as strings, so every segment is decoded and re-encoded the same way.
 */
export function canonicalPath(path: string): string {
  return path
    .split('/')
    .map((segment) => {
      let decoded = segment;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        // A stray "%" is taken literally.
      }
      return encodeURIComponent(decoded);
    })
    .join('/');
}

export function hrefPath(href: string, base: string): string {
  return canonicalPath(new URL(href.trim(), base).pathname);
}

export function parseXml(xml: string): XmlNode {
  return parser.parse(xml) as XmlNode;
}

export function parseMultistatus(xml: string, base: string): Multistatus {
  const doc = parseXml(xml);
  const ms = doc.multistatus as XmlNode | undefined;
  if (!ms || typeof ms !== 'object') return { responses: [], syncToken: null };
  const responses: DavResponse[] = [];
  for (const r of asArray(ms.response as XmlNode | XmlNode[])) {
    const href = textOf(asArray(r.href)[0]);
    if (!href) continue;
    const propstats = asArray(r.propstat as XmlNode | XmlNode[]).map((ps) => ({
      status: statusCode(ps.status),
      prop: ps.prop && typeof ps.prop === 'object' ? (ps.prop as XmlNode) : {},
    }));
    responses.push({
      href: hrefPath(href, base),
      status: r.status !== undefined ? statusCode(r.status) : 200,
      propstats,
    });
  }
  const token = textOf(ms['sync-token']).trim();
  return { responses, syncToken: token || null };
}

/** A property's value from the 2xx propstats of a response (undefined when absent or in a 404 propstat). */
export function prop(r: DavResponse, name: string): unknown {
  for (const ps of r.propstats) {
    if (ps.status >= 200 && ps.status < 300 && name in ps.prop) return ps.prop[name];
  }
  return undefined;
}

export function propText(r: DavResponse, name: string): string {
  return textOf(prop(r, name)).trim();
}

/** hrefs inside a property such as current-user-principal or calendar-home-set. */
export function propHrefs(r: DavResponse, name: string): string[] {
  const v = prop(r, name);
  if (!v || typeof v !== 'object') return [];
  return asArray((v as XmlNode).href)
    .map((h) => textOf(h).trim())
    .filter(Boolean);
}

/** Child element names of a property (resourcetype → ['collection', 'calendar']). */
export function propChildNames(r: DavResponse, name: string): string[] {
  const v = prop(r, name);
  if (!v || typeof v !== 'object') return [];
  return Object.keys(v).filter((k) => !k.startsWith('@') && k !== '#text');
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

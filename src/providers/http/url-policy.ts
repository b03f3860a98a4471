import dns from 'node:dns/promises';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * SSRF protection for user-supplied URLs (custom CRM URL, CalDAV URL; SPEC §9): https only, and no loopback,
 * private, link-local or otherwise non-public address — checked after DNS resolution — unless the admin
 * allow-list (ALLOWED_PRIVATE_HOSTS, `host` or `host:port`) names the host. An allow-listed host may also use
 * plain http: self-hosted servers on a LAN (Radicale, SuiteCRM) often have no certificate.
 */
export interface UrlPolicy {
  allowedPrivateHosts: readonly string[];
}

export type UnsafeUrlReason = 'malformed' | 'scheme' | 'credentials' | 'private-address' | 'unresolvable';

export class UnsafeUrlError extends Error {
  readonly reason: UnsafeUrlReason;
  constructor(reason: UnsafeUrlReason, message: string) {
    super(message);
    this.name = 'UnsafeUrlError';
    this.reason = reason;
  }
}

/** Ranges ipaddr.js names that are not the public internet. */
const blockedRanges = new Set([
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'loopback',
  'carrierGradeNat',
  'private',
  'reserved',
  'uniqueLocal',
  'ipv4Mapped',
  'rfc6145',
  'rfc6052',
  '6to4',
  'teredo',
  'benchmarking',
  'amt',
  'as112',
  'as112v6',
  'deprecated',
  'orchid2',
  'droneRemoteIdProtocolEntityTags',
]);

export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return !blockedRanges.has(parsed.range());
}

function defaultPort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

export function isAllowListed(url: URL, policy: UrlPolicy): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = defaultPort(url);
  return policy.allowedPrivateHosts.some((entry) => {
    const e = entry.toLowerCase();
    return e === host || e === `${host}:${port}` || e === `[${host}]:${port}`;
  });
}

/** Parses and checks the URL's form (no DNS). Throws UnsafeUrlError naming what is wrong. */
export function checkUrlForm(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeUrlError('malformed', `"${raw}" is not a valid URL`);
  }
  if (url.username || url.password) {
    throw new UnsafeUrlError('credentials', 'the URL must not contain a user name or password');
  }
  const allowListed = isAllowListed(url, policy);
  if (url.protocol === 'http:' && !allowListed && isLocalHost(url)) {
    // http to a private or loopback host: what is wrong is the host, which https would not fix.
    throw new UnsafeUrlError('private-address', notAllowed(url.hostname.replace(/^\[|\]$/g, '')));
  }
  if (url.protocol !== 'https:' && !(allowListed && url.protocol === 'http:')) {
    throw new UnsafeUrlError('scheme', `the URL must start with https:// (got ${url.protocol}//)`);
  }
  return url;
}

/** A host that is, on its face (no DNS), loopback, private or link-local: localhost or such an IP literal. */
function isLocalHost(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return net.isIP(host) !== 0 && !isPublicAddress(host);
}

function notAllowed(host: string, address?: string): string {
  return `the host ${host}${address && address !== host ? ` resolves to a private or local address (${address}) and` : ' is a private or local address and'} is not allowed; an admin can allow it with ALLOWED_PRIVATE_HOSTS`;
}

export type Lookup = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemLookup: Lookup = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/**
 * Checks the URL's form and every address its host resolves to. The connection itself is checked again at
 * connect time by the safe fetch (a DNS answer can change between this check and the request).
 */
export async function assertSafeUrl(raw: string, policy: UrlPolicy, lookup: Lookup = systemLookup): Promise<URL> {
  let url: URL;
  try {
    url = checkUrlForm(raw, policy);
  } catch (e) {
    // http to a name that resolves to a private address: say the host is not allowed (https would not help).
    if (!(e instanceof UnsafeUrlError) || e.reason !== 'scheme' || !raw.trim().toLowerCase().startsWith('http:'))
      throw e;
    const host = new URL(raw).hostname;
    const blocked = (await lookup(host).catch(() => [])).map((a) => a.address).find((a) => !isPublicAddress(a));
    if (blocked) throw new UnsafeUrlError('private-address', notAllowed(host, blocked));
    throw e;
  }
  if (isAllowListed(url, policy)) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (net.isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host)).map((a) => a.address);
    } catch {
      throw new UnsafeUrlError('unresolvable', `the host ${host} could not be found`);
    }
  }
  if (addresses.length === 0) throw new UnsafeUrlError('unresolvable', `the host ${host} could not be found`);
  const blocked = addresses.find((a) => !isPublicAddress(a));
  if (blocked) {
    throw new UnsafeUrlError('private-address', notAllowed(host, blocked));
  }
  return url;
}

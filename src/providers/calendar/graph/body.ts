import type { Person } from '../../../sync/model';

/**
 * The connector's decorations in an event body (SPEC §5): the deep link back to the CRM record and, in the
 * *never* invitation mode, the invitee block that stands in for attendees. Both live after one marker line so that
 * reading can cut them off and the engine sees only what the user wrote.
 */
export const decorationMarker = '-- CRM Calendar Connector --';
const inviteesHeading = 'Invitees (not invited by the connector):';
const linkLabel = 'Open in CRM:';

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function safeHref(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : null;
  } catch {
    return null;
  }
}

function paragraphs(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, '<br>');
}

export function formatPerson(p: Person): string {
  return p.name ? `${p.name} <${p.email}>` : p.email;
}

/** Renders the HTML body Graph stores: the user's text, then our marked block (invitees, deep link). */
export function renderBody(p: { text: string; crmUrl: string | null; invitees: Person[] }): string {
  const parts = [`<div>${paragraphs(p.text)}</div>`];
  const block: string[] = [];
  if (p.invitees.length) {
    block.push(`<p>${escapeHtml(inviteesHeading)}</p>`);
    block.push(`<ul>${p.invitees.map((i) => `<li>${escapeHtml(formatPerson(i))}</li>`).join('')}</ul>`);
  }
  const href = p.crmUrl ? safeHref(p.crmUrl) : null;
  if (href) {
    block.push(`<p>${escapeHtml(linkLabel)} <a href="${escapeHtml(href)}">${escapeHtml(href)}</a></p>`);
  }
  if (block.length) parts.push(`<div><p>${escapeHtml(decorationMarker)}</p>${block.join('')}</div>`);
  return `<html><body>${parts.join('')}</body></html>`;
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ', apos: "'" };

/** HTML → plain text, for bodies Graph returns as HTML despite the text preference (create/update answers). */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|tr|h[1-6])>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (m, name: string) => {
      const n = name.toLowerCase();
      if (n.startsWith('#x')) return String.fromCodePoint(parseInt(n.slice(2), 16));
      if (n.startsWith('#') && n !== '#39') return String.fromCodePoint(parseInt(n.slice(1), 10));
      return entities[n] ?? m;
    })
    .replace(/\r\n/g, '\n');
}

export interface ParsedBody {
  /** What the user wrote, without our block. */
  text: string;
  /** People listed in our invitee block (never-mode stand-ins for attendees). */
  invitees: Person[];
}

function parsePerson(line: string): Person | null {
  const cleaned = line.replace(/^[\s•*·-]+/, '').trim();
  const m = /^(.*?)\s*<([^<>\s]+@[^<>\s]+)>$/.exec(cleaned);
  if (m) return { email: m[2]!.toLowerCase(), ...(m[1] ? { name: m[1] } : {}) };
  if (/^[^\s@<>]+@[^\s@<>]+$/.test(cleaned)) return { email: cleaned.toLowerCase() };
  return null;
}

/** Splits a plain-text body into the user's part and our decorations. */
export function parseBody(text: string): ParsedBody {
  const normalised = text.replace(/\r\n/g, '\n');
  const at = normalised.indexOf(decorationMarker);
  if (at < 0) return { text: normalised.trim(), invitees: [] };
  const user = normalised.slice(0, at).trim();
  const lines = normalised
    .slice(at + decorationMarker.length)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const invitees: Person[] = [];
  let inInvitees = false;
  for (const line of lines) {
    if (line === inviteesHeading) inInvitees = true;
    else if (line.startsWith(linkLabel)) inInvitees = false;
    else if (inInvitees) {
      const p = parsePerson(line);
      if (p) invitees.push(p);
    }
  }
  return { text: user, invitees };
}

import type { ItemBody } from '@microsoft/microsoft-graph-types';
import type { Person } from '../../../sync/model';
import {
  blockStart,
  elementRegion,
  escapeHtml,
  findHtmlBlock,
  htmlBlock,
  setHtmlBlock,
  setTextBlock,
  splitTextBody,
} from '../../../shared/body-block';

export { escapeHtml };

/**
 * The connector's decorations in an event body (SPEC §5): the deep link back to the CRM record and, in the
 * *never* invitation mode, the invitee block that stands in for attendees. Both live in one marked block
 * (src/shared/body-block.ts) so that reading can cut it off and writing can replace just that block.
 */
export const decorationMarker = blockStart;
const inviteesHeading = 'Invitees (not invited by the connector):';
const linkLabel = 'Open in CRM:';
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

/** The connector's block as HTML fragments (invitees, deep link), or null when there is nothing to show. */
export function blockHtml(p: { crmUrl: string | null; invitees: Person[] }): string | null {
  const inner: string[] = [];
  if (p.invitees.length) {
    inner.push(`<p>${escapeHtml(inviteesHeading)}</p>`);
    inner.push(`<ul>${p.invitees.map((i) => `<li>${escapeHtml(formatPerson(i))}</li>`).join('')}</ul>`);
  }
  const href = p.crmUrl ? safeHref(p.crmUrl) : null;
  if (href) inner.push(`<p>${escapeHtml(linkLabel)} <a href="${escapeHtml(href)}">${escapeHtml(href)}</a></p>`);
  return inner.length ? htmlBlock(inner) : null;
}

/** The connector's block as plain-text lines (for events whose body is text). */
export function blockLines(p: { crmUrl: string | null; invitees: Person[] }): string[] {
  const lines: string[] = [];
  if (p.invitees.length) lines.push(inviteesHeading, ...p.invitees.map((i) => `• ${formatPerson(i)}`));
  const href = p.crmUrl ? safeHref(p.crmUrl) : null;
  if (href) lines.push(`${linkLabel} ${href}`);
  return lines;
}

/** Renders the HTML body of a new event: the user's text, then our marked block (invitees, deep link). */
export function renderBody(p: { text: string; crmUrl: string | null; invitees: Person[] }): string {
  return `<html><body><div>${paragraphs(p.text)}</div>${blockHtml(p) ?? ''}</body></html>`;
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

/** A line Teams (and Skype) draw above and below the join information: a long run of underscores. */
const ruleRe = /_{30,}/g;

/**
 * The online-meeting blob in a body (text or HTML): from the first underscore rule to the last (or to the end of the
 * body when Teams drew only one). Graph's update docs ask to keep this blob when changing the body of an online
 * meeting (api-reference/v1.0/api/event-update.md, "body property and online meetings"). Null when there is none.
 */
export function findMeetingBlob(body: string, kind: 'text' | 'html'): { start: number; end: number } | null {
  const rules = [...body.matchAll(ruleRe)];
  if (rules.length === 0) return null;
  const first = rules[0]!;
  const last = rules[rules.length - 1]!;
  const lastEnd = last.index + last[0].length;
  if (kind === 'text') {
    const start = body.lastIndexOf('\n', first.index) + 1;
    if (rules.length === 1) return { start, end: body.length };
    const nl = body.indexOf('\n', lastEnd);
    return { start, end: nl < 0 ? body.length : nl + 1 };
  }
  const region = elementRegion(body, first.index, lastEnd);
  if (rules.length === 1) {
    const close = body.toLowerCase().lastIndexOf('</body>');
    return { start: region.start, end: close >= region.end ? close : body.length };
  }
  return region;
}

/**
 * Splits a plain-text body into the user's part and our decorations. For an online meeting the join blob is not
 * the user's text either: it is left out, so the CRM never gets (and never writes back) Teams' join information.
 */
export function parseBody(text: string, o: { onlineMeeting?: boolean } = {}): ParsedBody {
  const normalised = text.replace(/\r\n/g, '\n');
  const { user: withBlob, lines } = splitTextBody(normalised);
  let user = withBlob;
  if (o.onlineMeeting) {
    const blob = findMeetingBlob(user, 'text');
    if (blob) user = user.slice(0, blob.start) + user.slice(blob.end);
  }
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
  return { text: user.trim(), invitees };
}

/** Whitespace-insensitive form of a text, for deciding whether a body's text really changed. */
function norm(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export interface BodyPlan {
  /** The body to send; absent when nothing the connector owns changed (the body is then not sent at all). */
  body?: ItemBody;
  /** Said in the item's trail: what was deliberately left alone. */
  note?: string;
}

/**
 * The body an update sends, worked out from the body Graph has now (read as stored, not as text). Only what the
 * connector owns changes: the marked block is replaced or removed; the user's text is replaced only when the CRM
 * changed it; everything else, the online-meeting blob included, is kept byte for byte. An online meeting whose
 * blob cannot be found keeps its text: rewriting it could lose the join information.
 */
export function planBody(
  current: {
    contentType: 'text' | 'html';
    content: string;
    /** The same body as Graph renders it in text (outlook.body-content-type="text"): what the engine read. */
    text: string;
    isOnlineMeeting: boolean;
  },
  want: { text: string; crmUrl: string | null; invitees: Person[] },
): BodyPlan {
  const html = current.contentType === 'html';
  const content = current.content;
  const withoutBlock = html ? setHtmlBlock(content, null) : setTextBlock(content, null);
  const blob = current.isOnlineMeeting ? findMeetingBlob(withoutBlock, html ? 'html' : 'text') : null;
  const userNow = parseBody(current.text, { onlineMeeting: current.isOnlineMeeting }).text;
  const textChanged = norm(userNow) !== norm(want.text);

  const newBlockHtml = blockHtml(want);
  const newLines = blockLines(want);
  const span = html ? findHtmlBlock(content) : null;
  const currentBlockText = html
    ? span
      ? norm(htmlToText(content.slice(span.start, span.end)))
      : ''
    : norm(splitTextBody(content).lines.join('\n'));
  const wantBlockText = html ? (newBlockHtml ? norm(htmlToText(newBlockHtml)) : '') : norm(newLines.join('\n'));
  const blockChanged = currentBlockText !== wantBlockText;

  const withBlock = (base: string): string =>
    html ? setHtmlBlock(base, newBlockHtml) : setTextBlock(base, newLines.length ? newLines : null);

  if (!textChanged) {
    return blockChanged ? { body: { contentType: current.contentType, content: withBlock(content) } } : {};
  }
  if (current.isOnlineMeeting && !blob) {
    const note =
      'The description was not updated in Outlook: this online meeting’s join information could not be told apart from the text, and rewriting it could disable the meeting.';
    return blockChanged ? { body: { contentType: current.contentType, content: withBlock(content) }, note } : { note };
  }
  const blobBytes = blob ? withoutBlock.slice(blob.start, blob.end) : '';
  if (html) {
    const lower = withoutBlock.toLowerCase();
    const open = /<body[^>]*>/i.exec(withoutBlock);
    const head = open ? withoutBlock.slice(0, open.index + open[0].length) : '';
    const close = lower.lastIndexOf('</body>');
    const tail = close >= 0 ? withoutBlock.slice(close) : '';
    const userHtml = want.text ? `<div>${paragraphs(want.text)}</div>` : '';
    return { body: { contentType: 'html', content: `${head}${userHtml}${blobBytes}${newBlockHtml ?? ''}${tail}` } };
  }
  const userText = blob && want.text ? `${want.text}\n\n` : want.text;
  return { body: { contentType: 'text', content: withBlock(`${userText}${blobBytes}`) } };
}

/**
 * The connector's block inside an event body (SPEC §5): the deep link back to the CRM record and, in the *never*
 * invitation mode, the invitees that stand in for attendees. It lives between two marker lines, so a provider can
 * replace or remove exactly that block and leave every other byte of the body as the user (or Teams) wrote it.
 *
 * Pure string work, shared by the calendar providers: plain text (CalDAV DESCRIPTION, Google description, Graph
 * text bodies) and HTML (Graph bodies). Bodies written before the end marker existed carry only the start marker;
 * their block runs to the end of the body (that is where the connector always put it).
 */
export const blockStart = '-- CRM Calendar Connector --';
export const blockEnd = '-- end of CRM Calendar Connector --';

/** Where the block sits: `body.slice(start, end)` is the block (with its markers and the tags around them). */
export interface BlockSpan {
  start: number;
  end: number;
}

// ------------------------------------------------------------------ plain text

/** The separator put between the user's text and the block when the block is added. */
const textSeparator = '\n\n';

/** The block in a plain-text body, or null. The span includes the separator the connector put before it. */
export function findTextBlock(body: string): BlockSpan | null {
  const at = lineStartOf(body, blockStart);
  if (at < 0) return null;
  let start = at;
  if (body.slice(0, at).endsWith(textSeparator)) start = at - textSeparator.length;
  else if (body.slice(0, at).endsWith('\r\n\r\n')) start = at - 4;
  const endAt = body.indexOf(blockEnd, at + blockStart.length);
  if (endAt < 0) return { start, end: body.length };
  return { start, end: endAt + blockEnd.length };
}

/** The index of `marker` at the start of a line (after optional spaces), or -1. */
function lineStartOf(body: string, marker: string): number {
  let from = 0;
  for (;;) {
    const i = body.indexOf(marker, from);
    if (i < 0) return -1;
    const lineStart = body.lastIndexOf('\n', i - 1) + 1;
    if (body.slice(lineStart, i).trim() === '') return i;
    from = i + marker.length;
  }
}

/** The block's text lines as written (without markers): what `renderTextBlock` was given. */
export function textBlockLines(lines: readonly string[]): string {
  return [blockStart, ...lines, blockEnd].join('\n');
}

/**
 * The body with its block replaced by `lines` (null or empty: removed). Everything outside the block is kept byte
 * for byte; a body without a block gets it appended after a blank line.
 */
export function setTextBlock(body: string, lines: readonly string[] | null): string {
  const span = findTextBlock(body);
  const block = lines && lines.length ? textBlockLines(lines) : '';
  if (!span) {
    if (!block) return body;
    return body === '' ? block : `${body}${textSeparator}${block}`;
  }
  const before = body.slice(0, span.start);
  const after = body.slice(span.end);
  if (!block) return before + after;
  return `${before}${before === '' ? '' : textSeparator}${block}${after}`;
}

/** The body without the block (what the user wrote), and the block's inner lines. */
export function splitTextBody(body: string): { user: string; lines: string[] } {
  const span = findTextBlock(body);
  if (!span) return { user: body, lines: [] };
  const inner = body.slice(span.start, span.end);
  const lines = inner
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l !== blockStart && l !== blockEnd);
  return { user: body.slice(0, span.start) + body.slice(span.end), lines };
}

/** A plain-text description: the user's text byte for byte, then the block with the deep link (or nothing). */
export function describeWithLink(body: string, crmUrl: string | null): string {
  return setTextBlock(body, crmUrl ? [`Open in CRM: ${crmUrl}`] : null);
}

/**
 * The user's part of a plain-text description. Descriptions written before the marked block ended with one
 * `legacyPrefix` line (Google and CalDAV: "— CRM record: <url>"): only that line is taken out, text after it stays.
 */
export function userTextOf(description: string, legacyPrefix: string): string {
  if (findTextBlock(description)) return splitTextBody(description).user;
  const i = description.lastIndexOf(`\n\n${legacyPrefix}`);
  const at = i >= 0 ? i : description.startsWith(legacyPrefix) ? 0 : -1;
  if (at < 0) return description;
  const lineEnd = description.indexOf('\n', at + (i >= 0 ? 2 : 0));
  return description.slice(0, at) + (lineEnd < 0 ? '' : description.slice(lineEnd));
}

// ------------------------------------------------------------------ HTML

const voidElements = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'source',
  'track',
  'wbr',
]);
/** Tags that are never part of a block: the document's own skeleton. */
const skeleton = new Set(['html', 'head', 'body']);

interface Tag {
  name: string;
  kind: 'open' | 'close' | 'void';
}

function parseTag(raw: string): Tag | null {
  const m = /^<\s*(\/)?\s*([a-zA-Z][\w:-]*)[^>]*?(\/)?\s*>$/.exec(raw);
  if (!m) return null;
  const name = m[2]!.toLowerCase();
  if (m[1]) return { name, kind: 'close' };
  if (m[3] || voidElements.has(name)) return { name, kind: 'void' };
  return { name, kind: 'open' };
}

/**
 * The element region around a run of text in HTML: from the opening tags that directly precede `textStart` (only
 * whitespace between them) to the closing tags after `textEnd` that balance everything opened in between. This is
 * how a marker written as `<div><p>marker</p>…</div>` is found again after Exchange re-serialised the HTML (it
 * rewrites attributes and whitespace, not the nesting).
 */
export function elementRegion(html: string, textStart: number, textEnd: number): BlockSpan {
  let start = textStart;
  for (;;) {
    let p = start;
    while (p > 0 && /\s/.test(html[p - 1]!)) p--;
    if (p === 0 || html[p - 1] !== '>') break;
    const lt = html.lastIndexOf('<', p - 1);
    if (lt < 0) break;
    const tag = parseTag(html.slice(lt, p));
    if (!tag || tag.kind !== 'open' || skeleton.has(tag.name)) break;
    start = lt;
  }
  let depth = 0;
  const tagRe = /<[^<>]*>/g;
  tagRe.lastIndex = start;
  for (let m = tagRe.exec(html); m && m.index < textEnd; m = tagRe.exec(html)) {
    const tag = parseTag(m[0]);
    if (tag?.kind === 'open') depth++;
    else if (tag?.kind === 'close') depth--;
  }
  let end = textEnd;
  while (depth > 0) {
    let p = end;
    while (p < html.length && /\s/.test(html[p]!)) p++;
    if (html[p] !== '<') break;
    const gt = html.indexOf('>', p);
    if (gt < 0) break;
    const tag = parseTag(html.slice(p, gt + 1));
    if (!tag || tag.kind !== 'close' || skeleton.has(tag.name)) break;
    depth--;
    end = gt + 1;
  }
  return { start, end };
}

/** The `</body>` the block goes before, or the end of the document. */
function bodyEnd(html: string): number {
  const i = html.toLowerCase().lastIndexOf('</body>');
  return i >= 0 ? i : html.length;
}

/** The block in an HTML body, or null. */
export function findHtmlBlock(html: string): BlockSpan | null {
  const s = html.indexOf(blockStart);
  if (s < 0) return null;
  const e = html.indexOf(blockEnd, s + blockStart.length);
  if (e < 0) {
    // A block written before the end marker existed runs to the end of the body.
    const region = elementRegion(html, s, s + blockStart.length);
    return { start: region.start, end: Math.max(region.end, bodyEnd(html)) };
  }
  return elementRegion(html, s, e + blockEnd.length);
}

/** HTML text of a string (no tags interpreted). */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Our block as HTML: one `<div>` between the marker paragraphs; `inner` are HTML fragments the caller escaped. */
export function htmlBlock(inner: readonly string[]): string {
  return `<div><p>${escapeHtml(blockStart)}</p>${inner.join('')}<p>${escapeHtml(blockEnd)}</p></div>`;
}

/**
 * The HTML body with its block replaced by `block` (null: removed). Everything outside the block is kept byte for
 * byte; a body without a block gets it just before `</body>` (or at the end).
 */
export function setHtmlBlock(html: string, block: string | null): string {
  const span = findHtmlBlock(html);
  if (!span) {
    if (!block) return html;
    const at = bodyEnd(html);
    return html.slice(0, at) + block + html.slice(at);
  }
  return html.slice(0, span.start) + (block ?? '') + html.slice(span.end);
}

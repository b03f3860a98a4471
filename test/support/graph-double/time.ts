/** Time helpers of the Graph double, written independently of the provider's own. */
const formatters = new Map<string, Intl.DateTimeFormat>();

export function wallToUtc(local: string, zone: string): Date {
  const asUtc = Date.parse(`${local.slice(0, 19)}Z`);
  if (zone === 'UTC' || zone === 'Etc/UTC') return new Date(asUtc);
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    let f = formatters.get(zone);
    if (!f) {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
      formatters.set(zone, f);
    }
    const parts = f.formatToParts(new Date(guess));
    const o: Record<string, number> = {};
    for (const p of parts) o[p.type] = Number(p.value);
    const shown = Date.UTC(o.year!, o.month! - 1, o.day!, o.hour!, o.minute!, o.second!);
    guess += asUtc - shown;
  }
  return new Date(guess);
}

/** Graph's UTC dateTime format: 2026-11-21T09:00:00.0000000 */
export function graphDateTime(d: Date): string {
  return `${d.toISOString().slice(0, 19)}.0000000`;
}

export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * A resource written back with every content line the connector did not change exactly as it was read (after
 * unfolding, RFC 5545 §3.1). ical.js re-serialises what it parsed in its own canonical form — it quotes parameter
 * values holding commas (FEATURE="AUDIO,VIDEO"), drops a VALUE= that is the property's default (URL;VALUE=URI) —
 * which would rewrite lines other clients own on every CRM edit. Each parsed property keeps the line it came from;
 * a property the edit did not touch (its jCal unchanged) is written from that line, anything else by ical.js.
 */
import ICAL from 'ical.js';

type JCalProperty = unknown[];
type JCalComponent = [string, JCalProperty[], JCalComponent[]];

interface RawComponent {
  name: string;
  lines: string[];
  components: RawComponent[];
}

/** The resource's components and their content lines, as written (unfolded, empty lines ignored). */
function rawTree(ics: string): RawComponent | null {
  const top: RawComponent = { name: '', lines: [], components: [] };
  const stack: RawComponent[] = [top];
  for (const line of ics.replace(/\r?\n[ \t]/g, '').split(/\r?\n/)) {
    if (!line) continue;
    const begin = /^BEGIN:(.+)$/i.exec(line);
    if (begin) {
      const c: RawComponent = { name: begin[1]!.trim().toLowerCase(), lines: [], components: [] };
      stack.at(-1)!.components.push(c);
      stack.push(c);
    } else if (/^END:/i.test(line)) {
      if (stack.length === 1) return null;
      stack.pop();
    } else stack.at(-1)!.lines.push(line);
  }
  return top.components[0] ?? null;
}

function nameOf(line: string): string {
  return (/^[^;:]*/.exec(line)?.[0] ?? '').toLowerCase();
}

/** Pairs each parsed property with its line; a component whose shape does not match is left unpaired. */
function pair(jcal: JCalComponent, raw: RawComponent, out: WeakMap<JCalProperty, { line: string; was: string }>) {
  if (jcal[0] !== raw.name) return;
  if (jcal[1].length === raw.lines.length) {
    jcal[1].forEach((p, i) => {
      const line = raw.lines[i]!;
      if (p[0] === nameOf(line)) out.set(p, { line, was: JSON.stringify(p) });
    });
  }
  if (jcal[2].length === raw.components.length) jcal[2].forEach((c, i) => pair(c, raw.components[i]!, out));
}

export interface KeptResource {
  root: ICAL.Component;
  /** The resource with unchanged lines as they were read, changed and new ones as ical.js writes them. */
  serialise(): string;
}

export function parseKeepingLines(ics: string): KeptResource {
  const jcal = ICAL.parse(ics) as unknown as JCalComponent;
  const root = new ICAL.Component(jcal as unknown as unknown[]);
  const lines = new WeakMap<JCalProperty, { line: string; was: string }>();
  const raw = rawTree(ics);
  if (raw) pair(jcal, raw, lines);
  const design = ICAL.design.getDesignSet('vcalendar');
  const write = (c: JCalComponent): string[] => {
    const name = c[0].toUpperCase();
    const out = [`BEGIN:${name}`];
    for (const p of c[1]) {
      const kept = lines.get(p);
      out.push(
        kept && kept.was === JSON.stringify(p)
          ? ICAL.helpers.foldline(kept.line)
          : ICAL.stringify.property(p as never, design, false),
      );
    }
    for (const sub of c[2] ?? []) out.push(...write(sub));
    out.push(`END:${name}`);
    return out;
  };
  return { root, serialise: () => `${write(root.jCal as unknown as JCalComponent).join('\r\n')}\r\n` };
}

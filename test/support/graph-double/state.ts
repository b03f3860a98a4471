import { randomUUID } from 'node:crypto';
import type { Attendee, Event, PatternedRecurrence } from '@microsoft/microsoft-graph-types';
import { graphDateTime, wallToUtc } from './time';
import { systemClock, type Clock } from '../../../src/shared/clock';

/** What the double stores per event: Graph's shape with UTC start/end, plus the hidden bits Graph keeps. */
export interface StoredEvent {
  ev: Event;
  calendarId: string;
  /** Extended properties by lower-cased id. */
  props: Map<string, { id: string; value: string }>;
  transactionId: string | null;
  /** Sequence number of the last change (delta). */
  seq: number;
}

export interface Mail {
  kind: 'invitation' | 'update' | 'cancellation';
  to: string[];
  subject: string;
  eventId: string;
}

export interface Change {
  seq: number;
  id: string;
  calendarId: string;
}

const dayMs = 86_400_000;

/** The few Windows zone names the tests use, as Graph reports them in originalStartTimeZone. */
function ianaOf(zone: string | null | undefined): string {
  const windows: Record<string, string> = {
    'W. Europe Standard Time': 'Europe/Berlin',
    'Tokyo Standard Time': 'Asia/Tokyo',
    'Pacific Standard Time': 'America/Los_Angeles',
  };
  if (!zone) return 'UTC';
  return windows[zone] ?? zone;
}
const weekdays = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

export class GraphState {
  readonly calendars = new Map<string, { id: string; name: string; isDefaultCalendar: boolean; canEdit: boolean }>();
  readonly events = new Map<string, StoredEvent>();
  readonly mails: Mail[] = [];
  readonly changes: Change[] = [];
  readonly masterCategories: { id: string; displayName: string; color: string }[] = [];
  seq = 1;
  /** The double's clock (lastModifiedDateTime); tests may share one with the CRM side. */
  now: Clock = systemClock;
  constructor(readonly userEmail: string) {
    this.addCalendar('Calendar', true);
  }

  get defaultCalendarId(): string {
    return [...this.calendars.values()].find((c) => c.isDefaultCalendar)!.id;
  }

  addCalendar(name: string, isDefault = false): string {
    const id = `AAMkCal${randomUUID().replace(/-/g, '')}`;
    this.calendars.set(id, { id, name, isDefaultCalendar: isDefault, canEdit: true });
    return id;
  }

  touch(s: StoredEvent): void {
    s.seq = ++this.seq;
    s.ev.changeKey = `ck${s.seq}`;
    s.ev.lastModifiedDateTime = this.now().toISOString();
    this.changes.push({ seq: s.seq, id: s.ev.id!, calendarId: s.calendarId });
  }

  recordRemoval(id: string, calendarId: string): void {
    this.changes.push({ seq: ++this.seq, id, calendarId });
  }

  mail(kind: Mail['kind'], attendees: Attendee[] | null | undefined, subject: string, eventId: string): void {
    const to = (attendees ?? []).map((a) => a.emailAddress?.address ?? '').filter(Boolean);
    if (to.length) this.mails.push({ kind, to, subject, eventId });
  }

  /** Normalises a dateTimeTimeZone the client sent into UTC, as Graph stores it. */
  static normaliseTimes(ev: Event, o: { keepZones?: boolean } = {}): void {
    // An update that does not touch start/end keeps the zones the event was made in (originalStartTimeZone).
    const zones = o.keepZones ? { s: ev.originalStartTimeZone, e: ev.originalEndTimeZone } : null;
    GraphState.normaliseTimesOnly(ev);
    if (zones) {
      ev.originalStartTimeZone = zones.s;
      ev.originalEndTimeZone = zones.e;
    }
  }

  private static normaliseTimesOnly(ev: Event): void {
    if (ev.isAllDay) {
      // An all-day event keeps the zone it was made in (originalStartTimeZone): its occurrences start at midnight
      // there, which originalStart gives "always in UTC" (event resource, originalStart).
      if (ev.start?.timeZone) ev.originalStartTimeZone = ev.start.timeZone;
      for (const k of ['start', 'end'] as const) {
        const v = ev[k];
        if (v?.dateTime) ev[k] = { dateTime: `${v.dateTime.slice(0, 10)}T00:00:00.0000000`, timeZone: 'UTC' };
      }
      return;
    }
    if (ev.start?.timeZone) ev.originalStartTimeZone = ev.start.timeZone;
    if (ev.end?.timeZone) ev.originalEndTimeZone = ev.end.timeZone;
    for (const k of ['start', 'end'] as const) {
      const v = ev[k];
      if (v?.dateTime) ev[k] = { dateTime: graphDateTime(wallToUtc(v.dateTime, v.timeZone ?? 'UTC')), timeZone: 'UTC' };
    }
  }

  static startMs(ev: Event): number {
    return Date.parse(`${(ev.start?.dateTime ?? '').slice(0, 19)}Z`);
  }
  static endMs(ev: Event): number {
    return Date.parse(`${(ev.end?.dateTime ?? '').slice(0, 19)}Z`);
  }

  /** Occurrence starts of a series (UTC ms), inside [from, to). Supports the patterns the tests use. */
  static expand(master: Event, from: number, to: number): number[] {
    const rec = master.recurrence as PatternedRecurrence;
    const p = rec.pattern ?? {};
    const r = rec.range ?? {};
    const start = GraphState.startMs(master);
    const interval = p.interval ?? 1;
    const out: number[] = [];
    const endDate = r.type === 'endDate' && r.endDate ? Date.parse(`${r.endDate}T23:59:59Z`) : Infinity;
    const max = r.type === 'numbered' ? (r.numberOfOccurrences ?? 0) : Infinity;
    let count = 0;
    const push = (t: number): boolean => {
      if (t > endDate || count >= max || t >= to) return false;
      count++;
      if (t + (GraphState.endMs(master) - start) > from) out.push(t);
      return true;
    };
    if (p.type === 'daily') {
      for (let t = start; push(t); t += interval * dayMs);
    } else if (p.type === 'weekly') {
      const days = (p.daysOfWeek ?? []).map((d) => weekdays.indexOf(d)).sort();
      const weekStart = start - new Date(start).getUTCDay() * dayMs;
      outer: for (let w = weekStart; ; w += interval * 7 * dayMs) {
        for (const d of days) {
          const t = w + d * dayMs;
          if (t < start) continue;
          if (!push(t)) break outer;
        }
      }
    } else if (p.type === 'absoluteMonthly') {
      const s = new Date(start);
      for (let m = 0; ; m += interval) {
        const t = Date.UTC(
          s.getUTCFullYear(),
          s.getUTCMonth() + m,
          p.dayOfMonth ?? s.getUTCDate(),
          s.getUTCHours(),
          s.getUTCMinutes(),
        );
        if (!push(t)) break;
      }
    } else {
      // Yearly and relative patterns: the first occurrence only (enough for the double's purposes).
      push(start);
    }
    return out;
  }

  static occurrenceId(masterId: string, t: number): string {
    return `${masterId}_OCC_${new Date(t).toISOString().slice(0, 10).replace(/-/g, '')}`;
  }

  static parseOccurrenceId(id: string): { masterId: string; date: string } | null {
    const m = /^(.*)_OCC_(\d{4})(\d{2})(\d{2})$/.exec(id);
    return m ? { masterId: m[1]!, date: `${m[2]}-${m[3]}-${m[4]}` } : null;
  }

  /** Instances of a series in a window: generated occurrences, stored exceptions, minus cancelled ones. */
  instances(masterId: string, from: number, to: number): StoredEvent[] {
    const master = this.events.get(masterId);
    if (!master || master.ev.type !== 'seriesMaster') return [];
    const cancelled = new Set((master.ev.cancelledOccurrences ?? []).map((c) => c.slice(-10)));
    const out: StoredEvent[] = [];
    const duration = GraphState.endMs(master.ev) - GraphState.startMs(master.ev);
    for (const t of GraphState.expand(master.ev, from, to)) {
      const date = new Date(t).toISOString().slice(0, 10);
      if (cancelled.has(date)) continue;
      const id = GraphState.occurrenceId(masterId, t);
      const exception = this.events.get(id);
      if (exception) {
        out.push(exception);
        continue;
      }
      out.push({
        calendarId: master.calendarId,
        props: master.props,
        transactionId: null,
        seq: master.seq,
        ev: {
          ...master.ev,
          id,
          type: 'occurrence',
          seriesMasterId: masterId,
          recurrence: null,
          cancelledOccurrences: undefined,
          originalStart: master.ev.isAllDay
            ? wallToUtc(`${date}T00:00:00`, ianaOf(master.ev.originalStartTimeZone)).toISOString()
            : new Date(t).toISOString(),
          start: { dateTime: graphDateTime(new Date(t)), timeZone: 'UTC' },
          end: { dateTime: graphDateTime(new Date(t + duration)), timeZone: 'UTC' },
        },
      });
    }
    return out;
  }

  /** What calendarView shows for a calendar and window: single events and the instances of series. */
  view(calendarId: string, from: number, to: number): StoredEvent[] {
    const out: StoredEvent[] = [];
    for (const s of this.events.values()) {
      if (s.calendarId !== calendarId) continue;
      if (s.ev.type === 'singleInstance') {
        if (GraphState.endMs(s.ev) > from && GraphState.startMs(s.ev) < to) out.push(s);
      } else if (s.ev.type === 'seriesMaster') out.push(...this.instances(s.ev.id!, from, to));
    }
    return out;
  }
}

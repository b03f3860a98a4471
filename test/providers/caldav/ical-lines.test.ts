/**
 * Writing into a resource another client wrote (issue 18): every line the write does not change comes back as it
 * was read (after unfolding), whatever ical.js would have made of it; changed lines are ical.js's.
 */
import fc from 'fast-check';
import { parseKeepingLines } from '../../../src/providers/calendar/caldav/ical-lines';
import { cancelOccurrence, renderIntoResource } from '../../../src/providers/calendar/caldav/ical-event';
import type { EventDraft } from '../../../src/sync/model';

const unfold = (ics: string): string[] =>
  ics
    .replace(/\r?\n[ \t]/g, '')
    .split(/\r?\n/)
    .filter(Boolean);

/** A Thunderbird-style series: lines ical.js would re-serialise differently, and a long folded DESCRIPTION. */
const series = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN',
  'BEGIN:VEVENT',
  'UID:series-1',
  'DTSTAMP:20270101T120000Z',
  'DTSTART:20270405T090000Z',
  'DTEND:20270405T100000Z',
  'RRULE:FREQ=WEEKLY;COUNT=4',
  'SUMMARY:Weekly pipeline',
  'DESCRIPTION:A long agenda line that goes well past seventy-five octets, so the server',
  '  folds it somewhere in the middle of a word',
  'CONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO;LABEL=Join:https://meet.example/abc',
  'URL;VALUE=URI:https://example.com/agenda',
  'LOCATION;ALTREP="https://rooms.example/12":Room 12',
  'x-lower-case-prop;X-PARAM=a,b:kept as written',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

const draft: EventDraft = {
  fields: {
    subject: 'Weekly pipeline (moved)',
    timing: { kind: 'timed', start: '2027-04-12T10:00:00.000Z', end: '2027-04-12T11:00:00.000Z', timeZone: 'UTC' },
    body: 'Moved once',
    location: 'Room 12',
    visibility: 'normal',
    showAs: 'busy',
    attendees: [],
    recurrence: null,
    reminderMinutes: null,
  },
  crmTag: 'crm-occ-2',
  crmUrl: null,
  sendInvitations: false,
  priority: null,
};
const opts = { self: { addresses: ['ann@example.com'] }, now: new Date('2027-04-01T08:00:00.000Z') };

test('an override written into a series leaves every line of the master as it was', () => {
  const out = renderIntoResource(series, '2027-04-12T09:00:00.000Z', draft, opts);
  const master = unfold(series).slice(3, unfold(series).indexOf('END:VEVENT') + 1);
  const lines = unfold(out);
  // The master component comes back line for line (ical.js alone would quote FEATURE, drop VALUE=URI and
  // upper-case the X- name).
  expect(lines.slice(3, 3 + master.length)).toEqual(master);
  expect(lines).toContain('RECURRENCE-ID:20270412T090000Z');
  expect(lines).toContain('SUMMARY:Weekly pipeline (moved)');
  // Written lines are folded at 75 octets.
  expect(out.split('\r\n').every((l) => l.length <= 75)).toBe(true);
});

test('cancelling an occurrence adds the EXDATE and keeps the rest of the master', () => {
  const out = unfold(cancelOccurrence(series, '2027-04-19T09:00:00.000Z'));
  for (const line of unfold(series)) expect(out).toContain(line);
  expect(out).toContain('EXDATE:20270419T090000Z');
});

test('a resource nothing changes comes back line for line (property)', () => {
  const value = fc.stringMatching(/^[A-Za-z0-9 ,.;:=\\"-]{0,120}$/);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('X-A', 'x-b', 'COMMENT', 'CATEGORIES'), value), { maxLength: 6 }),
      (props) => {
        const lines = props.map(([n, v]) => `${n}:${v.replace(/[\r\n]/g, '')}`);
        const ics = [
          'BEGIN:VCALENDAR',
          'VERSION:2.0',
          'BEGIN:VEVENT',
          'UID:u',
          ...lines,
          'END:VEVENT',
          'END:VCALENDAR',
        ].join('\r\n');
        let parsed;
        try {
          parsed = parseKeepingLines(ics);
        } catch {
          return; // ical.js refuses it: nothing to write back
        }
        expect(unfold(parsed.serialise())).toEqual(unfold(ics));
      },
    ),
    { seed: 18, numRuns: 200 },
  );
});

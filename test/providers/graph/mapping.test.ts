import fc from 'fast-check';
import { ProviderError } from '../../../src/sync/errors';
import type { Timing } from '../../../src/sync/model';
import { decorationMarker, htmlToText, parseBody, renderBody } from '../../../src/providers/calendar/graph/body';
import { cancelledToExdates, graphToRrule, rruleToGraph } from '../../../src/providers/calendar/graph/recurrence';
import { localDateTime, toIana, zonedToUtc } from '../../../src/providers/calendar/graph/timezones';
import { transactionIdFor } from '../../../src/providers/calendar/graph/provider';
import { toCalendarEvent } from '../../../src/providers/calendar/graph/mapping';
import type { Event } from '@microsoft/microsoft-graph-types';

const monday9: Timing = {
  kind: 'timed',
  start: '2026-11-23T08:00:00.000Z',
  end: '2026-11-23T09:00:00.000Z',
  timeZone: 'Europe/Berlin',
};

describe('body decorations', () => {
  const text = fc
    .string({ maxLength: 80 })
    .map((s) => s.replace(/\r/g, '').trim())
    .filter((s) => !s.includes(decorationMarker));
  const email = fc
    .tuple(fc.stringMatching(/^[a-z][a-z0-9.]{0,8}$/), fc.stringMatching(/^[a-z]{2,8}$/))
    .map(([u, d]) => `${u}@${d}.test`);
  const person = fc.record(
    { email, name: fc.stringMatching(/^[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8})?$/) },
    { requiredKeys: ['email'] },
  );

  test('property: what we render and Graph turns into text parses back to the user text and the invitees', () => {
    fc.assert(
      fc.property(text, fc.array(person, { maxLength: 4 }), fc.boolean(), (t, invitees, withLink) => {
        const html = renderBody({ text: t, crmUrl: withLink ? 'https://crm.example/a?b=1&c=<2>' : null, invitees });
        const parsed = parseBody(htmlToText(html));
        expect(parsed.text).toBe(t);
        expect(parsed.invitees).toEqual(invitees.map((p) => ({ ...p, email: p.email.toLowerCase() })));
      }),
      { numRuns: 200 },
    );
  });

  test('HTML in the user text and the link is escaped, never interpreted', () => {
    const html = renderBody({
      text: '<script>alert(1)</script> & "quotes"',
      crmUrl: 'https://crm.example/x?"><img src=x onerror=alert(1)>',
      invitees: [{ email: 'a@b.test', name: '<b>Bob</b>' }],
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>Bob');
    expect(html).toContain('&lt;script&gt;');
  });

  test('a javascript: deep link is dropped', () => {
    expect(renderBody({ text: 'x', crmUrl: 'javascript:alert(1)', invitees: [] })).not.toContain('javascript');
  });

  test('text without our marker is the user text as it stands', () => {
    expect(parseBody('Hello\r\nWorld  ')).toEqual({ text: 'Hello\nWorld', invitees: [] });
  });
});

describe('recurrence', () => {
  const cases: [string, string][] = [
    ['FREQ=DAILY;INTERVAL=2;COUNT=10', 'FREQ=DAILY;INTERVAL=2;COUNT=10'],
    ['FREQ=WEEKLY;BYDAY=MO,TH', 'FREQ=WEEKLY;BYDAY=MO,TH'],
    ['FREQ=WEEKLY', 'FREQ=WEEKLY;BYDAY=MO'],
    ['FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;WKST=SU', 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;WKST=SU'],
    ['FREQ=MONTHLY;BYMONTHDAY=15', 'FREQ=MONTHLY;BYMONTHDAY=15'],
    ['FREQ=MONTHLY;BYDAY=-1FR', 'FREQ=MONTHLY;BYDAY=-1FR'],
    ['FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2', 'FREQ=MONTHLY;BYDAY=2TU'],
    ['FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1', 'FREQ=YEARLY;BYMONTHDAY=1;BYMONTH=3'],
    ['FREQ=YEARLY;BYMONTH=11;BYDAY=4TH', 'FREQ=YEARLY;BYDAY=4TH;BYMONTH=11'],
    ['FREQ=DAILY;UNTIL=20261231T225959Z', 'FREQ=DAILY;UNTIL=20261231T225959Z'],
  ];
  test.each(cases)('%s → Graph → %s', (rrule, back) => {
    expect(graphToRrule(rruleToGraph(rrule, monday9), monday9)).toBe(back);
  });

  test('a series starts on the local date of its zone', () => {
    const lateUtc: Timing = { ...monday9, start: '2026-11-22T23:30:00.000Z', end: '2026-11-23T00:30:00.000Z' };
    const g = rruleToGraph('FREQ=WEEKLY', lateUtc);
    expect(g.range?.startDate).toBe('2026-11-23');
    expect(g.pattern?.daysOfWeek).toEqual(['monday']);
    expect(g.range?.recurrenceTimeZone).toBe('Europe/Berlin');
  });

  test.each(['FREQ=HOURLY', 'FREQ=DAILY;BYHOUR=9', 'FREQ=MONTHLY;BYDAY=MO,TU', 'FREQ=MONTHLY;BYDAY=5MO'])(
    '%s is refused with an invalid ProviderError',
    (rrule) => {
      expect(() => rruleToGraph(rrule, monday9)).toThrow(ProviderError);
    },
  );

  test('cancelled occurrences become exdates at the series start time, across DST', () => {
    const summer: Timing = { ...monday9, start: '2026-06-01T07:00:00.000Z', end: '2026-06-01T08:00:00.000Z' };
    expect(cancelledToExdates(['OID.AAMk=.2026-12-07', 'OID.AAMk=.2026-06-08'], summer)).toEqual([
      '2026-06-08T07:00:00.000Z',
      '2026-12-07T08:00:00.000Z',
    ]);
    const allDay: Timing = { kind: 'all-day', startDate: '2026-06-01', endDate: '2026-06-02' };
    expect(cancelledToExdates(['OID.x.2026-06-08'], allDay)).toEqual(['2026-06-08']);
  });
});

describe('time zones and ids', () => {
  test('Windows zone names map to IANA; unknown ones fall back to UTC', () => {
    expect(toIana('W. Europe Standard Time')).toBe('Europe/Berlin');
    expect(toIana('America/New_York')).toBe('America/New_York');
    expect(toIana('Mars Standard Time')).toBe('UTC');
    expect(toIana(null)).toBe('UTC');
  });

  test('property: local wall time and back is the same instant (whole minutes, any zone we map)', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney', 'UTC'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2025-01-01'), max: Date.parse('2030-01-01') }).map((t) => t - (t % 60000)),
        fc.constantFrom(...zones),
        (t, zone) => {
          const iso = new Date(t).toISOString();
          const local = localDateTime(iso, zone);
          // Wall times in the repeated DST hour are ambiguous; either reading is a correct instant for them.
          const back = zonedToUtc(local, zone).getTime();
          expect(localDateTime(new Date(back).toISOString(), zone)).toBe(local);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('transactionId keeps short keys and hashes long or odd ones stably', () => {
    expect(transactionIdFor('intent-1')).toBe('intent-1');
    const long = 'x'.repeat(300);
    expect(transactionIdFor(long)).toMatch(/^[0-9a-f]{64}$/);
    expect(transactionIdFor(long)).toBe(transactionIdFor(long));
    expect(transactionIdFor('a b')).not.toBe('a b');
  });
});

describe('writesNotifyAttendees: Graph mails the attendees of a meeting the user organises on any change', () => {
  const base: Event = {
    id: 'AAMk1',
    changeKey: 'ck',
    iCalUId: 'uid-1',
    subject: 'Board meeting',
    start: { dateTime: '2026-11-24T12:00:00.0000000', timeZone: 'UTC' },
    end: { dateTime: '2026-11-24T13:00:00.0000000', timeZone: 'UTC' },
    body: { contentType: 'text', content: '' },
  };
  const person = (address: string, type: 'required' | 'resource' = 'required') => ({
    emailAddress: { address },
    type,
  });
  test.each([
    ['the user organises it with an attendee', true, [person('chair@board.test')], true],
    ['the user is only invited', false, [person('chair@board.test')], false],
    ['no attendees', true, [], false],
    [
      'only a room (resource) and the user',
      true,
      [person('room1@contoso.example', 'resource'), person('Sam@Contoso.example')],
      false,
    ],
  ] as const)('%s → %s', (_n, isOrganizer, attendees, expected) => {
    const ev = toCalendarEvent({ ...base, isOrganizer, attendees: [...attendees] }, 'cal', 'sam@contoso.example');
    expect(ev.writesNotifyAttendees === true).toBe(expected);
  });
});

import { parseResource } from '../../../src/providers/calendar/caldav/ical-event';
import { hrefPath, parseMultistatus, propHrefs, propText } from '../../../src/providers/calendar/caldav/multistatus';

describe('multistatus parsing', () => {
  it.each([
    [
      'prefixed D:',
      `<D:multistatus xmlns:D="DAV:"><D:response><D:href>https://dav.example/cal/a%20b.ics</D:href><D:propstat><D:prop><D:getetag>"1"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response><D:sync-token>tok</D:sync-token></D:multistatus>`,
    ],
    [
      'lower-case d:',
      `<d:multistatus xmlns:d="DAV:"><d:response><d:href>/cal/a%20b.ics</d:href><d:propstat><d:prop><d:getetag>&quot;1&quot;</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response><d:sync-token>tok</d:sync-token></d:multistatus>`,
    ],
    [
      'default namespace',
      `<multistatus xmlns="DAV:"><response><href>/cal/a%20b.ics</href><propstat><prop><getetag>"1"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response><sync-token>tok</sync-token></multistatus>`,
    ],
  ])('reads %s the same way', (_name, xml) => {
    const ms = parseMultistatus(xml, 'https://dav.example/cal/');
    expect(ms.syncToken).toBe('tok');
    expect(ms.responses).toHaveLength(1);
    expect(ms.responses[0]?.href).toBe('/cal/a%20b.ics');
    expect(propText(ms.responses[0]!, 'getetag')).toBe('"1"');
  });

  it('reads removed members and nested hrefs', () => {
    const ms = parseMultistatus(
      `<x:multistatus xmlns:x="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav"><x:response><x:href>/c/gone.ics</x:href><x:status>HTTP/1.1 404 Not Found</x:status></x:response>
       <x:response><x:href>/p/</x:href><x:propstat><x:prop><cal:calendar-home-set><x:href>/home/</x:href></cal:calendar-home-set></x:prop><x:status>HTTP/1.1 200 OK</x:status></x:propstat></x:response></x:multistatus>`,
      'https://dav.example/',
    );
    expect(ms.responses[0]).toMatchObject({ href: '/c/gone.ics', status: 404 });
    expect(propHrefs(ms.responses[1]!, 'calendar-home-set')).toEqual(['/home/']);
  });
});

describe('href spelling', () => {
  it('gives one id whatever a server percent-encodes', () => {
    const base = 'https://dav.example/';
    const ids = [
      '/alice@example.com/cal/a b.ics',
      '/alice%40example.com/cal/a%20b.ics',
      'https://dav.example/alice%40example.com/cal/a b.ics',
    ];
    expect(new Set(ids.map((h) => hrefPath(h, base)))).toEqual(new Set(['/alice%40example.com/cal/a%20b.ics']));
  });
});

describe('iCalendar written by other clients', () => {
  const ics = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Other//EN',
    'BEGIN:VTIMEZONE',
    'TZID:W. Europe Standard Time',
    'BEGIN:STANDARD',
    'DTSTART:16010101T030000',
    'TZOFFSETFROM:+0200',
    'TZOFFSETTO:+0100',
    'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10',
    'END:STANDARD',
    'BEGIN:DAYLIGHT',
    'DTSTART:16010101T020000',
    'TZOFFSETFROM:+0100',
    'TZOFFSETTO:+0200',
    'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3',
    'END:DAYLIGHT',
    'END:VTIMEZONE',
    'BEGIN:VEVENT',
    'UID:abc',
    'DTSTAMP:20260101T000000Z',
    'DTSTART;TZID=W. Europe Standard Time:20270601T090000',
    'DURATION:PT45M',
    'SUMMARY:Stand-up',
    'RRULE:FREQ=DAILY;COUNT=5',
    'ORGANIZER;CN=Boss:mailto:Boss@Example.com',
    'ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com',
    'ATTENDEE:MAILTO:Dave@Example.com',
    'CLASS:CONFIDENTIAL',
    'BEGIN:VALARM',
    'TRIGGER;RELATED=START:-PT10M',
    'ACTION:AUDIO',
    'END:VALARM',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'UID:abc',
    'DTSTAMP:20260101T000000Z',
    'RECURRENCE-ID;TZID=W. Europe Standard Time:20270603T090000',
    'DTSTART;TZID=W. Europe Standard Time:20270603T090000',
    'DURATION:PT45M',
    'STATUS:CANCELLED',
    'SUMMARY:Stand-up',
    'END:VEVENT',
    'END:VCALENDAR',
  ].join('\r\n');

  it('resolves a Windows TZID through its VTIMEZONE, folds cancelled overrides into exdates and knows who organises', () => {
    const [master, ...rest] = parseResource({ href: '/c/abc.ics', etag: '"e"', calendarId: '/c/' }, ics, {
      addresses: ['me@example.com'],
    });
    expect(rest).toEqual([]);
    expect(master?.fields.timing).toEqual({
      kind: 'timed',
      start: '2027-06-01T07:00:00.000Z',
      end: '2027-06-01T07:45:00.000Z',
      timeZone: 'W. Europe Standard Time',
    });
    expect(master?.fields.recurrence).toEqual({ rrule: 'FREQ=DAILY;COUNT=5', exdates: ['2027-06-03T07:00:00.000Z'] });
    expect(master?.fields.attendees).toEqual([{ email: 'dave@example.com' }]);
    expect(master?.fields.visibility).toBe('private');
    expect(master?.fields.reminderMinutes).toBe(10);
    expect(master?.isOrganizer).toBe(false);
    expect(master?.crmTag).toBeNull();
  });
});

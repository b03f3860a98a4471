import ICAL from 'ical.js';
import { instantOf, vtimezoneLines, wallClockAt } from '../../../src/providers/calendar/caldav/time-zones';

function zoneOf(lines: string[]): ICAL.Timezone {
  const cal = ICAL.Component.fromString(['BEGIN:VCALENDAR', ...lines, 'END:VCALENDAR'].join('\r\n'));
  const tzid = cal.getFirstSubcomponent('vtimezone')?.getFirstPropertyValue('tzid');
  return cal.getTimeZoneByID(String(tzid));
}

describe('time zones from Intl', () => {
  it('converts wall clocks to instants across daylight saving time', () => {
    const summer = { year: 2026, month: 7, day: 1, hour: 9, minute: 0, second: 0 };
    expect(new Date(instantOf(summer, 'Europe/Berlin')).toISOString()).toBe('2026-07-01T07:00:00.000Z');
    const winter = { ...summer, month: 1 };
    expect(new Date(instantOf(winter, 'Europe/Berlin')).toISOString()).toBe('2026-01-01T08:00:00.000Z');
    expect(wallClockAt(Date.UTC(2026, 6, 1, 7), 'Europe/Berlin')).toMatchObject({ hour: 9, day: 1 });
  });

  it.each(['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Tokyo', 'America/Sao_Paulo'])(
    'writes a VTIMEZONE for %s that ical.js reads back to the same offsets',
    (zone) => {
      const tz = zoneOf(vtimezoneLines(zone, 2026));
      for (const month of [1, 3, 4, 6, 10, 11, 12]) {
        for (const hour of [0, 12]) {
          const wall = { year: 2026, month, day: 15, hour, minute: 0, second: 0 };
          const expected = instantOf(wall, zone);
          const t = new ICAL.Time({ ...wall, isDate: false }, tz);
          expect(t.toUnixTime() * 1000).toBe(expected);
        }
      }
    },
  );
});

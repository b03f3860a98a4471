/** CrmCapabilities.missingFields: a field the CRM has no column for (for one activity type) is left alone both ways. */
import { makeWorld } from './helpers';

describe('a field the CRM cannot hold for a type', () => {
  const caps = { crm: { missingFields: { call: ['location'] as const } } };

  test('a location typed on a call’s event stays in the calendar; nothing is written back and forth', async () => {
    const w = makeWorld({}, caps);
    const call = w.crmCreate({ type: 'call' }, { location: '' });
    await w.run();
    const [ev] = w.eventsFor(call.id);
    w.cal.userUpdate(ev!.id, { location: 'Dial-in 555-0100', subject: 'Call with ACME' });
    const before = w.writes();
    const r = await w.run();
    expect(r.errors).toEqual([]);
    expect(w.crm.get(call.id)!.fields.subject).toBe('Call with ACME');
    expect(w.crm.get(call.id)!.fields.location).toBe('');
    expect(w.cal.get(ev!.id)!.fields.location).toBe('Dial-in 555-0100');
    expect(w.writes()).toEqual({ crm: before.crm + 1, calendar: before.calendar });
    const quiet = await w.run();
    expect(quiet.crm.updated + quiet.calendar.updated).toBe(0);
  });

  test('other types still carry the field', async () => {
    const w = makeWorld({}, caps);
    const meeting = w.crmCreate({ type: 'meeting' });
    await w.run();
    const [ev] = w.eventsFor(meeting.id);
    w.cal.userUpdate(ev!.id, { location: 'Room 9' });
    await w.run();
    expect(w.crm.get(meeting.id)!.fields.location).toBe('Room 9');
  });
});

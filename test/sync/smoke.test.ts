import { makeWorld, fields } from './helpers';

test('smoke: CRM item → event, then no-op, then edit', async () => {
  const w = makeWorld();
  const item = w.crmCreate();
  const r1 = await w.run();
  expect(r1.errors).toEqual([]);
  expect(r1.status).toBe('succeeded');
  expect(r1.calendar.created).toBe(1);
  expect(w.eventsFor(item.id)).toHaveLength(1);
  const before = w.writes();
  const r2 = await w.run();
  expect(w.writes()).toEqual(before);
  expect(r2.status).toBe('succeeded');
  w.crm.userUpdate(item.id, { subject: 'New subject' });
  await w.run();
  expect(w.eventsFor(item.id)[0]!.fields.subject).toBe('New subject');
  const ev = w.eventsFor(item.id)[0]!;
  w.cal.userUpdate(ev.id, { location: 'Room 9' });
  await w.run();
  expect(w.crm.get(item.id)!.fields.location).toBe('Room 9');
  const e2 = w.cal.userCreate('primary', { fields: fields({ subject: 'From calendar' }) });
  const r5 = await w.run();
  expect(r5.crm.created).toBe(1);
  expect(w.crm.all().filter((i) => i.iCalUId === e2.iCalUId)).toHaveLength(1);
  const before2 = w.writes();
  await w.run();
  expect(w.writes()).toEqual(before2);
});

/** One test per setting of SPEC §4 (table-driven where it fits). */
import { fields, hoursFromNow, makeWorld, USER } from './helpers';
import type { ActivityType } from '../../src/sync/model';

describe('§4 sync records (related only / all)', () => {
  test.each([
    ['related', [], [], 0],
    ['related', [{ email: 'client@acme.test' }], [], 1],
    ['related', [{ email: USER.toUpperCase() }], [], 0], // only the user: not related
    ['related', [], ['contact-7'], 1], // linked to a contact: related
    ['all', [], [], 1],
  ] as const)('%s with attendees %j and contacts %j → %i event(s)', async (syncRecords, attendees, contactIds, n) => {
    const w = makeWorld({ syncRecords });
    const item = w.crmCreate({ links: { contactIds: [...contactIds], companyIds: [] } }, { attendees: [...attendees] });
    await w.run();
    expect(w.eventsFor(item.id)).toHaveLength(n);
  });

  test('an event with no invitee besides the user is not imported in related mode', async () => {
    const w = makeWorld({ syncRecords: 'related' });
    w.cal.userCreate('primary', { fields: fields({ attendees: [{ email: USER }] }) });
    const r = await w.run();
    expect(w.crm.all()).toHaveLength(0);
    expect(r.skipped).toBe(1);
  });
});

describe('§4 sync direction', () => {
  test.each(['two-way', 'crm-to-calendar', 'calendar-to-crm'] as const)(
    '%s writes only where it may',
    async (direction) => {
      const w = makeWorld({ direction });
      const item = w.crmCreate();
      w.cal.userCreate('primary', { fields: fields({ subject: 'From the calendar' }) });
      await w.run();
      const crmWrites = w.crm.writeLog.length;
      const calWrites = w.cal.writeLog.length;
      expect(w.eventsFor(item.id)).toHaveLength(direction === 'calendar-to-crm' ? 0 : 1);
      expect(w.crm.all().filter((i) => i.origin === 'calendar')).toHaveLength(direction === 'crm-to-calendar' ? 0 : 1);
      if (direction === 'crm-to-calendar') expect(crmWrites).toBe(0);
      if (direction === 'calendar-to-crm') expect(calWrites).toBe(0);
    },
  );

  test('one-way CRM → calendar: edits made on the event are left alone until the CRM item changes', async () => {
    const w = makeWorld({ direction: 'crm-to-calendar' });
    const item = w.crmCreate();
    await w.run();
    const ev = w.eventsFor(item.id)[0]!;
    w.cal.userUpdate(ev.id, { location: 'Moved by hand' });
    await w.run();
    expect(w.cal.get(ev.id)!.fields.location).toBe('Moved by hand');
    expect(w.crm.get(item.id)!.fields.location).toBe('Room 1');
    w.crm.userUpdate(item.id, { body: 'New agenda' });
    await w.run();
    expect(w.cal.get(ev.id)!.fields).toMatchObject({ location: 'Room 1', body: 'New agenda' });
    expect(w.crm.writeLog).toHaveLength(0);
  });

  test('one-way CRM → calendar: an event deleted in the calendar is not re-created until the item changes', async () => {
    const w = makeWorld({ direction: 'crm-to-calendar' });
    const item = w.crmCreate();
    // Another event, so the calendar does not come back empty (that would trip the deletion breaker).
    w.cal.userCreate('primary', { fields: fields({ subject: 'Dentist' }) });
    await w.run();
    w.cal.userDelete(w.eventsFor(item.id)[0]!.id);
    await w.run();
    await w.run();
    expect(w.eventsFor(item.id)).toHaveLength(0);
    expect(await w.store.listTombstones()).toHaveLength(1);
    w.crm.userUpdate(item.id, { subject: 'Changed' });
    await w.run();
    expect(w.eventsFor(item.id)).toHaveLength(1);
  });

  test('one-way calendar → CRM: an activity deleted in the CRM is not re-imported until the event changes', async () => {
    const w = makeWorld({ direction: 'calendar-to-crm' });
    const ev = w.cal.userCreate('primary', { fields: fields() });
    await w.run();
    const item = w.crm.all()[0]!;
    w.crmCreate({ type: 'note' }); // the CRM does not come back empty (that would trip the deletion breaker)
    w.crm.userDelete(item.id);
    await w.run();
    await w.run();
    expect(w.crm.all().filter((i) => i.origin === 'calendar')).toHaveLength(0);
    w.cal.userUpdate(ev.id, { subject: 'Renamed' });
    await w.run();
    expect(
      w.crm
        .all()
        .filter((i) => i.origin === 'calendar')
        .map((i) => i.fields.subject),
    ).toEqual(['Renamed']);
    expect(w.cal.writeLog).toHaveLength(0);
  });
});

describe('§4 sync invitees', () => {
  test.each([
    [true, ['client@acme.test']],
    [false, []],
  ])('syncInvitees %s → event attendees %j', async (syncInvitees, expected) => {
    const w = makeWorld({ syncInvitees });
    const item = w.crmCreate();
    await w.run();
    expect(w.eventsFor(item.id)[0]!.fields.attendees.map((a) => a.email)).toEqual(expected);
  });
});

describe('§4/§5 e-mail invitations', () => {
  test.each([
    ['never', 0, 0],
    ['always', 1, 1],
    ['after-first-sync', 0, 1],
  ] as const)('%s: first sync sends %i, a later change sends %i', async (invitations, first, later) => {
    const w = makeWorld({ invitations });
    const item = w.crmCreate();
    await w.run();
    expect(w.cal.sentMail).toHaveLength(first);
    w.crm.userUpdate(item.id, { subject: 'Moved' });
    const r = await w.run();
    expect(w.cal.sentMail.length - first).toBe(later);
    expect(r.invitationsSent).toBe(later);
  });

  test('never: no write asks for mail, not even deletes of organised events', async () => {
    const w = makeWorld({ invitations: 'never' });
    const item = w.crmCreate();
    await w.run();
    w.crm.userDelete(item.id);
    await w.run();
    expect(
      w.cal.writeLog.every((x) =>
        x.write.op === 'delete' ? !x.write.sendCancellations : !x.write.draft.sendInvitations,
      ),
    ).toBe(true);
    expect(w.cal.sentMail).toHaveLength(0);
  });

  test('a version bump without a change in a synced field makes no write (no update mail)', async () => {
    const w = makeWorld({ invitations: 'always' });
    const item = w.crmCreate();
    await w.run();
    w.crm.userTouch(item.id);
    w.cal.userTouch(w.eventsFor(item.id)[0]!.id);
    const before = w.writes();
    await w.run();
    expect(w.writes()).toEqual(before);
  });
});

describe('§4/§5.1 conflict policy', () => {
  test.each([
    ['crm-wins', 'CRM title'],
    ['calendar-wins', 'Calendar title'],
    ['most-recent-wins', 'Calendar title'], // the calendar edit is later
  ] as const)('%s: both sides changed the title → %s', async (conflictPolicy, winner) => {
    const w = makeWorld({ conflictPolicy });
    const item = w.crmCreate();
    await w.run();
    const ev = w.eventsFor(item.id)[0]!;
    w.clock.now = new Date(w.clock.now.getTime() + 60_000);
    w.crm.userUpdate(item.id, { subject: 'CRM title', body: 'CRM body' });
    w.clock.now = new Date(w.clock.now.getTime() + 60_000);
    w.cal.userUpdate(ev.id, { subject: 'Calendar title', location: 'Calendar room' });
    const r = await w.run();
    expect(r.conflicts).toBe(1);
    expect(w.crm.get(item.id)!.fields).toMatchObject({ subject: winner, body: 'CRM body', location: 'Calendar room' });
    expect(w.cal.get(ev.id)!.fields).toMatchObject({ subject: winner, body: 'CRM body', location: 'Calendar room' });
    const [c] = await w.store.listConflicts({ crmId: item.id }, 10);
    expect(c).toMatchObject({
      field: 'subject',
      crmValue: 'CRM title',
      calendarValue: 'Calendar title',
      policy: conflictPolicy,
    });
  });
});

describe('§4 past window', () => {
  test('items that ended before the window are not created; linked ones that leave it are left alone', async () => {
    const w = makeWorld({ pastWindowDays: 30, syncRecords: 'all' });
    const old = w.crmCreate({ syncToCalendar: true }, {});
    w.crm.userUpdate(old.id, {
      timing: { kind: 'timed', start: hoursFromNow(-24 * 40), end: hoursFromNow(-24 * 40 + 1), timeZone: 'UTC' },
    });
    const soon = w.crmCreate({}, {});
    await w.run();
    expect(w.eventsFor(old.id)).toHaveLength(0);
    expect(w.eventsFor(soon.id)).toHaveLength(1);
    w.clock.now = new Date(w.clock.now.getTime() + 90 * 86_400_000);
    w.crm.expireCursors();
    w.cal.expireCursors('primary');
    const r = await w.run();
    expect(r.calendar.deleted + r.crm.archived + r.crm.updated).toBe(0);
    expect(w.eventsFor(soon.id)).toHaveLength(1);
  });
});

describe('§4 private events', () => {
  test.each([
    ['skip', 0, null],
    ['private', 1, 'Quarterly review'],
    ['busy', 1, 'Busy'],
  ] as const)('%s → %i event(s), title %s', async (privateEvents, n, subject) => {
    const w = makeWorld({ privateEvents });
    const item = w.crmCreate({}, { visibility: 'private' });
    await w.run();
    const evs = w.eventsFor(item.id);
    expect(evs).toHaveLength(n);
    if (n) {
      expect(evs[0]!.fields.subject).toBe(subject);
      expect(evs[0]!.fields.visibility).toBe('private');
      if (privateEvents === 'busy') expect(evs[0]!.fields).toMatchObject({ body: '', location: '', attendees: [] });
    }
  });
});

describe('§4 activity types pushed and flag defaults', () => {
  test.each<[ActivityType, boolean | null, number, ActivityType[]]>([
    ['meeting', null, 1, ['meeting', 'call', 'follow-up']],
    ['call', null, 1, ['meeting', 'call', 'follow-up']],
    ['follow-up', null, 1, ['meeting', 'call', 'follow-up']],
    ['call', null, 0, ['meeting']], // type not pushed
    ['task', null, 0, ['task']], // task default flag: off
    ['task', true, 1, ['task']],
    ['note', true, 0, ['meeting', 'call', 'follow-up', 'task']], // notes never
    ['meeting', false, 0, ['meeting']],
  ])('%s with flag %s → %i event(s) (types %j)', async (type, flag, n, activityTypes) => {
    const w = makeWorld({ activityTypes: activityTypes as never, syncRecords: 'all' });
    const item = w.crmCreate({ type, syncToCalendar: flag });
    await w.run();
    expect(w.eventsFor(item.id)).toHaveLength(n);
  });

  test('default flag: a meeting already in the past is off', async () => {
    const w = makeWorld({ syncRecords: 'all' });
    const item = w.crmCreate({}, {});
    w.crm.userUpdate(item.id, {
      timing: { kind: 'timed', start: hoursFromNow(-5), end: hoursFromNow(-4), timeZone: 'UTC' },
    });
    expect((await w.preview()).actions.find((a) => a.crmId === item.id)?.reason).toMatch(/Sync to calendar is off/);
    const r = await w.run();
    expect(w.eventsFor(item.id)).toHaveLength(0);
    expect(r.skipped).toBe(1);
    const [trail] = await w.store.listTrail({ crmId: item.id }, 5);
    expect(trail).toMatchObject({ action: 'calendar:skip', reason: 'Sync to calendar is off for this item.' });
  });
});

describe('§4/§5 tasks: due date, event length, completion', () => {
  test('task event starts at the due time and lasts taskEventMinutes; completion strikes the title and frees the time', async () => {
    const w = makeWorld({ activityTypes: ['task'], taskEventMinutes: 45, syncRecords: 'all' });
    const due = hoursFromNow(30);
    const item = w.crmCreate(
      { type: 'task', syncToCalendar: true, priority: 'high' },
      { timing: { kind: 'timed', start: due, end: due, timeZone: 'UTC' }, attendees: [], subject: 'Call back' },
    );
    await w.run();
    const ev = w.eventsFor(item.id)[0]!;
    expect(ev.fields.timing).toMatchObject({ start: due, end: hoursFromNow(30.75) });
    expect(ev.category).toBe('Red category');
    w.crm.userUpdate(item.id, { completed: true });
    await w.run();
    const done = w.cal.get(ev.id)!;
    expect(done.fields.subject).toBe('C̶a̶l̶l̶ ̶b̶a̶c̶k̶');
    expect(done.fields.showAs).toBe('free');
    expect(w.crm.get(item.id)!.fields.subject).toBe('Call back');
    const before = w.writes();
    await w.run();
    expect(w.writes()).toEqual(before);
  });

  test('a task without a due date never syncs, and the reason says why', async () => {
    const w = makeWorld({ activityTypes: ['task'], syncRecords: 'all' });
    const item = w.crmCreate({ type: 'task', syncToCalendar: true }, { timing: null as never });
    const p = await w.preview();
    expect(p.actions.find((a) => a.crmId === item.id)?.reason).toBe('Tasks without a due date never sync.');
    await w.run();
    expect(w.cal.size).toBe(0);
  });
});

describe('§4 default reminder', () => {
  test('a CRM without reminders gives events the default reminder; one with reminders syncs its own', async () => {
    const a = makeWorld({ defaultReminderMinutes: 60 }, { crm: { reminders: false } });
    const i1 = a.crmCreate({}, { reminderMinutes: 5 });
    await a.run();
    expect(a.eventsFor(i1.id)[0]!.fields.reminderMinutes).toBe(60);
    const b = makeWorld({ defaultReminderMinutes: 60 });
    const i2 = b.crmCreate({}, { reminderMinutes: 5 });
    await b.run();
    const ev = b.eventsFor(i2.id)[0]!;
    expect(ev.fields.reminderMinutes).toBe(5);
    b.cal.userUpdate(ev.id, { reminderMinutes: 30 });
    await b.run();
    expect(b.crm.get(i2.id)!.fields.reminderMinutes).toBe(30);
  });
});

describe('§4/§5 contacts for attendees', () => {
  test.each([
    [false, 1, ['contact-known'], ['company-1']],
    [true, 2, ['contact-known'], ['company-1']],
  ])(
    'createContacts %s: matched case-insensitively; unknown ones created only when on',
    async (createContacts, contacts, known, companies) => {
      const w = makeWorld({ createContacts });
      w.crm.data.people.push({
        email: 'Known@Client.test',
        contactId: 'contact-known',
        kind: 'contact',
        name: 'K',
        companyId: 'company-1',
      });
      w.cal.userCreate('primary', {
        fields: fields({ attendees: [{ email: 'KNOWN@client.test' }, { email: 'stranger@else.test' }] }),
      });
      await w.run();
      const [item] = w.crm.all();
      expect(item!.links.companyIds).toEqual(companies);
      expect(item!.links.contactIds.slice(0, 1)).toEqual(known);
      expect(item!.links.contactIds).toHaveLength(contacts);
      expect(w.crm.data.people).toHaveLength(createContacts ? 2 : 1);
    },
  );
});

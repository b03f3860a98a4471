/**
 * SPEC §5 invitations "never" against a calendar that mails attendees on any write to a meeting the user organises
 * (Graph): while invitations are off the engine holds such writes back (the CRM change is kept, the pane says why),
 * stays converged (no write, no error, no re-plan on later runs) and sends what is owed once invitations are on.
 */
import type { SyncSettings } from '../../src/shared/settings';
import { fields, makeWorld, type World } from './helpers';
import { NotifyingCalendar } from './notifying-calendar';

const HELD_UPDATE =
  'Updating this meeting in the calendar would e-mail its attendees; invitations are off: the CRM change (subject) is kept';
const HELD_DELETE = 'Deleting this meeting in the calendar would e-mail its attendees; invitations are off';

function graphLike(
  settings: Partial<SyncSettings>,
  opts: { mailsWhenCancelled?: boolean } = {},
): World & { notifying: NotifyingCalendar } {
  const w = makeWorld({ syncRecords: 'all', ...settings });
  const notifying = new NotifyingCalendar(w.cal, opts);
  w.ctx.calendar = notifying;
  return Object.assign(w, { notifying });
}

async function trailReasons(w: World, eventId: string): Promise<string> {
  return (await w.store.listTrail({ eventId }, 50)).map((t) => t.reason).join('\n');
}

/** An Outlook meeting imported as a CRM activity, then edited in the CRM. */
async function importedMeetingEditedInCrm(
  settings: Partial<SyncSettings>,
  event: { isOrganizer: boolean; attendees: boolean },
) {
  const w = graphLike(settings);
  const ev = w.cal.userCreate('primary', {
    fields: fields({ subject: 'Board meeting', attendees: event.attendees ? [{ email: 'chair@board.test' }] : [] }),
    isOrganizer: event.isOrganizer,
  });
  await w.run();
  const item = w.crm.all().find((i) => i.iCalUId === ev.iCalUId)!;
  w.crm.userUpdate(item.id, { subject: 'Board meeting (CRM notes)' });
  return { w, ev, item };
}

describe('a CRM edit to an imported Outlook meeting: written or held back', () => {
  test.each([
    // invitations, the user organises it, it has attendees → held?
    ['never', true, true, true],
    ['never', false, true, false],
    ['never', true, false, false],
    ['after-first-sync', true, true, false], // the first sync is done: invitations are on
    ['always', true, true, false],
  ] as const)('invitations %s, organiser %s, attendees %s → held %s', async (mode, org, att, held) => {
    const { w, ev, item } = await importedMeetingEditedInCrm(
      { invitations: mode },
      { isOrganizer: org, attendees: att },
    );
    const before = w.cal.writeLog.length;
    const r = await w.run();
    expect(r.errors).toEqual([]);
    expect(w.notifying.refused).toEqual([]);
    expect(w.crm.get(item.id)!.fields.subject).toBe('Board meeting (CRM notes)');
    expect(w.cal.get(ev.id)!.fields.subject).toBe(held ? 'Board meeting' : 'Board meeting (CRM notes)');
    expect(w.cal.writeLog.length - before).toBe(held ? 0 : 1);
    expect(r.skipped).toBe(held ? 1 : 0);
    if (held) {
      expect(w.cal.sentMail).toEqual([]);
      expect(await trailReasons(w, ev.id)).toContain(HELD_UPDATE);
    }
    // Converged either way: the next run writes nothing and plans nothing for the pair.
    const writes = w.writes();
    const again = await w.run();
    expect(w.writes()).toEqual(writes);
    expect(again.skipped).toBe(0);
    expect(again.errors).toEqual([]);
  });
});

describe('a CRM edit to a meeting the connector created with invitations', () => {
  test.each([
    // invitations at the edit, reset before the run (re-pairing is silent) → held?
    ['never', false, true],
    ['always', true, true],
    ['after-first-sync', true, true],
    ['always', false, false],
  ] as const)('invitations %s, after a reset %s → held %s', async (mode, reset, held) => {
    const w = graphLike({ invitations: 'always' });
    const item = w.crmCreate({}, { subject: 'Demo', attendees: [{ email: 'client@acme.test' }] });
    await w.run();
    const [ev] = w.eventsFor(item.id);
    w.setSettings({ invitations: mode });
    w.crm.userUpdate(item.id, { subject: 'Demo (moved room)' });
    if (reset) await w.store.reset();
    const mails = w.cal.sentMail.length;
    const r = await w.run();
    expect(r.errors).toEqual([]);
    expect(w.notifying.refused).toEqual([]);
    expect(w.cal.get(ev!.id)!.fields.subject).toBe(held ? 'Demo' : 'Demo (moved room)');
    expect(w.cal.sentMail.length - mails).toBe(held ? 0 : 1);
    if (held) expect(await trailReasons(w, ev!.id)).toContain(HELD_UPDATE);
    // After a reset the next run is no longer silent (unless invitations are never): the owed update goes out then.
    await w.run();
    const owedSent = held && mode !== 'never';
    expect(w.cal.get(ev!.id)!.fields.subject).toBe(held && !owedSent ? 'Demo' : 'Demo (moved room)');
    expect(w.cal.sentMail.length - mails).toBe(held && !owedSent ? 0 : 1);
    const writes = w.writes();
    await w.run();
    expect(w.writes()).toEqual(writes);
    expect(w.eventsFor(item.id)).toHaveLength(1);
  });
});

test('the held change goes out (with the update mail) once invitations are on', async () => {
  const { w, ev } = await importedMeetingEditedInCrm({ invitations: 'never' }, { isOrganizer: true, attendees: true });
  await w.run();
  await w.run();
  expect(w.cal.get(ev.id)!.fields.subject).toBe('Board meeting');
  w.setSettings({ invitations: 'always' });
  const r = await w.run();
  expect(r.calendar.updated).toBe(1);
  expect(w.cal.get(ev.id)!.fields.subject).toBe('Board meeting (CRM notes)');
  expect(w.cal.sentMail.map((m) => m.kind)).toEqual(['update']);
  const links = await w.store.loadLinks();
  expect(links[0]!.heldPush).toBeUndefined();
  const writes = w.writes();
  await w.run();
  expect(w.writes()).toEqual(writes);
});

test('while held, calendar edits still reach the CRM and the CRM change stays owed', async () => {
  const { w, ev, item } = await importedMeetingEditedInCrm(
    { invitations: 'never' },
    { isOrganizer: true, attendees: true },
  );
  await w.run();
  w.cal.userUpdate(ev.id, { location: 'Board room' });
  const r = await w.run();
  expect(r.crm.updated).toBe(1);
  expect(w.crm.get(item.id)!.fields).toMatchObject({ location: 'Board room', subject: 'Board meeting (CRM notes)' });
  expect(w.cal.get(ev.id)!.fields.subject).toBe('Board meeting');
  expect(Object.keys((await w.store.loadLinks())[0]!.heldPush!.shown)).toEqual(['subject']);
  expect(w.notifying.refused).toEqual([]);
  w.setSettings({ invitations: 'always' });
  await w.run();
  expect(w.cal.get(ev.id)!.fields).toMatchObject({ location: 'Board room', subject: 'Board meeting (CRM notes)' });
});

test('a change of the same field on both sides while held is a conflict like any other', async () => {
  const { w, ev, item } = await importedMeetingEditedInCrm(
    { invitations: 'never', conflictPolicy: 'calendar-wins' },
    { isOrganizer: true, attendees: true },
  );
  await w.run();
  w.cal.userUpdate(ev.id, { subject: 'Board meeting (moved)' });
  const r = await w.run();
  expect(r.conflicts).toBe(1);
  expect(w.crm.get(item.id)!.fields.subject).toBe('Board meeting (moved)');
  expect((await w.store.loadLinks())[0]!.heldPush).toBeUndefined();
  const writes = w.writes();
  await w.run();
  expect(w.writes()).toEqual(writes);
});

describe('a deletion that would mail cancellations is held back too', () => {
  test.each([
    ['the CRM item is deleted', 'delete'],
    ['the CRM item is archived', 'archive'],
    ['Sync to calendar is turned off', 'flag'],
  ] as const)('%s, invitations never → the meeting stays, the deletion is owed', async (_n, how) => {
    const w = graphLike({ invitations: 'always' });
    const item = w.crmCreate({}, { attendees: [{ email: 'client@acme.test' }] });
    w.crmCreate({}, { subject: 'Keeps the calendar non-empty' });
    await w.run();
    const [ev] = w.eventsFor(item.id);
    expect(w.cal.sentMail.filter((m) => m.eventId === ev!.id).map((m) => m.kind)).toEqual(['invitation']);
    w.setSettings({ invitations: 'never' });
    if (how === 'delete') w.crm.userDelete(item.id);
    if (how === 'archive') w.crm.userArchive(item.id);
    if (how === 'flag') w.crm.userSetFlag(item.id, false);
    const r = await w.run();
    expect(r.errors).toEqual([]);
    expect(r.calendar.deleted).toBe(0);
    expect(w.notifying.refused).toEqual([]);
    expect(w.cal.get(ev!.id)).not.toBeNull();
    expect(await trailReasons(w, ev!.id)).toContain(HELD_DELETE);
    const link = (await w.store.loadLinks()).find((l) => l.crmId === item.id)!;
    expect(link.heldDelete).toBe(true);
    // Nothing re-planned while invitations stay off.
    const writes = w.writes();
    const again = await w.run();
    expect(w.writes()).toEqual(writes);
    expect(again.skipped).toBe(0);
    // Invitations on: the owed deletion goes out with its cancellation.
    w.setSettings({ invitations: 'always' });
    const on = await w.run();
    expect(on.calendar.deleted).toBe(1);
    expect(w.cal.get(ev!.id)).toBeNull();
    expect(w.cal.sentMail.filter((m) => m.eventId === ev!.id).map((m) => m.kind)).toEqual([
      'invitation',
      'cancellation',
    ]);
    expect((await w.store.loadLinks()).some((l) => l.crmId === item.id)).toBe(false);
  });

  test('the user deletes the meeting in the calendar meanwhile → the held link is simply forgotten', async () => {
    const w = graphLike({ invitations: 'always' });
    const item = w.crmCreate({}, { attendees: [{ email: 'client@acme.test' }] });
    w.crmCreate({}, { subject: 'Keeps the calendar non-empty' });
    await w.run();
    const [ev] = w.eventsFor(item.id);
    w.setSettings({ invitations: 'never' });
    w.crm.userSetFlag(item.id, false);
    await w.run();
    w.cal.userDelete(ev!.id);
    const r = await w.run();
    expect(r.errors).toEqual([]);
    expect((await w.store.loadLinks()).some((l) => l.crmId === item.id)).toBe(false);
    expect(w.crm.get(item.id)).toMatchObject({ archived: false, syncToCalendar: false });
  });

  test('the item is back in scope before invitations are on → nothing is deleted, the pair syncs again', async () => {
    const w = graphLike({ invitations: 'always' });
    const item = w.crmCreate({}, { attendees: [{ email: 'client@acme.test' }] });
    await w.run();
    const [ev] = w.eventsFor(item.id);
    w.setSettings({ invitations: 'never' });
    w.crm.userSetFlag(item.id, false);
    await w.run();
    w.crm.userSetFlag(item.id, true);
    w.setSettings({ invitations: 'always' });
    const r = await w.run();
    expect(r.calendar.deleted).toBe(0);
    expect(w.eventsFor(item.id).map((e) => e.id)).toEqual([ev!.id]);
    expect((await w.store.loadLinks()).find((l) => l.crmId === item.id)!.heldDelete).toBeUndefined();
  });
});

test('a settings change that would rewrite the meeting (private → busy block) is held and remembered, not lost', async () => {
  const w = graphLike({ invitations: 'always', privateEvents: 'private' });
  const item = w.crmCreate(
    {},
    { subject: 'Salary talk', visibility: 'private', attendees: [{ email: 'hr@acme.test' }] },
  );
  await w.run();
  const [ev] = w.eventsFor(item.id);
  w.setSettings({ invitations: 'never', privateEvents: 'busy' });
  const r = await w.run();
  expect(r.skipped).toBe(1);
  expect(w.cal.get(ev!.id)!.fields.subject).toBe('Salary talk');
  expect((await w.store.loadLinks())[0]!.heldPush).toBeDefined();
  w.setSettings({ invitations: 'always' });
  const on = await w.run();
  expect(on.errors).toEqual([]);
  expect(w.notifying.refused).toEqual([]);
  expect(on.calendar.updated).toBe(1);
  expect(w.cal.get(ev!.id)!.fields).toMatchObject({ subject: 'Busy', body: '' });
  expect(w.notifying.refused).toEqual([]);
});

test('a held deletion survives calendar edits: the deleted CRM item is not written to, nothing is re-imported', async () => {
  const w = graphLike({ invitations: 'never' });
  const ev = w.cal.userCreate('primary', {
    fields: fields({ subject: 'Board meeting', attendees: [{ email: 'chair@board.test' }] }),
    isOrganizer: true,
  });
  w.crmCreate({}, { subject: 'Keeps the CRM non-empty' });
  await w.run();
  const imported = w.crm.all().find((i) => i.iCalUId === ev.iCalUId)!;
  w.crm.userDelete(imported.id);
  await w.run();
  expect((await w.store.loadLinks()).find((l) => l.eventId === ev.id)!.heldDelete).toBe(true);
  w.cal.userUpdate(ev.id, { subject: 'Board meeting (moved)' });
  const r = await w.run();
  expect(r.errors).toEqual([]);
  expect(r.crm.created + r.crm.updated).toBe(0);
  expect(w.crm.all().filter((i) => i.iCalUId === ev.iCalUId && !i.archived)).toEqual([]);
  expect((await w.store.loadLinks()).find((l) => l.eventId === ev.id)!.heldDelete).toBe(true);
  w.setSettings({ invitations: 'always' });
  const on = await w.run();
  expect(on.calendar.deleted).toBe(1);
  expect(w.cal.get(ev.id)).toBeNull();
  expect(w.notifying.refused).toEqual([]);
});

test('a calendar edit that takes a CRM-born meeting out of scope: the CRM is updated, the deletion is held', async () => {
  const w = graphLike({ invitations: 'always', privateEvents: 'skip' });
  const item = w.crmCreate({}, { subject: 'Demo', attendees: [{ email: 'client@acme.test' }] });
  await w.run();
  const [ev] = w.eventsFor(item.id);
  w.setSettings({ invitations: 'never' });
  await w.run();
  w.cal.userUpdate(ev!.id, { visibility: 'private' }); // private + "skip": the pulled change takes it out of scope
  const r = await w.run();
  expect(r.errors).toEqual([]);
  expect(w.crm.get(item.id)!.fields.visibility).toBe('private');
  expect(w.cal.get(ev!.id)).not.toBeNull();
  expect(w.notifying.refused).toEqual([]);
  expect((await w.store.loadLinks()).find((l) => l.crmId === item.id)!.heldDelete).toBe(true);
  const writes = w.writes();
  await w.run();
  expect(w.writes()).toEqual(writes);
  w.setSettings({ invitations: 'always' });
  const on = await w.run();
  expect(on.calendar.deleted).toBe(1);
  expect(w.cal.get(ev!.id)).toBeNull();
  expect((await w.store.loadLinks()).some((l) => l.crmId === item.id)).toBe(false);
});

test.each([
  ['a calendar that tells nobody when a cancelled meeting is deleted', false, 'deleted at once'],
  ['a calendar that mails on any write, cancelled or not (Graph)', true, 'held until invitations are on'],
] as const)('a cancelled mirror of an item turned off, %s → %s', async (_n, mailsWhenCancelled, _outcome) => {
  const w = graphLike({ invitations: 'always' }, { mailsWhenCancelled });
  const item = w.crmCreate({}, { attendees: [{ email: 'client@acme.test' }] });
  w.crmCreate({}, { subject: 'Keeps the calendar non-empty' });
  await w.run();
  const [ev] = w.eventsFor(item.id);
  w.setSettings({ invitations: 'never' });
  w.crm.userSetFlag(item.id, false);
  w.cal.userCancel(ev!.id);
  const r = await w.run();
  expect(r.errors).toEqual([]);
  expect(w.notifying.refused).toEqual([]);
  expect(w.cal.get(ev!.id) === null).toBe(!mailsWhenCancelled);
  if (!mailsWhenCancelled) return;
  expect((await w.store.loadLinks()).find((l) => l.crmId === item.id)!.heldDelete).toBe(true);
  w.setSettings({ invitations: 'always' });
  await w.run();
  expect(w.cal.get(ev!.id)).toBeNull();
  expect(w.notifying.refused).toEqual([]);
});

test('an item back in scope with nothing else changed clears its held deletion (seed 185011091)', async () => {
  const w = graphLike({ direction: 'crm-to-calendar', invitations: 'always', activityTypes: ['meeting', 'task'] });
  const item = w.crmCreate({}, { subject: 'Demo', attendees: [{ email: 'client@acme.test' }] });
  await w.run();
  const [ev] = w.eventsFor(item.id);
  w.setSettings({ invitations: 'never', activityTypes: ['task'] }); // out of scope: deletion held
  await w.run();
  expect((await w.store.loadLinks())[0]!.heldDelete).toBe(true);
  w.setSettings({ invitations: 'always', activityTypes: ['meeting', 'task'] }); // back in scope, invitations on
  await w.run();
  expect((await w.store.loadLinks())[0]!.heldDelete).toBeUndefined();
  const r = await w.run();
  expect(r.calendar.deleted).toBe(0);
  expect(w.cal.get(ev!.id)).not.toBeNull();
});

test('a held busy-block rewrite stays owed across a later CRM edit (seed -1213036485)', async () => {
  const w = graphLike({ direction: 'crm-to-calendar', invitations: 'always', privateEvents: 'private' });
  const item = w.crmCreate(
    {},
    { subject: 'Salary talk', visibility: 'private', attendees: [{ email: 'hr@acme.test' }] },
  );
  await w.run();
  const [ev] = w.eventsFor(item.id);
  w.setSettings({ invitations: 'never', privateEvents: 'busy' });
  await w.run();
  w.crm.userUpdate(item.id, { subject: 'Salary talk (moved)' }); // the busy block looks the same: still owed
  await w.run();
  expect(Object.keys((await w.store.loadLinks())[0]!.heldPush!.shown)).toContain('subject');
  w.setSettings({ invitations: 'always' });
  await w.run();
  expect(w.cal.get(ev!.id)!.fields).toMatchObject({ subject: 'Busy', body: '' });
  expect(w.notifying.refused).toEqual([]);
});

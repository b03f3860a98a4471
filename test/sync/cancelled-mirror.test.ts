/**
 * Regression (engine property seed -1967551688 path 1359:…, memory providers): Sync to calendar turned off in the CRM
 * while the user cancelled the item's event in the calendar unlinked the pair but left the cancelled mirror with
 * the item's tag; turning the flag on again created a second event carrying that tag (SPEC §10.3). Our own cancelled
 * mirror of a CRM item that still exists is now removed with the link, without mail.
 */
import { fields, makeWorld } from './helpers';

describe('a cancelled mirror of a CRM item that still exists is removed when the pair comes apart', () => {
  test.each([
    ['Sync to calendar turned off', 'flag'],
    ['the item leaves scope (type no longer pushed)', 'scope'],
    ['the item is archived', 'archive'],
  ] as const)('%s while its event is cancelled → no second tagged event later', async (_n, how) => {
    const w = makeWorld({ invitations: 'always', activityTypes: ['meeting', 'call'] });
    const item = w.crmCreate({ type: 'call' });
    w.crmCreate({}, { subject: 'Keeps the calendar non-empty' });
    await w.run();
    const [ev] = w.eventsFor(item.id);
    if (how === 'flag') w.crm.userSetFlag(item.id, false);
    if (how === 'scope') w.setSettings({ activityTypes: ['meeting'] });
    if (how === 'archive') w.crm.userArchive(item.id);
    w.cal.userCancel(ev!.id);
    const mails = w.cal.sentMail.length;
    const r = await w.run();
    expect(r.errors).toEqual([]);
    expect(w.cal.get(ev!.id)).toBeNull();
    expect(w.cal.sentMail.length).toBe(mails); // already cancelled: nobody is told again
    expect(w.crm.get(item.id)!.archived).toBe(how === 'archive');
    expect((await w.store.loadLinks()).some((l) => l.crmId === item.id)).toBe(false);
    if (how === 'flag') w.crm.userSetFlag(item.id, true);
    if (how === 'scope') w.setSettings({ activityTypes: ['meeting', 'call'] });
    if (how === 'archive') return;
    await w.run();
    expect(w.eventsFor(item.id)).toHaveLength(1);
    expect(w.eventsFor(item.id)[0]!.cancelled).toBe(false);
  });

  test('an imported meeting cancelled in the calendar is the user’s own event: never deleted', async () => {
    const w = makeWorld();
    const ev = w.cal.userCreate('primary', { fields: fields({ subject: 'Imported' }) });
    w.crmCreate({}, { subject: 'Keeps the calendar non-empty' });
    await w.run();
    const imported = w.crm.all().find((i) => i.origin === 'calendar')!;
    w.crm.userSetFlag(imported.id, false);
    w.cal.userCancel(ev.id);
    await w.run();
    expect(w.cal.get(ev.id)).not.toBeNull();
  });
});

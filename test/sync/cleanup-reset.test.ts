/** SPEC §6: duplicate cleanup (preview / apply / undo for 7 days) and reset with silent re-pairing. */
import { fields, makeWorld, USER } from './helpers';
import { applyCleanup, previewCleanup, resetSync, undoCleanup } from '../../src/sync';
import { canonicalFields } from '../../src/sync/canonical';

describe('duplicate cleanup', () => {
  test('several events tagged with one CRM id: keeps the linked one, merges what only the copy has, undo restores', async () => {
    const w = makeWorld();
    const item = w.crmCreate();
    await w.run();
    const kept = w.eventsFor(item.id)[0]!;
    w.cal.userUpdate(kept.id, { location: '' });
    await w.run(); // the CRM follows (location cleared)
    const copy = w.cal.userCreate('primary', {
      fields: { ...canonicalFields(fields(), USER), location: 'Room from the copy' },
      crmTag: item.id,
    });
    const preview = await previewCleanup(w.ctx);
    expect(preview.groups).toEqual([
      {
        kind: 'tagged-events',
        keep: { side: 'calendar', id: kept.id, subject: 'Quarterly review' },
        remove: [{ side: 'calendar', id: copy.id, subject: 'Quarterly review' }],
        merged: [`location from event ${copy.id}`],
      },
    ]);
    expect(w.cal.get(copy.id)).not.toBeNull(); // preview changes nothing
    const rec = await applyCleanup(w.ctx);
    expect(w.cal.get(copy.id)).toBeNull();
    expect(w.cal.get(kept.id)!.fields.location).toBe('Room from the copy');
    expect(rec.removals).toEqual([expect.objectContaining({ side: 'calendar', id: copy.id })]);
    expect(w.cal.sentMail).toHaveLength(0);
    expect((await w.store.getCleanup(rec.id))!.appliedAt).not.toBeNull();
    const undone = await undoCleanup(w.ctx, rec.id);
    expect(undone.undoneAt).not.toBeNull();
    expect(w.cal.all().filter((e) => e.crmTag === item.id)).toHaveLength(2);
    await expect(undoCleanup(w.ctx, rec.id)).rejects.toThrow(/already undone/);
  });

  test('several CRM activities for one iCalUId: extras archived (never deleted) after their contacts are merged', async () => {
    const w = makeWorld();
    const ev = w.cal.userCreate('primary', { fields: fields() });
    await w.run();
    const imported = w.crm.all()[0]!;
    const extra = w.crm.userCreate({
      type: 'meeting',
      fields: { ...fields(), body: '' },
      iCalUId: ev.iCalUId,
      links: { contactIds: ['contact-9'], companyIds: ['company-9'] },
    });
    const rec = await applyCleanup(w.ctx);
    expect(w.crm.get(extra.id)!.archived).toBe(true);
    expect(w.crm.get(imported.id)!.links.contactIds).toContain('contact-9');
    expect(rec.removals[0]).toMatchObject({ side: 'crm', id: extra.id });
    await undoCleanup(w.ctx, rec.id);
    expect(w.crm.get(extra.id)!.archived).toBe(false);
  });

  test('identical subject + start + end where one is linked; never the last copy; undo expires after 7 days', async () => {
    const w = makeWorld();
    const item = w.crmCreate();
    await w.run();
    const twin = w.cal.userCreate('primary', { fields: fields() });
    const lonely = w.cal.userCreate('primary', { fields: fields({ subject: 'Unique' }) });
    const { groups } = await previewCleanup(w.ctx);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({
      kind: 'fingerprint',
      keep: { id: w.eventsFor(item.id)[0]!.id },
      remove: [{ id: twin.id }],
    });
    const rec = await applyCleanup(w.ctx);
    expect(w.cal.get(lonely.id)).not.toBeNull();
    w.clock.now = new Date(w.clock.now.getTime() + 8 * 86_400_000);
    await expect(undoCleanup(w.ctx, rec.id)).rejects.toThrow(/7 days/);
  });
});

describe('reset calendar sync', () => {
  test('forgets the state, keeps every item, and re-pairs by tag, iCalUId and fingerprint without writes or mail', async () => {
    const w = makeWorld({ invitations: 'always' });
    const a = w.crmCreate();
    w.cal.userCreate('primary', { fields: fields({ subject: 'Imported meeting' }) });
    await w.run();
    // A pair that only a fingerprint can find again: an untagged event and an unlinked CRM item, same subject/time.
    const f = w.crmCreate({}, { subject: 'Fingerprint' });
    w.cal.userCreate('primary', { fields: fields({ subject: 'Fingerprint' }) });
    const mail = w.cal.sentMail.length;
    const items = w.crm.all().length;
    const events = w.cal.size;
    await resetSync(w.ctx);
    expect(await w.store.loadLinks()).toHaveLength(0);
    expect((await w.store.getMeta()).repairing).toBe(true);
    const before = w.writes();
    const r = await w.run();
    expect(r.status).toBe('succeeded');
    // The only write: the fingerprint-paired CRM-born item learns its event's iCalUId (a tag, no mail).
    expect(w.crm.writeLog.slice(before.crm)).toEqual([
      { op: 'set-ical-uid', id: f.id, iCalUId: w.cal.all().find((e) => e.fields.subject === 'Fingerprint')!.iCalUId },
    ]);
    before.crm += 1;
    expect(w.writes()).toEqual(before);
    expect(w.cal.sentMail).toHaveLength(mail);
    expect(w.crm.all()).toHaveLength(items);
    expect(w.cal.size).toBe(events);
    const links = await w.store.loadLinks();
    expect(links.map((l) => l.crmId).sort()).toEqual(
      [a.id, f.id, w.crm.all().find((i) => i.origin === 'calendar')!.id].sort(),
    );
    expect((await w.store.getMeta()).repairing).toBe(false);
    await w.run();
    expect(w.writes()).toEqual(before);
  });

  test('an event the user deleted for a CRM item stays deleted after a reset when the CRM has no flag field', async () => {
    const w = makeWorld({}, { crm: { syncFlagField: false } });
    const a = w.crmCreate({}, { subject: 'Quarterly review' });
    w.crmCreate({}, { subject: 'Another meeting' }); // the calendar side is not empty (no deletion guard)
    await w.run();
    const event = w.cal.all().find((e) => e.crmTag === a.id)!;
    w.cal.userDelete(event.id);
    await w.run();
    // No flag to turn off: the connector's own "not again" note holds the user's decision.
    expect(w.cal.all().filter((e) => e.crmTag === a.id)).toEqual([]);
    await resetSync(w.ctx);
    const r = await w.run();
    expect(r.calendar.created).toBe(0);
    expect(w.cal.all().filter((e) => e.crmTag === a.id)).toEqual([]);
    expect(w.cal.size).toBe(1);
    await w.run();
    expect(w.cal.all().filter((e) => e.crmTag === a.id)).toEqual([]);
  });
});

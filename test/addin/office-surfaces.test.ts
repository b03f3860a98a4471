/**
 * The Office bridge on every surface the pane opens on (office-addin-mock): message read and compose, an
 * appointment the user organises and one they attend, a series, and an occurrence (read and compose). For each:
 * what the bridge reads, and the lookup the item panel sends (issue 18, point 11).
 */
import { onThemeChanged, currentTheme } from '../../src/addin/office/theme';
import { readCurrentItem } from '../../src/addin/office/item';
import { lookupFor } from '../../src/addin/views/item/lookup';
import { itemLookupQuerySchema } from '../../src/shared/api';
import { asyncValue, installOfficeMock, removeOfficeMock } from './support/office-mock';

afterEach(removeOfficeMock);

const sets = { Mailbox: '1.14', NestedAppAuth: '1.1' };
const times = {
  start: new Date('2026-11-23T09:00:00.000Z'),
  end: new Date('2026-11-23T10:00:00.000Z'),
};
const customer = { emailAddress: 'bob@customer.com', displayName: 'Bob' };
const me = { emailAddress: 'ann@example.com', displayName: 'Ann' };
const hints = (subject: string, organizer: string) => ({ subject, start: times.start.toISOString(), organizer });

async function surface(item: Record<string, unknown>) {
  installOfficeMock({ item, requirementSets: sets });
  const read = (await readCurrentItem())!;
  const query = lookupFor(read);
  if (query) expect(itemLookupQuerySchema.safeParse(query).success).toBe(true);
  return { read, query };
}

describe('Office bridge: one test per surface', () => {
  test('message, read mode: looked up by its first correspondent', async () => {
    const { read, query } = await surface({
      itemType: 'message',
      itemId: 'EWS-msg',
      subject: 'Offer',
      from: customer,
      to: [me],
      cc: [],
    });
    expect(read).toMatchObject({ kind: 'message', mode: 'read', seriesId: null, role: null, organizer: null });
    expect(query).toEqual({ email: 'bob@customer.com' });
  });

  test('message, compose mode: recipients through getAsync', async () => {
    const { read, query } = await surface({
      itemType: 'message',
      subject: asyncValue('Re: Offer'),
      to: asyncValue([customer]),
      cc: asyncValue([]),
      getItemIdAsync: (cb: (r: { status: string; value: string }) => void) => cb({ status: 'succeeded', value: 'x' }),
    });
    expect(read).toMatchObject({ kind: 'message', mode: 'compose' });
    expect(query).toEqual({ email: 'bob@customer.com' });
  });

  test('appointment the user organises, read mode: looked up by its event id', async () => {
    const { read, query } = await surface({
      itemType: 'appointment',
      itemId: 'EWS-single',
      subject: 'Review',
      ...times,
      organizer: me,
      requiredAttendees: [customer],
      optionalAttendees: [],
    });
    expect(read).toMatchObject({ role: 'organizer', organizer: 'ann@example.com', itemId: 'rest:EWS-single' });
    expect(read.seriesId).toBeNull();
    // What Outlook shows of the item goes with its id (the last resort for calendars without Graph).
    expect(query).toEqual({ eventId: 'rest:EWS-single', ...hints('Review', 'ann@example.com') });
  });

  test('appointment the user attends, read mode: their copy is looked up the same way, as attendee', async () => {
    const { read, query } = await surface({
      itemType: 'appointment',
      itemId: 'EWS-invite',
      subject: 'Their meeting',
      ...times,
      organizer: customer,
      requiredAttendees: [me],
      optionalAttendees: [],
    });
    expect(read).toMatchObject({ role: 'attendee', people: [{ email: 'bob@customer.com', name: 'Bob' }] });
    expect(read.organizer).toBe('bob@customer.com');
    expect(query).toEqual({ eventId: 'rest:EWS-invite', ...hints('Their meeting', 'bob@customer.com') });
  });

  test('a series master: no seriesId (Office.js gives null for the series item itself)', async () => {
    const { read, query } = await surface({
      itemType: 'appointment',
      itemId: 'EWS-master',
      subject: 'Weekly',
      ...times,
      organizer: me,
      requiredAttendees: [],
      optionalAttendees: [],
      recurrence: { recurrenceType: 'weekly' },
    });
    expect(read.seriesId).toBeNull();
    expect(query).toEqual({ eventId: 'rest:EWS-master', ...hints('Weekly', 'ann@example.com') });
  });

  test('an occurrence, read mode: its id and its series, both as REST ids', async () => {
    const { read, query } = await surface({
      itemType: 'appointment',
      itemId: 'EWS-occ',
      seriesId: 'EWS-master',
      subject: 'Weekly',
      ...times,
      organizer: customer,
      requiredAttendees: [me],
      optionalAttendees: [],
    });
    expect(read).toMatchObject({ itemId: 'rest:EWS-occ', seriesId: 'rest:EWS-master', role: 'attendee' });
    expect(query).toEqual({
      eventId: 'rest:EWS-occ',
      seriesId: 'rest:EWS-master',
      ...hints('Weekly', 'bob@customer.com'),
    });
  });

  test('an occurrence, compose mode (the organiser edits one instance): id from getItemIdAsync, series kept', async () => {
    const { read, query } = await surface({
      itemType: 'appointment',
      seriesId: 'EWS-master',
      subject: asyncValue('Weekly (moved)'),
      start: asyncValue(times.start),
      end: asyncValue(times.end),
      requiredAttendees: asyncValue([customer]),
      optionalAttendees: asyncValue([]),
      getItemIdAsync: (cb: (r: { status: string; value: string }) => void) =>
        cb({ status: 'succeeded', value: 'EWS-occ' }),
    });
    expect(read).toMatchObject({ mode: 'compose', role: 'organizer', seriesId: 'rest:EWS-master' });
    // Compose mode has no organizer property: the organiser is the signed-in user.
    expect(read.organizer).toBe('ann@example.com');
    expect(query).toEqual({
      eventId: 'rest:EWS-occ',
      seriesId: 'rest:EWS-master',
      ...hints('Weekly (moved)', 'ann@example.com'),
    });
  });

  test('below Mailbox 1.7 there is no seriesId to read', async () => {
    installOfficeMock({
      requirementSets: { Mailbox: '1.5' },
      item: { itemType: 'appointment', itemId: 'EWS-occ', seriesId: 'EWS-master', subject: 'x', ...times },
    });
    expect((await readCurrentItem())!.seriesId).toBeNull();
  });
});

describe('Office bridge: live theme', () => {
  test('OfficeThemeChanged (Mailbox 1.14) calls back, and the theme is read again', () => {
    const { handlers, office } = installOfficeMock({
      requirementSets: sets,
      officeTheme: { bodyBackgroundColor: '#ffffff' },
    });
    expect(currentTheme()).toBe('light');
    const seen: string[] = [];
    const stop = onThemeChanged(() => seen.push(currentTheme()));
    office.context.officeTheme.bodyBackgroundColor = '#1f1f1f';
    handlers.get('officeThemeChanged')!();
    expect(seen).toEqual(['dark']);
    stop();
    expect(handlers.has('officeThemeChanged')).toBe(false);
  });

  test('without Mailbox 1.14 nothing is registered (the theme is read at start)', () => {
    const { handlers } = installOfficeMock({ requirementSets: { Mailbox: '1.8' } });
    onThemeChanged(() => undefined);
    expect(handlers.size).toBe(0);
  });
});

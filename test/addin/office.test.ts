import { connectToOffice } from '../../src/addin/office';
import { isSetSupported, whenOfficeReady } from '../../src/addin/office/host';
import { onItemChanged, readCurrentItem } from '../../src/addin/office/item';
import { currentTheme } from '../../src/addin/office/theme';
import { asyncValue, installOfficeMock, removeOfficeMock } from './support/office-mock';

afterEach(removeOfficeMock);

const appointmentRead = {
  itemType: 'appointment',
  itemId: 'AAMk-event-1',
  subject: 'Quarterly review',
  start: new Date('2026-11-23T09:00:00.000Z'),
  end: new Date('2026-11-23T10:00:00.000Z'),
  organizer: { emailAddress: 'ann@example.com', displayName: 'Ann' },
  requiredAttendees: [
    { emailAddress: 'Bob@Customer.com', displayName: 'Bob' },
    { emailAddress: 'ann@example.com', displayName: 'Ann' },
  ],
  optionalAttendees: [{ emailAddress: 'bob@customer.com', displayName: 'Bob again' }],
};

describe('Office module', () => {
  it('outside a host: no Office, no requirement sets, no item', async () => {
    expect(await whenOfficeReady()).toEqual({ host: null, platform: null });
    expect(isSetSupported('Mailbox', '1.1')).toBe(false);
    expect(await readCurrentItem()).toBeNull();
    const bridge = await connectToOffice();
    expect(bridge.inOutlook).toBe(false);
    expect(bridge.supportsNaa()).toBe(false);
  });

  it('reads an appointment in read mode: REST id, times, attendees without the user, deduplicated', async () => {
    installOfficeMock({ item: appointmentRead });
    const bridge = await connectToOffice();
    expect(bridge.inOutlook).toBe(true);
    expect(bridge.supportsNaa()).toBe(true);
    expect(bridge.mailboxUser()).toEqual({ email: 'ann@example.com', name: 'Ann' });
    expect(await readCurrentItem()).toEqual({
      kind: 'appointment',
      mode: 'read',
      itemId: 'rest:AAMk-event-1',
      seriesId: null,
      role: 'organizer',
      organizer: 'ann@example.com',
      subject: 'Quarterly review',
      start: '2026-11-23T09:00:00.000Z',
      end: '2026-11-23T10:00:00.000Z',
      people: [{ email: 'bob@customer.com', name: 'Bob' }],
    });
  });

  it('reads a message: sender and recipients', async () => {
    installOfficeMock({
      item: {
        itemType: 'message',
        itemId: 'AAMk-msg-1',
        subject: 'Offer',
        from: { emailAddress: 'carol@customer.com', displayName: 'Carol' },
        to: [{ emailAddress: 'ann@example.com', displayName: 'Ann' }],
        cc: [{ emailAddress: 'dan@customer.com', displayName: 'Dan' }],
      },
    });
    const item = await readCurrentItem();
    expect(item).toMatchObject({ kind: 'message', itemId: 'rest:AAMk-msg-1', start: null });
    expect(item!.people.map((p) => p.email)).toEqual(['carol@customer.com', 'dan@customer.com']);
  });

  it('reads a compose appointment through getAsync; its id comes from getItemIdAsync (Mailbox 1.8)', async () => {
    installOfficeMock({
      item: {
        itemType: 'appointment',
        subject: asyncValue('Draft meeting'),
        start: asyncValue(new Date('2026-11-24T08:00:00.000Z')),
        end: asyncValue(new Date('2026-11-24T08:30:00.000Z')),
        requiredAttendees: asyncValue([{ emailAddress: 'eve@customer.com', displayName: 'Eve' }]),
        optionalAttendees: asyncValue([]),
        getItemIdAsync: (cb: (r: { status: string; value: string }) => void) =>
          cb({ status: 'succeeded', value: 'AAMk-saved' }),
      },
    });
    expect(await readCurrentItem()).toEqual({
      kind: 'appointment',
      mode: 'compose',
      itemId: 'rest:AAMk-saved',
      seriesId: null,
      role: 'organizer',
      organizer: 'ann@example.com',
      subject: 'Draft meeting',
      start: '2026-11-24T08:00:00.000Z',
      end: '2026-11-24T08:30:00.000Z',
      people: [{ email: 'eve@customer.com', name: 'Eve' }],
    });
  });

  it('has no id for a compose item on a host without Mailbox 1.8', async () => {
    installOfficeMock({
      requirementSets: { Mailbox: '1.7' },
      item: { itemType: 'appointment', subject: asyncValue('Unsaved'), requiredAttendees: asyncValue([]) },
    });
    expect((await readCurrentItem())!.itemId).toBeNull();
  });

  it('follows the selection through ItemChanged (Mailbox 1.5) and stops when asked', () => {
    const { handlers } = installOfficeMock({ item: appointmentRead });
    const seen: number[] = [];
    const stop = onItemChanged(() => seen.push(1));
    handlers.get('olkItemSelectedChanged')!();
    expect(seen).toEqual([1]);
    stop();
    expect(handlers.size).toBe(0);
  });

  it('does not listen for ItemChanged below Mailbox 1.5', () => {
    const { handlers } = installOfficeMock({ requirementSets: { Mailbox: '1.4' }, item: appointmentRead });
    onItemChanged(() => undefined);
    expect(handlers.size).toBe(0);
  });

  it('reads the theme from the Office body colour', () => {
    installOfficeMock({ officeTheme: { bodyBackgroundColor: '#1f1f1f' } });
    expect(currentTheme()).toBe('dark');
    removeOfficeMock();
    installOfficeMock({ officeTheme: { bodyBackgroundColor: '#FFFFFF' } });
    expect(currentTheme()).toBe('light');
  });
});

import '@testing-library/jest-dom';
import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { connectToOffice } from '../../src/addin/office';
import type { ItemView } from '../../src/shared/api';
import { FakeApi, report } from './support/fake-api';
import { installOfficeMock, removeOfficeMock } from './support/office-mock';
import { renderPane } from './support/render-pane';

afterEach(removeOfficeMock);

const record = (over: Partial<ItemView> = {}): ItemView => ({
  crmId: 'm-1',
  type: 'meeting',
  subject: 'Quarterly review',
  start: '2026-11-23T09:00:00.000Z',
  url: 'https://crm.example.com/meetings/m-1',
  syncToCalendar: true,
  cannotSyncReason: null,
  linkedEventId: 'AAMk-event-1',
  lastSyncedAt: '2026-11-20T10:00:05.000Z',
  conflicts: [],
  people: [
    {
      email: 'bob@customer.com',
      name: 'Bob Buyer',
      kind: 'contact',
      contactId: 'ct-1',
      companyId: 'co-1',
      companyName: 'Contoso',
    },
  ],
  trail: [
    {
      runId: 'run-1',
      at: '2026-11-20T10:00:05.000Z',
      crmId: 'm-1',
      eventId: 'AAMk-event-1',
      action: 'create-event',
      reason: 'Created the calendar event: new CRM meeting with invitees.',
    },
  ],
  ...over,
});

const appointment = {
  itemType: 'appointment',
  itemId: 'AAMk-event-1',
  subject: 'Quarterly review',
  start: new Date('2026-11-23T09:00:00.000Z'),
  end: new Date('2026-11-23T10:00:00.000Z'),
  requiredAttendees: [{ emailAddress: 'bob@customer.com', displayName: 'Bob' }],
  optionalAttendees: [],
};

describe('This item', () => {
  it('says what to do outside Outlook', async () => {
    renderPane(new FakeApi(), { view: 'item' });
    expect(await screen.findByText(/Open the pane from an email or a calendar event/)).toBeInTheDocument();
  });

  it('shows the linked CRM record, its link, trail and the conflict of the last run; flips the sync flag', async () => {
    installOfficeMock({ item: appointment });
    const fake = new FakeApi();
    fake.status = { ...fake.status, lastRun: report({ runId: 'run-1', conflicts: 1 }) };
    fake.items = [
      record({
        conflicts: [
          {
            id: 'c1',
            runId: 'run-1',
            at: '2026-11-20T10:00:05.000Z',
            crmId: 'm-1',
            eventId: 'AAMk-event-1',
            field: 'subject',
            crmValue: 'Q review',
            calendarValue: 'Quarterly review',
            winner: 'crm',
            policy: 'crm-wins',
          },
        ],
      }),
    ];
    const user = userEvent.setup();
    renderPane(fake, { view: 'item', office: await connectToOffice() });
    expect(await screen.findByText('Bob Buyer (bob@customer.com): contact at Contoso')).toBeInTheDocument();
    expect(await screen.findByRole('link', { name: 'Open in CRM' })).toHaveAttribute(
      'href',
      'https://crm.example.com/meetings/m-1',
    );
    expect(fake.callsTo('lookupItems')[0]!.query).toEqual({
      eventId: 'rest:AAMk-event-1',
      subject: 'Quarterly review',
      start: '2026-11-23T09:00:00.000Z',
    });
    expect(screen.getByText('Bob <bob@customer.com>')).toBeInTheDocument();
    expect(screen.getByText('Conflict resolved in the last run')).toBeInTheDocument();
    expect(screen.getByText('subject was changed on both sides; the CRM value was kept.')).toBeInTheDocument();
    expect(screen.getByText(/Created the calendar event: new CRM meeting with invitees./)).toBeInTheDocument();
    const toggle = screen.getByRole('switch', { name: 'Sync to calendar' });
    expect(toggle).toBeChecked();
    await user.click(toggle);
    await waitFor(() => expect(toggle).not.toBeChecked());
    expect(fake.callsTo('setItemSyncFlag')[0]).toMatchObject({ params: { crmId: 'm-1' }, body: { enabled: false } });
  });

  it('explains why a task without a due date cannot sync', async () => {
    installOfficeMock({ item: appointment });
    const fake = new FakeApi();
    fake.items = [record({ type: 'task', cannotSyncReason: 'the task has no due date', syncToCalendar: false })];
    renderPane(fake, { view: 'item', office: await connectToOffice() });
    expect(await screen.findByText('This item cannot sync: the task has no due date')).toBeInTheDocument();
    expect(screen.getByRole('switch', { name: 'Sync to calendar' })).toBeDisabled();
  });

  it('with a calendar that cannot resolve Outlook ids, shows a probable match as such', async () => {
    installOfficeMock({
      item: { ...appointment, organizer: { emailAddress: 'Bob@Customer.com', displayName: 'Bob' } },
    });
    const fake = new FakeApi();
    fake.items = [record()];
    fake.itemMatch = { match: 'probable', calendarName: 'Google Calendar' };
    renderPane(fake, { view: 'item', office: await connectToOffice() });
    expect(await screen.findByText('Probable match')).toBeInTheDocument();
    expect(
      screen.getByText(/your calendar is connected through Google Calendar, which cannot look up/),
    ).toBeInTheDocument();
    expect(await screen.findByRole('link', { name: 'Open in CRM' })).toBeInTheDocument();
    // What Outlook shows of the item goes with its id: the server's last resort.
    expect(fake.callsTo('lookupItems')[0]!.query).toEqual({
      eventId: 'rest:AAMk-event-1',
      subject: 'Quarterly review',
      start: '2026-11-23T09:00:00.000Z',
      organizer: 'bob@customer.com',
    });
  });

  it('says why nothing was found when the calendar cannot resolve Outlook ids', async () => {
    installOfficeMock({ item: appointment });
    const fake = new FakeApi();
    fake.itemMatch = { match: 'unresolved', calendarName: 'CalDAV' };
    renderPane(fake, { view: 'item', office: await connectToOffice() });
    expect(
      await screen.findByText(/connected through CalDAV, which cannot look up an Outlook item by its id/),
    ).toBeInTheDocument();
    expect(screen.queryByText('Probable match')).not.toBeInTheDocument();
  });

  it('follows the selected item when the pinned pane gets ItemChanged', async () => {
    const { office: mock, handlers } = installOfficeMock({
      item: {
        itemType: 'message',
        itemId: 'AAMk-msg-1',
        subject: 'Offer',
        from: { emailAddress: 'carol@customer.com', displayName: 'Carol' },
        to: [],
        cc: [],
      },
    });
    const fake = new FakeApi();
    renderPane(fake, { view: 'item', office: await connectToOffice() });
    expect(await screen.findByText('This item is not linked to a CRM record yet.')).toBeInTheDocument();
    expect(fake.callsTo('lookupItems')[0]!.query).toEqual({ email: 'carol@customer.com' });

    fake.items = [record()];
    (mock.context.mailbox as { item: unknown }).item = appointment;
    await act(async () => handlers.get('olkItemSelectedChanged')!());
    expect(await screen.findByRole('link', { name: 'Open in CRM' })).toBeInTheDocument();
    expect(fake.callsTo('lookupItems')[1]!.query).toEqual({
      eventId: 'rest:AAMk-event-1',
      subject: 'Quarterly review',
      start: '2026-11-23T09:00:00.000Z',
    });
  });
});

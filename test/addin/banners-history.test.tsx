import '@testing-library/jest-dom';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FakeApi, report } from './support/fake-api';
import { renderPane } from './support/render-pane';
import { systemClock } from '../../src/shared/clock';

describe('Banners', () => {
  it('asks to re-authorize an expired connection and leads to Connections', async () => {
    const fake = new FakeApi();
    fake.connections.calendar = {
      side: 'calendar',
      provider: 'google',
      status: 'needs-reauth',
      account: 'ann@gmail.com',
      url: null,
      connectedAt: '2026-11-01T09:00:00.000Z',
      tokenExpiresAt: null,
      lastError: 'The refresh token was revoked.',
    };
    fake.status = {
      ...fake.status,
      automaticSync: true,
      paused: { reason: 'needs-reauth', message: 'Automatic sync is paused.', side: 'calendar' },
    };
    const user = userEvent.setup();
    const { store } = renderPane(fake, { view: 'settings' });
    expect(await screen.findByText('Authorization expired')).toBeInTheDocument();
    expect(
      screen.getByText(/Your calendar connection needs to be authorized again. Automatic sync is paused./),
    ).toBeInTheDocument();
    await user.click(screen.getAllByRole('button', { name: 'Re-authorize' })[0]!);
    expect(store.getState().view).toBe('connections');
  });

  it('asks before mass deletions and sends the answer', async () => {
    const fake = new FakeApi();
    fake.status = {
      ...fake.status,
      pendingConfirmation: {
        runId: 'run-9',
        createdAt: '2026-11-20T10:00:00.000Z',
        crm: 0,
        calendar: 40,
        reason: 'the CRM came back empty while 40 links exist',
      },
    };
    const user = userEvent.setup();
    renderPane(fake, { view: 'connections' });
    expect(await screen.findByText(/stopped before deleting 0 CRM items and 40 events/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Keep everything' }));
    await waitFor(() => expect(fake.callsTo('confirmDeletions')[0]!.body).toEqual({ runId: 'run-9', confirm: false }));
    await waitFor(() => expect(screen.queryByText(/stopped before deleting/)).not.toBeInTheDocument());
  });

  it('warns before an authorization expires', async () => {
    const fake = new FakeApi();
    fake.connections.crm = {
      side: 'crm',
      provider: 'salesforce',
      status: 'connected',
      account: null,
      url: null,
      connectedAt: '2026-11-01T09:00:00.000Z',
      tokenExpiresAt: new Date(systemClock().getTime() + 24 * 3600_000).toISOString(),
      lastError: null,
    };
    renderPane(fake, { view: 'history' });
    expect(await screen.findByText('Authorization expires soon')).toBeInTheDocument();
  });
});

describe('History', () => {
  it('lists runs in plain words and retries a failed one', async () => {
    const fake = new FakeApi();
    fake.runs = [
      report({
        runId: 'run-2',
        status: 'partial',
        trigger: 'schedule',
        conflicts: 1,
        errors: [
          {
            message: 'The calendar server refused the event (HTTP 403).',
            kind: 'forbidden',
            side: 'calendar',
            itemId: 'm-3',
            retryable: true,
          },
        ],
      }),
      report({ runId: 'run-1' }),
    ];
    const user = userEvent.setup();
    renderPane(fake, { view: 'history' });
    expect(await screen.findByText('Finished with errors')).toBeInTheDocument();
    expect(screen.getByText('Calendar: The calendar server refused the event (HTTP 403).')).toBeInTheDocument();
    expect(screen.getAllByText(/1 conflict/)[0]).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('A new run was started.')).toBeInTheDocument();
    expect(fake.callsTo('startRun')).toHaveLength(1);
  });

  it('names the item on each line of a run and shows cleanup, undo and reset as entries of their own', async () => {
    const fake = new FakeApi();
    fake.runs = [
      report({ runId: 'reset-1', kind: 'reset', startedAt: '2026-11-21T09:00:00.000Z' }),
      report({
        runId: 'cleanup-1:undo',
        kind: 'cleanup-undo',
        calendar: { created: 2, updated: 0, deleted: 0, archived: 0 },
        crm: { created: 0, updated: 1, deleted: 0, archived: 0 },
      }),
      report({
        runId: 'cleanup-1',
        kind: 'cleanup',
        calendar: { created: 0, updated: 0, deleted: 2, archived: 0 },
        crm: { created: 0, updated: 0, deleted: 0, archived: 1 },
      }),
      report({ runId: 'run-1', calendar: { created: 1, updated: 0, deleted: 0, archived: 0 } }),
    ];
    fake.trails['run-1'] = [
      {
        runId: 'run-1',
        at: '2026-11-20T10:00:00.000Z',
        crmId: 'm-1',
        eventId: 'e-1',
        action: 'calendar:create',
        reason: 'Created in the calendar: a new CRM meeting.',
        subject: 'Quarterly review',
      },
    ];
    fake.trails['cleanup-1'] = [
      {
        runId: 'cleanup-1',
        at: '2026-11-20T11:00:00.000Z',
        crmId: null,
        eventId: 'e-9',
        action: 'cleanup:delete',
        reason: 'Duplicate removed by duplicate cleanup (undo possible for 7 days).',
        subject: 'Site visit',
      },
    ];
    const user = userEvent.setup();
    renderPane(fake, { view: 'history' });
    expect(await screen.findByText('Removed 3 duplicate copies.')).toBeInTheDocument();
    expect(screen.getByText('Undid the duplicate cleanup: restored 3 copies.')).toBeInTheDocument();
    expect(
      screen.getByText(/^Reset the sync: the links between CRM items and events were forgotten/),
    ).toBeInTheDocument();
    expect(screen.getAllByText(/^By you · /)).toHaveLength(3);
    // Only sync runs offer Retry; a reset has no details to open.
    expect(screen.queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument();
    const details = screen.getAllByRole('button', { name: 'Details' });
    expect(details).toHaveLength(3);
    await user.click(details[2]!);
    expect(
      await screen.findByText('“Quarterly review”: Created in the calendar: a new CRM meeting.'),
    ).toBeInTheDocument();
    await user.click(details[1]!);
    expect(
      await screen.findByText('“Site visit”: Duplicate removed by duplicate cleanup (undo possible for 7 days).'),
    ).toBeInTheDocument();
  });
});

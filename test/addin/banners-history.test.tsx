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
});

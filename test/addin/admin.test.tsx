import '@testing-library/jest-dom';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FakeApi } from './support/fake-api';
import { renderPane } from './support/render-pane';

function adminFake(): FakeApi {
  const fake = new FakeApi();
  fake.isAdmin = true;
  fake.users = [
    {
      id: 'u2',
      email: 'bob@example.com',
      displayName: 'Bob',
      isAdmin: false,
      profile: null,
      automaticSync: true,
      connections: [
        {
          side: 'crm',
          provider: 'sandbox',
          status: 'connected',
          tokenExpiresAt: null,
          lastError: null,
        },
      ],
      lastRun: { runId: 'r1', status: 'failed', startedAt: '2026-11-20T10:00:00.000Z', finishedAt: null },
      lastErrors: ['The calendar refused the credentials.'],
      health: 'error',
    },
  ];
  return fake;
}

describe('Admin', () => {
  it('is only offered to admins', async () => {
    const user = userEvent.setup();
    renderPane(new FakeApi());
    await user.click(await screen.findByRole('button', { name: 'Sections' }));
    expect(await screen.findByRole('menuitemradio', { name: 'History' })).toBeInTheDocument();
    expect(screen.queryByRole('menuitemradio', { name: 'Admin' })).not.toBeInTheDocument();
  });

  it('creates a profile that sets and locks a setting, and assigns it to a user', async () => {
    const fake = adminFake();
    const user = userEvent.setup();
    renderPane(fake);
    await user.click(await screen.findByRole('button', { name: 'Sections' }));
    await user.click(await screen.findByRole('menuitemradio', { name: 'Admin' }));
    await user.click(await screen.findByRole('tab', { name: 'Sync profiles' }));
    await user.type(await screen.findByLabelText(/Profile name/), 'Field sales');
    await user.click(screen.getByRole('checkbox', { name: 'Set Sync direction' }));
    await user.selectOptions(screen.getByDisplayValue('Two-way'), 'crm-to-calendar');
    await user.click(screen.getByRole('checkbox', { name: 'Lock Sync direction' }));
    await user.click(screen.getByRole('button', { name: 'Create profile' }));
    await waitFor(() =>
      expect(fake.callsTo('adminCreateProfile')[0]!.body).toEqual({
        name: 'Field sales',
        values: { direction: 'crm-to-calendar' },
        locked: ['direction'],
      }),
    );

    await user.click(screen.getByRole('tab', { name: 'Users' }));
    expect(await screen.findByText('The calendar refused the credentials.')).toBeInTheDocument();
    expect(screen.getByText('Error', { selector: '.fui-Badge' })).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText('Profile for bob@example.com'), 'p1');
    await waitFor(() =>
      expect(fake.callsTo('adminAssignProfile')[0]).toMatchObject({
        params: { userId: 'u2' },
        body: { profileId: 'p1' },
      }),
    );
  });

  it('saves global settings', async () => {
    const fake = adminFake();
    const user = userEvent.setup();
    renderPane(fake, { view: 'admin' });
    await user.click(await screen.findByRole('checkbox', { name: 'Set Sync interval (minutes)' }));
    const input = screen.getByRole('spinbutton');
    await user.clear(input);
    await user.type(input, '15');
    await user.click(screen.getByRole('button', { name: 'Save global settings' }));
    await waitFor(() =>
      expect(fake.callsTo('adminPutSettings')[0]!.body).toEqual({ values: { syncIntervalMinutes: 15 } }),
    );
  });
});

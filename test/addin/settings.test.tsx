import '@testing-library/jest-dom';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { dialogButton, findDialog } from './support/dialogs';
import { FakeApi } from './support/fake-api';
import { renderPane } from './support/render-pane';

describe('Sync settings › Calendar', () => {
  it('shows each effective value with its source and the profile lock', async () => {
    const fake = new FakeApi();
    fake.global = { pastWindowDays: 60 };
    fake.profile = { id: 'p1', name: 'Sales', values: { invitations: 'always' }, locked: ['invitations'] };
    fake.user = { conflictPolicy: 'calendar-wins' };
    renderPane(fake, { view: 'settings' });

    const item = (label: string) => screen.getByText(label, { selector: 'label' }).closest('li')!;
    expect(await screen.findByText('Email invitations / updates', { selector: 'label' })).toBeInTheDocument();
    const invitations = item('Email invitations / updates');
    expect(invitations).toHaveTextContent('Always');
    expect(invitations).toHaveTextContent('Set by your profile');
    expect(invitations).toHaveTextContent('Locked by the profile “Sales”');
    expect(within(invitations).queryByRole('combobox')).not.toBeInTheDocument();

    expect(item('Days back to sync')).toHaveTextContent('Set by organisation');
    expect(within(item('Days back to sync')).getByRole('spinbutton')).toHaveValue(60);
    expect(item('When both sides changed')).toHaveTextContent('Set by you');
    expect(item('Sync interval (minutes)')).toHaveTextContent('Only your admin can change this');
  });

  it('saves only what changed, without a preview when nothing can delete or e-mail', async () => {
    const fake = new FakeApi();
    const user = userEvent.setup();
    renderPane(fake, { view: 'settings' });
    await user.selectOptions(await screen.findByLabelText('When both sides changed'), 'most-recent-wins');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect(fake.callsTo('updateSettings')[0]!.body).toEqual({ set: { conflictPolicy: 'most-recent-wins' }, clear: [] });
    expect(fake.callsTo('previewRun')).toHaveLength(0);
  });

  it('saves a risky change without asking when its preview deletes nothing and e-mails no one', async () => {
    const fake = new FakeApi();
    const user = userEvent.setup();
    renderPane(fake, { view: 'settings' });
    await user.selectOptions(await screen.findByLabelText('Email invitations / updates'), 'always');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(fake.callsTo('updateSettings')).toHaveLength(1));
    expect(fake.callsTo('previewRun')).toHaveLength(1);
    expect(screen.queryByRole('alertdialog', { hidden: true })).toBeNull();
  });

  it('asks before saving a change that would e-mail attendees', async () => {
    const fake = new FakeApi();
    fake.previewInvitations = 2;
    const user = userEvent.setup();
    renderPane(fake, { view: 'settings' });
    await user.selectOptions(await screen.findByLabelText('Email invitations / updates'), 'always');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    const dialog = await findDialog();
    await waitFor(() => expect(dialog).toHaveTextContent('send 2 invitations or updates'));
    expect(fake.callsTo('updateSettings')).toHaveLength(0);
    await user.click(dialogButton(dialog, 'Save anyway'));
    await waitFor(() => expect(fake.callsTo('updateSettings')).toHaveLength(1));
    expect(fake.callsTo('updateSettings')[0]!.body).toEqual({ set: { invitations: 'always' }, clear: [] });
  });

  it('drops a user override so the inherited value applies again', async () => {
    const fake = new FakeApi();
    fake.user = { pastWindowDays: 10 };
    const user = userEvent.setup();
    renderPane(fake, { view: 'settings' });
    await user.click(await screen.findByRole('button', { name: 'Use inherited value' }));
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() =>
      expect(fake.callsTo('updateSettings')[0]!.body).toEqual({ set: {}, clear: ['pastWindowDays'] }),
    );
  });
});

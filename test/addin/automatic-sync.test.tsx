import '@testing-library/jest-dom';
import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Connection } from '../../src/shared/api';
import { dialogButton, findDialog } from './support/dialogs';
import { FakeApi, report } from './support/fake-api';
import { renderPane } from './support/render-pane';

const connected = (side: 'crm' | 'calendar', provider: string): Connection => ({
  side,
  provider,
  status: 'connected',
  account: null,
  url: null,
  connectedAt: '2026-11-20T09:00:00.000Z',
  tokenExpiresAt: null,
  lastError: null,
});

function connectedFake(): FakeApi {
  const fake = new FakeApi();
  fake.connections = { crm: connected('crm', 'sandbox'), calendar: connected('calendar', 'caldav') };
  return fake;
}

async function openMenuItem(user: ReturnType<typeof userEvent.setup>, name: string) {
  await user.click(await screen.findByRole('button', { name: 'More sync actions' }));
  await user.click(await screen.findByRole('menuitem', { name }));
}

describe('Automatic sync', () => {
  it('needs both connections before sync can be enabled', async () => {
    const fake = new FakeApi();
    renderPane(fake, { view: 'automatic-sync' });
    expect(await screen.findByText('Connect your CRM and your calendar first.')).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'Enable automatic calendar sync' })).toBeDisabled();
  });

  it('turns automatic sync on and shows the interval', async () => {
    const fake = connectedFake();
    const user = userEvent.setup();
    renderPane(fake, { view: 'automatic-sync' });
    await user.click(await screen.findByRole('checkbox', { name: 'Enable automatic calendar sync' }));
    expect(await screen.findByText(/Runs every 5 minutes/)).toBeInTheDocument();
    expect(fake.callsTo('setAutomaticSync')[0]!.body).toEqual({ enabled: true });
  });

  it('syncs now, shows progress while the run is in flight, then its result', async () => {
    const fake = connectedFake();
    const user = userEvent.setup();
    renderPane(fake, { view: 'automatic-sync' });
    await user.click(await screen.findByRole('button', { name: 'Sync calendar now' }));
    expect(await screen.findByRole('progressbar')).toBeInTheDocument();
    expect(fake.callsTo('startRun')).toHaveLength(1);
    fake.status = { ...fake.status, running: null, lastRun: report({ runId: 'run-2' }) };
    await act(async () => {
      await new Promise((r) => setTimeout(r, 1200));
    });
    expect(await screen.findByText('Result of the last run')).toBeInTheDocument();
    expect(screen.getByText('Calendar: 2 created, 0 updated, 0 deleted, 0 archived')).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
  });

  it('previews a run from the split button menu', async () => {
    const fake = connectedFake();
    const user = userEvent.setup();
    renderPane(fake, { view: 'automatic-sync' });
    await openMenuItem(user, 'Preview');
    const dialog = await findDialog('dialog');
    await waitFor(() => expect(dialog).toHaveTextContent('Calendar: 3 created'));
    expect(dialog).toHaveTextContent('It would send 0 invitations or updates.');
    expect(dialog).toHaveTextContent('create “Kick-off”: new CRM meeting');
  });

  it('runs duplicate cleanup only after "Remove 1 copy" and offers undo', async () => {
    const fake = connectedFake();
    fake.cleanupGroups = [
      {
        kind: 'tagged-events',
        keep: { side: 'calendar', id: 'e1', subject: 'Demo' },
        remove: [{ side: 'calendar', id: 'e2', subject: 'Demo' }],
        merged: [],
      },
    ];
    const user = userEvent.setup();
    renderPane(fake, { view: 'automatic-sync' });
    await openMenuItem(user, 'Run duplicate cleanup');
    const dialog = await findDialog();
    await waitFor(() => expect(dialog).toHaveTextContent('Found 1 group of duplicates'));
    expect(dialog).toHaveTextContent('Several events for one CRM item');
    expect(fake.callsTo('cleanupApply')).toHaveLength(0);
    // The copies are told apart by the end of their ids.
    expect(dialog).toHaveTextContent('Keeps Calendar “Demo” (id …e1)');
    expect(dialog).toHaveTextContent('Removes Calendar “Demo” (id …e2)');
    await user.click(dialogButton(dialog, 'Remove 1 copy'));
    await waitFor(() => expect(dialog).toHaveTextContent('Removed 1 copy.'));
    expect(fake.callsTo('cleanupApply')[0]!.body).toEqual({ confirm: true });
    await user.click(dialogButton(dialog, 'Undo cleanup'));
    await waitFor(() => expect(dialog).toHaveTextContent('Cleanup undone'));
    expect(fake.callsTo('cleanupUndo')[0]!.params).toEqual({ cleanupId: 'cl-1' });
  });

  it('resets calendar sync after "Reset sync"', async () => {
    const fake = connectedFake();
    const user = userEvent.setup();
    renderPane(fake, { view: 'automatic-sync' });
    await openMenuItem(user, 'Reset calendar sync');
    const dialog = await findDialog();
    expect(dialog).toHaveTextContent('Every event and every CRM item stays.');
    await user.click(dialogButton(dialog, 'Reset sync'));
    expect(await screen.findByText('Sync state reset. The next run pairs your items again.')).toBeInTheDocument();
    expect(fake.callsTo('reset')[0]!.body).toEqual({ confirm: true });
  });
});

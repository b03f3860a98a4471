import '@testing-library/jest-dom';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { dialogButton, findDialog } from './support/dialogs';
import { FakeApi } from './support/fake-api';
import { browserOffice, renderPane } from './support/render-pane';

describe('Connections', () => {
  it('connects the Sandbox CRM and shows the green Connected badge', async () => {
    const fake = new FakeApi();
    const user = userEvent.setup();
    renderPane(fake);
    await user.selectOptions(await screen.findByLabelText('CRM system'), 'sandbox');
    expect(screen.getByText(/Nothing to enter/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Connect' }));
    expect(await screen.findByText('Connected', { selector: '.fui-Badge' })).toBeInTheDocument();
    expect(fake.callsTo('connect')).toEqual([
      expect.objectContaining({ params: { side: 'crm' }, body: { provider: 'sandbox', method: 'none', fields: {} } }),
    ]);
  });

  it('asks for the custom URL a provider requires and shows the failure reason of the test call', async () => {
    const fake = new FakeApi();
    fake.failures.connect = {
      status: 422,
      body: {
        error: 'connection-failed',
        message: 'HTTP 401 from the token endpoint',
        field: null,
        reason: 'unauthorized',
      },
    };
    const user = userEvent.setup();
    renderPane(fake);
    await user.selectOptions(await screen.findByLabelText('CRM system'), 'suitecrm');
    await user.type(screen.getByLabelText(/Client ID/), 'id');
    await user.type(screen.getByLabelText(/Client secret/), 's3cret');
    await user.click(screen.getByRole('button', { name: 'Connect' }));
    expect(await screen.findByText('This provider needs the address of your server.')).toBeInTheDocument();
    expect(fake.callsTo('connect')).toHaveLength(0);

    await user.type(screen.getByLabelText(/SuiteCRM address/), 'https://crm.example.com');
    await user.click(screen.getByRole('button', { name: 'Connect' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The provider refused these credentials.');
    expect(fake.callsTo('connect')[0]!.body).toEqual({
      provider: 'suitecrm',
      method: 'password',
      url: 'https://crm.example.com',
      fields: { clientId: 'id', clientSecret: 's3cret' },
    });
  });

  it('offers the Custom URL checkbox where the provider allows one, and a choice of auth methods', async () => {
    const fake = new FakeApi();
    fake.providers.crm.push({
      id: 'pipedrive',
      side: 'crm',
      label: 'Pipedrive',
      authMethods: [
        { id: 'oauth', kind: 'oauth', label: 'Sign in with Pipedrive', fields: [] },
        {
          id: 'api-token',
          kind: 'fields',
          label: 'API token',
          fields: [{ key: 'apiToken', label: 'API token', kind: 'password', required: true }],
        },
      ],
      customUrl: 'optional',
      urlLabel: 'Company domain',
      capabilities: { activityTypes: [], recurrence: false, invitees: true, webhooks: false, calendars: false },
      available: true,
      unavailableReason: null,
    });
    const user = userEvent.setup();
    renderPane(fake);
    await user.selectOptions(await screen.findByLabelText('CRM system'), 'pipedrive');
    expect(screen.queryByLabelText(/Company domain/)).not.toBeInTheDocument();
    expect(screen.getByText(/A window opens where you sign in/)).toBeInTheDocument();
    await user.click(screen.getByRole('checkbox', { name: 'Custom URL' }));
    await user.type(screen.getByLabelText(/Company domain/), 'https://acme.pipedrive.com');
    await user.click(screen.getByRole('radio', { name: 'API token' }));
    await user.type(screen.getByLabelText(/^API token/, { selector: 'input[type=password]' }), 'tok en ');
    await user.click(screen.getByRole('button', { name: 'Connect' }));
    expect(await screen.findByText('Connected', { selector: '.fui-Badge' })).toBeInTheDocument();
    expect(fake.callsTo('connect')[0]!.body).toEqual({
      provider: 'pipedrive',
      method: 'api-token',
      url: 'https://acme.pipedrive.com',
      fields: { apiToken: 'tok en ' },
    });
  });

  it('shows the provider’s notes: what the admin may add on the vendor’s side and what it gains', async () => {
    const fake = new FakeApi();
    fake.providers.crm.push({
      id: 'salesforce',
      side: 'crm',
      label: 'Salesforce',
      authMethods: [{ id: 'oauth', kind: 'oauth', label: 'Sign in with Salesforce', fields: [] }],
      customUrl: 'optional',
      notes: ['Works on a stock org. Optional: a field CrmSync_ICalUId__c on Event and Task.'],
      capabilities: { activityTypes: [], recurrence: false, invitees: true, webhooks: false, calendars: false },
      available: true,
      unavailableReason: null,
    });
    const user = userEvent.setup();
    renderPane(fake);
    await user.selectOptions(await screen.findByLabelText('CRM system'), 'salesforce');
    expect(screen.getByText(/Works on a stock org\. Optional: a field CrmSync_ICalUId__c/)).toBeInTheDocument();
  });

  it('connects CalDAV with URL, user and app password, then picks the target and source calendars', async () => {
    const fake = new FakeApi();
    const user = userEvent.setup();
    renderPane(fake);
    await user.click(await screen.findByRole('tab', { name: 'Calendar' }));
    await user.selectOptions(screen.getByLabelText('Calendar server'), 'caldav');
    await user.type(screen.getByLabelText(/CalDAV server URL/), 'https://dav.example.com/ann/');
    await user.type(screen.getByLabelText(/User name/), 'ann');
    await user.type(screen.getByLabelText(/App password/), 'pw');
    await user.click(screen.getByRole('button', { name: 'Connect' }));
    expect(await screen.findByText('Connected', { selector: '.fui-Badge' })).toBeInTheDocument();
    expect(fake.callsTo('connect')[0]!.body).toEqual({
      provider: 'caldav',
      method: 'app-password',
      url: 'https://dav.example.com/ann/',
      fields: { username: 'ann', password: 'pw' },
    });
    await user.selectOptions(await screen.findByLabelText(/Target calendar/), 'cal-2');
    await user.click(screen.getByRole('checkbox', { name: 'CRM' }));
    await user.click(screen.getByRole('button', { name: 'Save calendars' }));
    await waitFor(() =>
      expect(fake.callsTo('chooseCalendars')[0]!.body).toEqual({
        targetCalendarId: 'cal-2',
        sourceCalendarIds: ['cal-1', 'cal-2'],
      }),
    );
  });

  it('connects an OAuth provider through the dialog', async () => {
    const fake = new FakeApi();
    const opened: string[] = [];
    const office = browserOffice({
      openDialog: async (url) => {
        opened.push(url);
        fake.connections.calendar = {
          side: 'calendar',
          provider: 'google',
          status: 'connected',
          account: 'ann@gmail.com',
          url: null,
          connectedAt: '2026-11-20T09:00:00.000Z',
          tokenExpiresAt: null,
          lastError: null,
        };
        return { kind: 'message', message: JSON.stringify({ ok: true }) };
      },
    });
    const user = userEvent.setup();
    renderPane(fake, { office });
    await user.click(await screen.findByRole('tab', { name: 'Calendar' }));
    await user.selectOptions(screen.getByLabelText('Calendar server'), 'google');
    await user.click(screen.getByRole('button', { name: 'Connect' }));
    expect(await screen.findByText('Connected', { selector: '.fui-Badge' })).toBeInTheDocument();
    expect(opened).toEqual(['https://accounts.example/authorize?state=s1']);
    expect(screen.getByText('Account: ann@gmail.com')).toBeInTheDocument();
  });

  it('asks before disconnecting and does nothing on Cancel', async () => {
    const fake = new FakeApi();
    fake.connections.crm = {
      side: 'crm',
      provider: 'sandbox',
      status: 'connected',
      account: null,
      url: null,
      connectedAt: '2026-11-20T09:00:00.000Z',
      tokenExpiresAt: null,
      lastError: null,
    };
    const user = userEvent.setup();
    renderPane(fake);
    await user.click(await screen.findByRole('button', { name: 'Disconnect' }));
    const dialog = await findDialog();
    expect(dialog).toHaveTextContent(/turns automatic sync off/);
    await user.click(dialogButton(dialog, 'Cancel'));
    expect(fake.callsTo('disconnect')).toHaveLength(0);
  });

  it('disconnects after "Disconnect" in the question and offers the connect form again', async () => {
    const fake = new FakeApi();
    fake.connections.crm = {
      side: 'crm',
      provider: 'sandbox',
      status: 'connected',
      account: null,
      url: null,
      connectedAt: '2026-11-20T09:00:00.000Z',
      tokenExpiresAt: null,
      lastError: null,
    };
    const user = userEvent.setup();
    renderPane(fake);
    await user.click(await screen.findByRole('button', { name: 'Disconnect' }));
    const dialog = await findDialog();
    expect(dialog).toHaveTextContent('Disconnect Sandbox CRM?');
    await user.click(dialogButton(dialog, 'Disconnect'));
    expect(await screen.findByLabelText('CRM system')).toBeInTheDocument();
    expect(fake.callsTo('disconnect')).toHaveLength(1);
  });
});

import '@testing-library/jest-dom';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AccountManager, chooseStrategy } from '../../src/addin/auth';
import { FakeApi, fakeResponse } from './support/fake-api';
import { browserOffice, renderPane, testStrategy } from './support/render-pane';

describe('sign-in screen', () => {
  it('says so when the server offers no sign-in instead of showing a button that cannot work', async () => {
    const noFetch = (async () => fakeResponse(500, {})) as unknown as typeof fetch;
    renderPane(new FakeApi(), { strategy: chooseStrategy(null, browserOffice(), noFetch) });
    expect(await screen.findByRole('alert')).toHaveTextContent('no sign-in configured');
    expect(screen.queryByRole('button', { name: 'Sign in' })).not.toBeInTheDocument();
  });

  it('signs in with the development sign-in and opens the pane', async () => {
    const user = userEvent.setup();
    const { auth } = renderPane(new FakeApi(), { strategy: testStrategy(false, 'dev') });
    await user.type(await screen.findByLabelText(/E-mail address/), 'ann@example.com');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('Signed in as ann@example.com')).toBeInTheDocument();
    expect(auth).toBeInstanceOf(AccountManager);
  });
});

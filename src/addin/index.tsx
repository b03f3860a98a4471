/**
 * Entry point. taskpane.html is the pane and, with ?dialog=signin, the sign-in page of the Office dialog fallback.
 */
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createApiClient } from './api/client';
import { AccountManager, chooseStrategy, loadAuthConfig } from './auth';
import { connectToOffice } from './office';
import { replyToOpener } from './office/dialog';
import { createAppStore } from './state/app-store';
import { ServicesProvider } from './state/context';
import { loadFluentTheme } from './theme';
import { preloadView } from './views/lazy';

async function main(): Promise<void> {
  const office = await connectToOffice();
  const config = await loadAuthConfig(window.fetch.bind(window)).catch(() => null);
  const root = document.getElementById('root');
  if (!root) return;

  if (new URLSearchParams(window.location.search).get('dialog') === 'signin' && config?.mode === 'entra') {
    const { runSignInDialog } = await import('./auth/msal-strategies.js');
    await runSignInDialog(config, replyToOpener);
    return;
  }

  const auth = new AccountManager(chooseStrategy(config, office, window.fetch.bind(window)));
  const api = createApiClient({ getToken: () => auth.getToken(), onUnauthorized: () => auth.invalidate() });
  const firstView = office.inOutlook ? 'item' : 'connections';
  void preloadView(firstView);
  void loadFluentTheme(office.theme());
  const store = createAppStore(api, firstView);
  createRoot(root).render(
    <ServicesProvider services={{ store, api, auth, office }}>
      <App />
    </ServicesProvider>,
  );
}

void main();

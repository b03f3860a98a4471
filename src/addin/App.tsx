/**
 * The pane's shell: theme, sign-in, header with the section menu, banners, notices and the current view.
 * Views below the first screen (History, Admin) are loaded on demand to keep the first download small.
 */
import { Suspense, useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import {
  Button,
  FluentProvider,
  makeStyles,
  Menu,
  MenuButton,
  MenuDivider,
  MenuItemRadio,
  MenuItem,
  MenuList,
  MenuPopover,
  MenuTrigger,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  Spinner,
  Text,
  Title3,
  tokens,
} from '@fluentui/react-components';
import { ApiUnreachableError } from './api/client';
import { NeedsSignInError } from './auth';
import { Banners } from './components/Banners';
import { SignIn } from './components/SignIn';
import { messages } from './messages';
import { useApp, useServices } from './state/context';
import type { ViewName } from './state/app-store';
import { fluentTheme } from './theme';
import { lazyViews, preloadOtherViews } from './views/lazy';

const useStyles = makeStyles({
  root: {
    minHeight: '100vh',
    boxSizing: 'border-box',
    padding: tokens.spacingHorizontalM,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalM,
    backgroundColor: tokens.colorNeutralBackground1,
    color: tokens.colorNeutralForeground1,
  },
  header: { display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: tokens.spacingHorizontalS },
  main: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
});

const viewTitles: Record<ViewName, string> = {
  connections: messages.nav.connections,
  'automatic-sync': messages.nav.automaticSync,
  settings: messages.nav.settings,
  item: messages.nav.item,
  history: messages.nav.history,
  admin: messages.nav.admin,
};

function CurrentView({ view }: { view: ViewName }): ReactNode {
  const View = lazyViews[view];
  return <View />;
}

function Navigation() {
  const { store, auth } = useServices();
  const view = useApp((st) => st.view);
  const me = useApp((st) => st.me);
  const sections: ViewName[] = ['connections', 'automatic-sync', 'settings', 'item', 'history'];
  if (me?.isAdmin) sections.push('admin');
  return (
    <Menu
      checkedValues={{ view: [view] }}
      onCheckedValueChange={(_e, d) => d.checkedItems[0] && store.getState().navigate(d.checkedItems[0] as ViewName)}
    >
      <MenuTrigger disableButtonEnhancement>
        <MenuButton appearance="subtle" aria-label={messages.nav.label}>
          {messages.nav.label}
        </MenuButton>
      </MenuTrigger>
      <MenuPopover>
        <MenuList>
          {sections.map((v) => (
            <MenuItemRadio key={v} name="view" value={v}>
              {viewTitles[v]}
            </MenuItemRadio>
          ))}
          <MenuDivider />
          <MenuItem
            onClick={() => {
              void auth.signOut().then(() => store.getState().signedOut());
            }}
          >
            {messages.signIn.signOut}
          </MenuItem>
        </MenuList>
      </MenuPopover>
    </Menu>
  );
}

export function App() {
  const s = useStyles();
  const { store, auth, office } = useServices();
  // Office reports theme switches where it can (OfficeThemeChanged): the pane follows without a reload.
  const [theme, setTheme] = useState(() => office.theme());
  useEffect(() => office.onThemeChanged?.(() => setTheme(office.theme())), [office]);
  const phase = useApp((st) => st.phase);
  const view = useApp((st) => st.view);
  const notice = useApp((st) => st.notice);
  const me = useApp((st) => st.me);
  const mainRef = useRef<HTMLElement>(null);

  const start = useCallback(async () => {
    const state = store.getState();
    try {
      await state.loadSession();
    } catch (err) {
      if (err instanceof NeedsSignInError) state.signedOut();
      else if (err instanceof ApiUnreachableError) state.setPhase('unreachable');
      else if (err instanceof Error && 'status' in err && (err as { status: number }).status === 401) {
        auth.invalidate();
        state.signedOut();
      } else state.setPhase('unreachable');
    }
  }, [store, auth]);

  useEffect(() => {
    void auth.restore().then((ok) => (ok ? start() : store.getState().signedOut()));
  }, [auth, start, store]);

  useEffect(() => {
    if (phase !== 'ready') return;
    const others: ViewName[] = ['connections', 'automatic-sync', 'settings', 'item', 'history'];
    if (me?.isAdmin) others.push('admin');
    return preloadOtherViews(others);
  }, [phase, me]);

  // Move focus to the new view's heading so keyboard and screen-reader users land where the content changed.
  useEffect(() => {
    mainRef.current?.querySelector<HTMLElement>('h2')?.focus();
  }, [view]);

  return (
    <FluentProvider theme={fluentTheme(theme)} className={s.root}>
      <header className={s.header}>
        <Text weight="semibold" as="h1" size={400}>
          {messages.appName}
        </Text>
        {phase === 'ready' && <Navigation />}
      </header>
      {phase === 'starting' && <Spinner label={messages.loading} />}
      {phase === 'signed-out' && <SignIn onSignedIn={() => void start()} />}
      {phase === 'unreachable' && (
        <MessageBar intent="error" role="alert">
          <MessageBarBody>{messages.serverUnreachable}</MessageBarBody>
          <MessageBarActions>
            <Button size="small" onClick={() => void start()}>
              {messages.retry}
            </Button>
          </MessageBarActions>
        </MessageBar>
      )}
      {phase === 'ready' && (
        <main className={s.main} ref={mainRef}>
          <Title3 as="h2" tabIndex={-1}>
            {viewTitles[view]}
          </Title3>
          {me && <Text size={200}>{messages.signIn.signedInAs(me.email)}</Text>}
          <Banners />
          {notice && (
            <MessageBar intent={notice.intent} role="status">
              <MessageBarBody>{notice.text}</MessageBarBody>
              <MessageBarActions
                containerAction={
                  <Button appearance="transparent" size="small" onClick={() => store.getState().notify(null)}>
                    {messages.close}
                  </Button>
                }
              />
            </MessageBar>
          )}
          <Suspense fallback={<Spinner size="tiny" label={messages.loading} />}>
            <CurrentView view={view} />
          </Suspense>
        </main>
      )}
    </FluentProvider>
  );
}

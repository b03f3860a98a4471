/**
 * The pane's shell: theme, sign-in, header with the section menu, banners, notices and the current view.
 * Views below the first screen (History, Admin) are loaded on demand to keep the first download small.
 *
 * The FluentProvider gets no class of ours: Fluent copies the provider's class names onto every portal node
 * (menus, dialogs; applyStylesToPortals), so a full-height background there covered the pane whenever a menu or
 * dialog opened. The full-height background and the layout live on an inner element instead.
 */
import { lazy, Suspense, useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import {
  Button,
  FluentProvider,
  makeStaticStyles,
  makeStyles,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  Spinner,
  Text,
  Title3,
  tokens,
  type Theme,
} from '@fluentui/react-components';
import { ApiUnreachableError } from './api/client';
import { NeedsSignInError } from './auth';
import { Banners } from './components/Banners';
import { SignIn } from './components/SignIn';
import { messages } from './messages';
import { useApp, useServices } from './state/context';
import type { ViewName } from './state/app-store';
import { useLiveStatus } from './state/use-live-status';
import { loadedFluentTheme, loadFluentTheme } from './theme';
import { lazyViews, preloadOtherViews } from './views/lazy';

/** The page itself: no browser margin (it showed as a white frame around the dark theme), pane-wide at most. */
const useGlobalStyles = makeStaticStyles({
  'html, body': { margin: 0, padding: 0 },
  body: { overflowX: 'hidden' },
});

/**
 * Fields and drop-downs stay within the pane (issue 17). For drop-downs the class is doubled so the cap wins over a
 * form's own `max-width: 100%` (Griffel inserts static rules first); text fields keep a narrower width a form gives
 * them (an 8rem number field). At 350 px nothing is wider than the pane; in a wide pane
 * (Outlook on the web lets users widen it, admins use a browser tab) a field stops at 28rem instead of stretching
 * to 860 px. A native <select> opens the browser's own list, as wide as its longest option and out of the page's
 * reach: where the browser has customisable selects (appearance: base-select, Chromium 135+, the Edge WebView2
 * Outlook uses), the list is drawn in the page, in the theme's colours, no wider than the pane, and long options wrap.
 * Elsewhere the native list stays.
 */
const fieldCap = 'min(28rem, 100%)';
const useFieldWidthStyles = makeStaticStyles(`
.fui-Input, .fui-Textarea, .fui-SpinButton { max-width: ${fieldCap}; min-width: 0; }
.fui-Select.fui-Select, .fui-Combobox.fui-Combobox, .fui-Dropdown.fui-Dropdown { max-width: ${fieldCap}; min-width: 0; }
.fui-Select__select.fui-Select__select { max-width: 100%; min-width: 0; }
@supports (appearance: base-select) {
  select.fui-Select__select, select.fui-Select__select::picker(select) { appearance: base-select; }
  /* One line, as the native select: a long choice is cut before the chevron instead of wrapping out of the field. */
  select.fui-Select__select {
    display: flex;
    align-items: center;
    white-space: nowrap;
    overflow: clip;
    overflow-clip-margin: content-box;
  }
  select.fui-Select__select::picker-icon { display: none; }
  select.fui-Select__select::picker(select) {
    box-sizing: border-box;
    max-inline-size: min(28rem, calc(100vw - 16px));
    max-block-size: min(20rem, 60vh);
    background-color: ${tokens.colorNeutralBackground1};
    color: ${tokens.colorNeutralForeground1};
    border: 1px solid ${tokens.colorNeutralStroke1};
    border-radius: ${tokens.borderRadiusMedium};
    box-shadow: ${tokens.shadow16};
    padding: ${tokens.spacingVerticalXS} 0;
  }
  select.fui-Select__select option {
    white-space: normal;
    overflow-wrap: break-word;
    padding: ${tokens.spacingVerticalSNudge} ${tokens.spacingHorizontalM};
    min-block-size: 32px;
    box-sizing: border-box;
  }
  select.fui-Select__select option:hover, select.fui-Select__select option:focus-visible {
    background-color: ${tokens.colorNeutralBackground1Hover};
  }
  select.fui-Select__select option:checked { font-weight: ${tokens.fontWeightSemibold}; }
}
`);

const useStyles = makeStyles({
  root: {
    minHeight: '100vh',
    backgroundColor: tokens.colorNeutralBackground1,
    color: tokens.colorNeutralForeground1,
    boxSizing: 'border-box',
    padding: tokens.spacingHorizontalM,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalM,
    minWidth: 0,
    maxWidth: '100%',
    // Long words (addresses, URLs) wrap instead of widening the pane; break-word, unlike anywhere, leaves
    // buttons and labels their natural minimum width.
    overflowWrap: 'break-word',
  },
  header: { display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: tokens.spacingHorizontalS },
  menuButton: { flexShrink: 0, whiteSpace: 'nowrap' },
  main: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, minWidth: 0 },
});

const viewTitles: Record<ViewName, string> = {
  connections: messages.nav.connections,
  'automatic-sync': messages.nav.automaticSync,
  settings: messages.nav.settings,
  item: messages.nav.item,
  history: messages.nav.history,
  admin: messages.nav.admin,
};

const loadSectionsMenu = () =>
  import(/* webpackChunkName: "sections-menu" */ './components/SectionsMenu.js').then((m) => ({
    default: m.SectionsMenu,
  }));
const SectionsMenu = lazy(loadSectionsMenu);

function CurrentView({ view }: { view: ViewName }): ReactNode {
  const View = lazyViews[view];
  return <View />;
}

/** The menu's code is fetched this long after the first view, unless the user reaches for the menu first. */
const MENU_LOAD_DELAY_MS = 1500;

function Navigation() {
  const { store, auth } = useServices();
  const view = useApp((st) => st.view);
  const me = useApp((st) => st.me);
  // React.lazy fetches on first render, so the real menu is rendered only once wanted: after the first view is
  // on screen, or when the button is pressed (the pointer or the keyboard reaching it starts the fetch).
  const [wanted, setWanted] = useState(false);
  /** Pressed (or focused) before the menu's code arrived: open (or focus) it as soon as it is there. */
  const [pressed, setPressed] = useState(false);
  const [focused, setFocused] = useState(false);
  useEffect(() => {
    const t = window.setTimeout(() => setWanted(true), MENU_LOAD_DELAY_MS);
    return () => window.clearTimeout(t);
  }, []);
  const views: ViewName[] = ['connections', 'automatic-sync', 'settings', 'item', 'history'];
  if (me?.isAdmin) views.push('admin');
  const placeholder = (
    <Button
      appearance="subtle"
      aria-label={messages.nav.label}
      aria-haspopup="menu"
      aria-expanded={false}
      onClick={() => {
        setPressed(true);
        setWanted(true);
      }}
      // Only fetch here: swapping the button under the pointer would swallow the click that follows.
      onPointerEnter={() => void loadSectionsMenu()}
      onFocus={() => {
        setFocused(true);
        void loadSectionsMenu();
      }}
      onBlur={() => setFocused(false)}
    >
      {messages.nav.label}
    </Button>
  );
  if (!wanted) return placeholder;
  return (
    <Suspense fallback={placeholder}>
      <SectionsMenu
        view={view}
        sections={views.map((v) => ({ view: v, title: viewTitles[v] }))}
        initiallyOpen={pressed}
        // Opening the menu moves focus into it; focusing the button as well would close it again.
        initiallyFocused={focused && !pressed}
        onNavigate={(v) => store.getState().navigate(v)}
        onSignOut={() => void auth.signOut().then(() => store.getState().signedOut())}
      />
    </Suspense>
  );
}

export function App() {
  useGlobalStyles();
  useFieldWidthStyles();
  const s = useStyles();
  const { store, auth, office } = useServices();
  const phase = useApp((st) => st.phase);
  const view = useApp((st) => st.view);
  const notice = useApp((st) => st.notice);
  const me = useApp((st) => st.me);
  const mainRef = useRef<HTMLElement>(null);
  // Office reports theme switches where it can (OfficeThemeChanged): the pane follows without a reload.
  const [themeKind, setThemeKind] = useState(() => office.theme());
  useEffect(() => office.onThemeChanged?.(() => setThemeKind(office.theme())), [office]);
  const [theme, setTheme] = useState<Theme | null>(() => loadedFluentTheme(themeKind));

  useEffect(() => {
    let live = true;
    void loadFluentTheme(themeKind).then((t) => live && setTheme(t));
    return () => {
      live = false;
    };
  }, [themeKind]);

  useLiveStatus(store, phase === 'ready');

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

  if (!theme) return null;
  return (
    <FluentProvider theme={theme}>
      <div className={s.root}>
        <header className={s.header}>
          <Text weight="semibold" as="h1" size={400}>
            {messages.appName}
          </Text>
          {phase === 'ready' && (
            <div className={s.menuButton}>
              <Navigation />
            </div>
          )}
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
      </div>
    </FluentProvider>
  );
}

/**
 * Every view is its own chunk: the first download is the shell, and the view the pane opens on is fetched in
 * parallel with the session (see `preloadView`). The other views are fetched once the first one is on screen
 * (`preloadOtherViews`), so they never compete with it.
 */
import { lazy, type ComponentType } from 'react';
import type { ViewName } from '../state/app-store';

const loaders: Record<ViewName, () => Promise<ComponentType>> = {
  connections: () =>
    import(/* webpackChunkName: "view-connections" */ './ConnectionsView.js').then((m) => m.ConnectionsView),
  'automatic-sync': () =>
    import(/* webpackChunkName: "view-sync" */ './AutomaticSyncView.js').then((m) => m.AutomaticSyncView),
  settings: () => import(/* webpackChunkName: "view-settings" */ './SettingsView.js').then((m) => m.SettingsView),
  item: () => import(/* webpackChunkName: "view-item" */ './ThisItemView.js').then((m) => m.ThisItemView),
  history: () => import(/* webpackChunkName: "view-history" */ './HistoryView.js').then((m) => m.HistoryView),
  admin: () => import(/* webpackChunkName: "view-admin" */ './AdminView.js').then((m) => m.AdminView),
};

const cache = new Map<ViewName, Promise<ComponentType>>();

/** Starts downloading a view's code; the lazy component below reuses the same promise. */
export function preloadView(view: ViewName): Promise<ComponentType> {
  let p = cache.get(view);
  if (!p) {
    p = loaders[view]();
    cache.set(view, p);
  }
  return p;
}

const lazyView = (v: ViewName) => lazy(() => preloadView(v).then((c) => ({ default: c })));

export const lazyViews: Record<ViewName, ComponentType> = {
  connections: lazyView('connections'),
  'automatic-sync': lazyView('automatic-sync'),
  settings: lazyView('settings'),
  item: lazyView('item'),
  history: lazyView('history'),
  admin: lazyView('admin'),
};

/** Leaves the first view and its API calls the network for this long before fetching the other views. */
const PRELOAD_DELAY_MS = 1500;

/** After the first view rendered: fetch the user's other views a little later, when the browser is idle. */
export function preloadOtherViews(views: ViewName[]): () => void {
  const idle =
    (window as { requestIdleCallback?: (cb: () => void) => number }).requestIdleCallback ??
    ((cb: () => void) => window.setTimeout(cb, 0));
  const timer = window.setTimeout(
    () =>
      idle(() => {
        for (const v of views) void preloadView(v).catch(() => cache.delete(v));
      }),
    PRELOAD_DELAY_MS,
  );
  return () => window.clearTimeout(timer);
}

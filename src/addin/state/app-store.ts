/**
 * The pane's state: where the user is (memory router: office.js nulls history.pushState), who is signed in,
 * and the server data several views share. Views that own their data (admin, history details) keep it local.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  ConnectionsResponse,
  MeResponse,
  ProvidersResponse,
  SettingsResponse,
  SyncStatusResponse,
} from '../../shared/api';
import type { ApiClient } from '../api/client';

export type ViewName = 'connections' | 'automatic-sync' | 'settings' | 'item' | 'history' | 'admin';

export type Phase = 'starting' | 'signed-out' | 'ready' | 'unreachable';

export interface Notice {
  intent: 'success' | 'error' | 'info' | 'warning';
  text: string;
  /** Says a run started: goes away by itself when no run is in flight any more (the result is on screen). */
  untilRunEnds?: boolean;
}

/** A run is queued or running. */
export function runInFlight(status: SyncStatusResponse | null): boolean {
  return Boolean(status && (status.running || status.queued > 0));
}

/**
 * The new status, and the notice without a "run started" line once no run is in flight: the run it announced
 * has ended (a run is counted as queued before the start call answers, so the first status after it is in
 * flight unless the run is already over).
 */
function withStatus(state: AppState, status: SyncStatusResponse): Partial<AppState> {
  return state.notice?.untilRunEnds && !runInFlight(status) ? { status, notice: null } : { status };
}

export interface AppState {
  phase: Phase;
  view: ViewName;
  me: MeResponse | null;
  providers: ProvidersResponse | null;
  connections: ConnectionsResponse | null;
  status: SyncStatusResponse | null;
  settings: SettingsResponse | null;
  notice: Notice | null;

  navigate(view: ViewName): void;
  setPhase(phase: Phase): void;
  notify(notice: Notice | null): void;
  /** Loads everything the shell and the banners need after sign-in. */
  loadSession(): Promise<void>;
  refreshConnections(): Promise<void>;
  refreshStatus(): Promise<SyncStatusResponse>;
  refreshSettings(): Promise<void>;
  setStatus(status: SyncStatusResponse): void;
  setSettings(settings: SettingsResponse): void;
  signedOut(): void;
}

export type AppStore = StoreApi<AppState>;

export function createAppStore(api: ApiClient, initialView: ViewName = 'connections'): AppStore {
  return createStore<AppState>()((set) => ({
    phase: 'starting',
    view: initialView,
    me: null,
    providers: null,
    connections: null,
    status: null,
    settings: null,
    notice: null,

    navigate: (view) => set({ view, notice: null }),
    setPhase: (phase) => set({ phase }),
    notify: (notice) => set({ notice }),
    async loadSession() {
      const [me, providers, connections, status, settings] = await Promise.all([
        api('me'),
        api('listProviders'),
        api('listConnections'),
        api('syncStatus'),
        api('getSettings'),
      ]);
      set({ me, providers, connections, status, settings, phase: 'ready' });
    },
    async refreshConnections() {
      const [connections, status] = await Promise.all([api('listConnections'), api('syncStatus')]);
      set((st) => ({ connections, ...withStatus(st, status) }));
    },
    async refreshStatus() {
      const status = await api('syncStatus');
      set((st) => withStatus(st, status));
      return status;
    },
    async refreshSettings() {
      set({ settings: await api('getSettings') });
    },
    setStatus: (status) => set((st) => withStatus(st, status)),
    setSettings: (settings) => set({ settings }),
    signedOut: () =>
      set({ phase: 'signed-out', me: null, connections: null, status: null, settings: null, providers: null }),
  }));
}

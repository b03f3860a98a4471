/** Hands the store, the API client, the account manager and the Office bridge to every component. */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { ApiClient } from '../api/client';
import type { AccountManager } from '../auth';
import type { OfficeBridge } from '../office';
import type { AppState, AppStore } from './app-store';

export interface PaneServices {
  store: AppStore;
  api: ApiClient;
  auth: AccountManager;
  office: OfficeBridge;
}

const ServicesContext = createContext<PaneServices | null>(null);

export function ServicesProvider({ services, children }: { services: PaneServices; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices(): PaneServices {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('ServicesProvider missing');
  return s;
}

export function useApp<T>(selector: (state: AppState) => T): T {
  return useStore(useServices().store, selector);
}

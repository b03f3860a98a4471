import type { EventDraft, SyncedFields } from '../../../src/sync/model';
import { openGraphProvider } from '../../../src/providers/calendar/graph';
import type { GraphCalendarProvider } from '../../../src/providers/calendar/graph';
import { GraphDouble } from '../../support/graph-double/server';

export interface Harness {
  double: GraphDouble;
  provider: GraphCalendarProvider;
  sleeps: number[];
  clock: { now: Date };
  stats: { requests: number; throttled: number; batchedRequests: number };
}

export async function startHarness(): Promise<Harness> {
  const double = new GraphDouble();
  const base = await double.start();
  const sleeps: number[] = [];
  const clock = { now: new Date('2026-11-21T08:00:00.000Z') };
  // The double's clock is the test's: lastModifiedDateTime and subscription lifetimes are judged against it.
  double.state.now = () => clock.now;
  const stats = { requests: 0, throttled: 0, batchedRequests: 0 };
  const provider = openGraphProvider(
    {
      account: double.state.userEmail,
      env: { fetch: (u, i) => fetch(u, i), graphBaseUrl: base, now: () => clock.now },
      getToken: () => Promise.resolve(double.token),
    },
    {
      stats,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    },
  );
  return { double, provider, sleeps, clock, stats };
}

export function fields(over: Partial<SyncedFields> = {}): SyncedFields {
  return {
    subject: 'Quarterly review',
    timing: { kind: 'timed', start: '2026-11-25T09:00:00.000Z', end: '2026-11-25T10:00:00.000Z', timeZone: 'UTC' },
    body: 'Agenda: numbers & <plans>',
    location: 'Room 1',
    visibility: 'normal',
    showAs: 'busy',
    attendees: [],
    recurrence: null,
    reminderMinutes: 15,
    ...over,
  };
}

export function draft(over: Partial<EventDraft> = {}, f: Partial<SyncedFields> = {}): EventDraft {
  return {
    fields: fields(f),
    crmTag: 'crm-1',
    crmUrl: 'https://crm.example/activities/1?x=1&y=2',
    sendInvitations: false,
    priority: null,
    ...over,
  };
}

export const window = { from: '2026-10-22T00:00:00.000Z', to: null };

/**
 * The real CalDAV servers the CalDAV provider and the engine scenarios run against (issue 19): Radicale and Xandikos,
 * both from Debian (scripts/ensure-system-packages.sh installs them). Suites are parametrized over `caldavServerKinds`;
 * CALDAV_SERVERS=radicale (comma-separated) narrows the list for a quick local run.
 */
import { startRadicale } from './radicale';
import { startXandikos } from './xandikos';

export type CalDavServerKind = 'radicale' | 'xandikos';

export interface CalDavTestServer {
  kind: CalDavServerKind;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** 127.0.0.1:<port>, for the SSRF allow-list */
  hostPort: string;
  users: Record<string, string>;
  /** The calendar home discovery finds for `user` (a path). */
  homePath(user: string): string;
  /** Creates a calendar collection (MKCALENDAR) for `user` and returns its path. */
  makeCalendar(user: string, name: string, displayName?: string): Promise<string>;
  /**
   * Puts resources into a calendar without the connector, as a restored backup or another client would (for large
   * fixtures such as the 10,000-event pairing).
   */
  seed(calendarPath: string, resources: { name: string; ics: string }[]): Promise<void>;
  /**
   * Requests the server received so far, every method and user (Radicale: counted from its log, started with
   * `logRequests`; Xandikos: counted by its authenticating proxy).
   */
  requestCount(): number;
  stop(): Promise<void>;
}

const all: CalDavServerKind[] = ['radicale', 'xandikos'];

export const caldavServerKinds: CalDavServerKind[] = (() => {
  const wanted = (process.env.CALDAV_SERVERS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return wanted.length ? all.filter((k) => wanted.includes(k)) : all;
})();

export function startCalDavServer(
  kind: CalDavServerKind,
  users?: Record<string, string>,
  opts: { logRequests?: boolean } = {},
): Promise<CalDavTestServer> {
  return kind === 'radicale' ? startRadicale(users, opts) : startXandikos(users);
}

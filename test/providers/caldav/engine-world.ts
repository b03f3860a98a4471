/**
 * The engine property harness's world (test/support/engine-properties.ts) on a real Radicale: the CalDAV provider
 * as the calendar, one fresh calendar collection per scenario, and a "user" that edits the calendar the way another
 * CalDAV client would (whole-resource PUT / DELETE with the same credentials, no connector tag).
 */
import { randomUUID } from 'node:crypto';
import ICAL from 'ical.js';
import { caldavConnector } from '../../../src/providers/calendar/caldav/connector';
import { DavClient } from '../../../src/providers/calendar/caldav/dav-client';
import {
  parseResource,
  renderIntoResource,
  renderNewResource,
  splitEventId,
  type SelfIdentity,
} from '../../../src/providers/calendar/caldav/ical-event';
import { listResources } from '../../../src/providers/calendar/caldav/listing';
import { canonicalPath } from '../../../src/providers/calendar/caldav/multistatus';
import type { Connection } from '../../../src/providers/connector';
import { MemoryCrm } from '../../../src/sync/testing';
import type { CalendarEvent, EventDraft, SyncedFields } from '../../../src/sync/model';
import type { EngineWorld } from '../../support/engine-properties';
import type { CalDavTestServer } from '../../support/caldav-server';
import { testEnv } from './env';
import { fixedClock } from '../../../src/shared/clock';

let worlds = 0;

export function caldavWorld(radicale: CalDavTestServer, connection: Connection, user: string) {
  return async (): Promise<EngineWorld> => {
    const calendarId = await radicale.makeCalendar(user, `p${++worlds}-${randomUUID().slice(0, 8)}`);
    // One clock for the CRM, the user's calendar edits, the provider and the engine; one second per read.
    const clock = fixedClock('2026-11-21T09:00:00.000Z', 1000);
    const env = testEnv([radicale.hostPort], undefined, clock);
    const calendar = caldavConnector.open(connection, env, { saveSecrets: async () => {} });
    const crm = new MemoryCrm({ userEmail: user, now: clock });
    const client = new DavClient(env.safeFetch, { username: user, password: radicale.users[user] ?? '' });
    const self: SelfIdentity = { addresses: [user] };
    const url = (href: string): string => new URL(href, radicale.origin).toString();
    const draftOf = (fields: SyncedFields, tag: string | null): EventDraft => ({
      fields,
      crmTag: tag ?? '',
      crmUrl: null,
      sendInvitations: true,
      priority: null,
    });
    const read = async (href: string): Promise<{ ics: string; etag: string }> => {
      const ans = await client.request({ method: 'GET', url: url(href) });
      return { ics: ans.body, etag: ans.headers.get('etag') ?? '' };
    };
    const put = async (href: string, ics: string, etag: string | null): Promise<void> => {
      await client.request({
        method: 'PUT',
        url: url(href),
        headers: {
          'content-type': 'text/calendar; charset=utf-8',
          ...(etag ? { 'if-match': etag } : { 'if-none-match': '*' }),
        },
        body: ics,
      });
    };
    const find = async (id: string): Promise<{ href: string; ics: string; etag: string; event: CalendarEvent }> => {
      const { href } = splitEventId(id);
      const r = await read(href);
      const event = parseResource({ href, etag: r.etag, calendarId }, r.ics, self).find((e) => e.id === id);
      if (!event) throw new Error(`no event ${id}`);
      return { href, ...r, event };
    };
    let n = 0;
    return {
      crm,
      calendar,
      calendarId,
      userEmail: user,
      now: new Date('2026-11-21T09:00:00.000Z'),
      clock,
      calendarControl: {
        async create(calId, input) {
          const href = `${calId}user-${++n}-${randomUUID().slice(0, 8)}.ics`;
          let ics = renderNewResource(`user-${n}-${randomUUID()}@other-client`, draftOf(input.fields, null), {
            self,
            now: clock(),
          });
          if (!input.isOrganizer) {
            // Someone else's meeting the user was invited to.
            const root = ICAL.Component.fromString(ics);
            const ev = root.getFirstSubcomponent('vevent');
            ev?.removeAllProperties('organizer');
            ev?.addProperty(ICAL.Property.fromString('ORGANIZER;CN=Boss:mailto:boss@client.test'));
            ics = root.toString();
          }
          await put(href, ics, null);
          return canonicalPath(href);
        },
        async update(id, patch) {
          const { href, ics, etag, event } = await find(id);
          const next = renderIntoResource(
            ics,
            event.occurrence?.originalStart ?? null,
            draftOf({ ...event.fields, ...patch }, event.crmTag),
            {
              self,
              now: clock(),
            },
          );
          await put(href, next, etag);
        },
        async cancel(id) {
          const { href, ics, etag } = await find(id);
          const root = ICAL.Component.fromString(ics);
          for (const ev of root.getAllSubcomponents('vevent')) {
            ev.updatePropertyWithValue('status', 'CANCELLED');
            ev.updatePropertyWithValue('last-modified', ICAL.Time.fromJSDate(clock(), true));
          }
          await put(href, root.toString(), etag);
        },
        async delete(id) {
          const { href } = splitEventId(id);
          await client.request({ method: 'DELETE', url: url(href) });
        },
        async list(calId) {
          const all = await listResources(client, url(calId), null, { preferEtags: true });
          return all.changed.flatMap((r) =>
            parseResource({ href: r.href, etag: r.etag, calendarId: calId }, r.ics, self),
          );
        },
      },
      crmControl: {
        create: async (input) => crm.userCreate({ ...input, ownerEmails: [user] }).id,
        update: async (id, patch) => void crm.userUpdate(id, patch),
        setFlag: async (id, value) => crm.userSetFlag(id, value),
        archive: async (id) => crm.userArchive(id),
        delete: async (id) => crm.userDelete(id),
        list: async () => crm.all(),
      },
      cleanup: async () => undefined,
    };
  };
}

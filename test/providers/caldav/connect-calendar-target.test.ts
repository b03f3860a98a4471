/**
 * SPEC §3: the calendar a user names at connect (the CalDAV URL of one calendar collection) becomes the default
 * target; a server or account URL names none (the default calendar is used). Against a real Radicale.
 */
import { caldavConnector } from '../../../src/providers/calendar/caldav/connector';
import { startRadicale, type RadicaleServer } from '../../support/radicale';
import { testEnv } from './env';

let radicale: RadicaleServer;
let personal: string;
let work: string;

beforeAll(async () => {
  radicale = await startRadicale({ carol: 'carol-app-password' });
  personal = await radicale.makeCalendar('carol', 'a-personal', 'Personal');
  work = await radicale.makeCalendar('carol', 'work crm', 'CRM');
}, 30_000);
afterAll(async () => {
  await radicale?.stop();
});

const connect = (url: string) =>
  caldavConnector.connect!(
    { method: 'app-password', url, fields: { username: 'carol', password: 'carol-app-password' } },
    testEnv([radicale.hostPort]),
  );

test('the URL of a calendar names it (with or without its trailing slash, percent-encoded or not)', async () => {
  // The id is the href the server lists (percent-encoded), whichever form the user typed.
  const named = await connect(`${radicale.origin}/carol/work%20crm/`);
  expect(named.calendarId).toBe(encodeURI(work));
  expect((await connect(`${radicale.origin}/carol/work crm`)).calendarId).toBe(encodeURI(work));
  expect(named.url).toBe(`${radicale.origin}/carol/`);
  expect((await connect(`${radicale.origin}/carol/a-personal`)).calendarId).toBe(personal);
});

test('the server or the account home names no calendar', async () => {
  expect((await connect(`${radicale.origin}/`)).calendarId).toBeNull();
  expect((await connect(`${radicale.origin}/carol/`)).calendarId).toBeNull();
});

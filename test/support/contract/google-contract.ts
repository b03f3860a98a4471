/**
 * The Google Calendar API v3 contract: every exchange with the Google double held to Google's description.
 *
 * ../shared/schemas has no Google folder. Google publishes its machine-readable description as the discovery
 * document (https://calendar-json.googleapis.com/$discovery/rest?version=v3; a public copy is
 * googleapis/google-api-go-client calendar/v3/calendar-api.json). The schemas below are written from it by hand,
 * only for the resources and fields the connector uses, with the types, enums and read-only markings it gives;
 * they are not a copy. Where the discovery document is silent the rule cites the reference page:
 * - events.insert ids: base32hex, 5..1024 characters (Event.id description; /calendar/api/v3/reference/events).
 * - EventDateTime: `date` for all-day, `dateTime` (RFC 3339 with offset) otherwise, never both
 *   (/calendar/api/v3/reference/events#start).
 * - events.list: syncToken cannot be combined with timeMin, timeMax, updatedMin, iCalUID, orderBy, q or
 *   privateExtendedProperty (/calendar/api/v3/reference/events/list, /calendar/api/guides/sync); maxResults ≤ 2500;
 *   the last page carries nextSyncToken, the others nextPageToken.
 * - Errors: {error: {code, message, errors: [{domain, reason, message}]}} (/calendar/api/guides/errors); 410 with
 *   reason fullSyncRequired for an expired sync token.
 * - Read-only on writes: kind, etag, htmlLink, created, updated, creator, hangoutLink, locked, recurringEventId
 *   (immutable), organizer (read-only except import).
 */
import Ajv, { type ValidateFunction } from 'ajv';
import type { GoogleExchange } from '../google-double/server';
import type { Finding } from './salesforce-contract';

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const str = { type: 'string' };
const bool = { type: 'boolean' };
const int = { type: 'integer' };
const person = {
  type: 'object',
  additionalProperties: false,
  properties: { displayName: str, email: str, id: str, self: bool },
};

/** Google Calendar API v3 resources (discovery document, schemas Event, EventDateTime, EventAttendee, …). */
export const googleCalendarSchemas = {
  $id: 'google-calendar-v3',
  $defs: {
    EventDateTime: {
      type: 'object',
      additionalProperties: false,
      properties: {
        date: { type: 'string', format: 'date' },
        dateTime: { type: 'string', format: 'rfc3339' },
        timeZone: str,
      },
      oneOf: [
        { required: ['date'], not: { required: ['dateTime'] } },
        { required: ['dateTime'], not: { required: ['date'] } },
      ],
    },
    EventAttendee: {
      type: 'object',
      additionalProperties: false,
      properties: {
        additionalGuests: int,
        comment: str,
        displayName: str,
        email: str,
        id: str,
        optional: bool,
        organizer: bool,
        resource: bool,
        responseStatus: { enum: ['needsAction', 'declined', 'tentative', 'accepted'] },
        self: bool,
      },
    },
    EventReminder: {
      type: 'object',
      additionalProperties: false,
      required: ['method', 'minutes'],
      properties: { method: { enum: ['email', 'popup'] }, minutes: { type: 'integer', minimum: 0, maximum: 40320 } },
    },
    Event: {
      type: 'object',
      additionalProperties: false,
      properties: {
        anyoneCanAddSelf: bool,
        attachments: { type: 'array' },
        attendees: { type: 'array', items: { $ref: '#/$defs/EventAttendee' } },
        attendeesOmitted: bool,
        colorId: { type: 'string', pattern: '^([1-9]|1[01])$' },
        conferenceData: { type: 'object' },
        created: { type: 'string', format: 'rfc3339' },
        creator: person,
        description: str,
        end: { $ref: '#/$defs/EventDateTime' },
        endTimeUnspecified: bool,
        etag: str,
        eventType: { enum: ['default', 'outOfOffice', 'focusTime', 'workingLocation', 'fromGmail', 'birthday'] },
        extendedProperties: {
          type: 'object',
          additionalProperties: false,
          properties: {
            private: { type: 'object', additionalProperties: str },
            shared: { type: 'object', additionalProperties: str },
          },
        },
        guestsCanInviteOthers: bool,
        guestsCanModify: bool,
        guestsCanSeeOtherGuests: bool,
        hangoutLink: str,
        htmlLink: str,
        iCalUID: str,
        id: str,
        kind: { const: 'calendar#event' },
        location: str,
        locked: bool,
        organizer: person,
        originalStartTime: { $ref: '#/$defs/EventDateTime' },
        privateCopy: bool,
        recurrence: { type: 'array', items: { type: 'string', pattern: '^(RRULE|EXRULE|RDATE|EXDATE)[:;]' } },
        recurringEventId: str,
        reminders: {
          type: 'object',
          additionalProperties: false,
          properties: {
            overrides: { type: 'array', maxItems: 5, items: { $ref: '#/$defs/EventReminder' } },
            useDefault: bool,
          },
        },
        sequence: int,
        source: { type: 'object', additionalProperties: false, properties: { title: str, url: str } },
        start: { $ref: '#/$defs/EventDateTime' },
        status: { enum: ['confirmed', 'tentative', 'cancelled'] },
        summary: str,
        transparency: { enum: ['opaque', 'transparent'] },
        updated: { type: 'string', format: 'rfc3339' },
        visibility: { enum: ['default', 'public', 'private', 'confidential'] },
      },
    },
    Events: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'items'],
      properties: {
        accessRole: str,
        defaultReminders: { type: 'array', items: { $ref: '#/$defs/EventReminder' } },
        description: str,
        etag: str,
        items: { type: 'array', items: { $ref: '#/$defs/Event' } },
        kind: { const: 'calendar#events' },
        nextPageToken: str,
        nextSyncToken: str,
        summary: str,
        timeZone: str,
        updated: { type: 'string', format: 'rfc3339' },
      },
      not: { required: ['nextPageToken', 'nextSyncToken'] },
    },
    CalendarListEntry: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: {
        accessRole: { enum: ['freeBusyReader', 'reader', 'writer', 'owner'] },
        backgroundColor: str,
        colorId: str,
        conferenceProperties: { type: 'object' },
        defaultReminders: { type: 'array', items: { $ref: '#/$defs/EventReminder' } },
        deleted: bool,
        description: str,
        etag: str,
        foregroundColor: str,
        hidden: bool,
        id: str,
        kind: { const: 'calendar#calendarListEntry' },
        location: str,
        notificationSettings: { type: 'object' },
        primary: bool,
        selected: bool,
        summary: str,
        summaryOverride: str,
        timeZone: str,
      },
    },
    CalendarList: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'items'],
      properties: {
        etag: str,
        items: { type: 'array', items: { $ref: '#/$defs/CalendarListEntry' } },
        kind: { const: 'calendar#calendarList' },
        nextPageToken: str,
        nextSyncToken: str,
      },
    },
    Channel: {
      type: 'object',
      additionalProperties: false,
      properties: {
        address: str,
        expiration: { type: 'string', pattern: '^\\d+$' },
        id: str,
        kind: { const: 'api#channel' },
        params: { type: 'object', additionalProperties: str },
        payload: bool,
        resourceId: str,
        resourceUri: str,
        token: str,
        type: { enum: ['web_hook', 'webhook'] },
      },
    },
    Error: {
      type: 'object',
      additionalProperties: false,
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: int,
            message: str,
            status: str,
            errors: {
              type: 'array',
              items: { type: 'object', required: ['reason'], properties: { domain: str, reason: str, message: str } },
            },
          },
        },
      },
    },
  },
};

const readOnlyOnWrite = [
  'kind',
  'etag',
  'htmlLink',
  'created',
  'updated',
  'creator',
  'hangoutLink',
  'locked',
  'organizer',
];
const listParams = new Set([
  'alwaysIncludeEmail',
  'eventTypes',
  'iCalUID',
  'maxAttendees',
  'maxResults',
  'orderBy',
  'pageToken',
  'privateExtendedProperty',
  'q',
  'sharedExtendedProperty',
  'showDeleted',
  'showHiddenInvitations',
  'singleEvents',
  'syncToken',
  'timeMax',
  'timeMin',
  'timeZone',
  'updatedMin',
]);
const notWithSyncToken = [
  'timeMin',
  'timeMax',
  'updatedMin',
  'iCalUID',
  'orderBy',
  'q',
  'privateExtendedProperty',
  'sharedExtendedProperty',
];

export interface GoogleContract {
  check(ex: GoogleExchange): Finding[];
  validate(def: string, body: unknown): string[];
}

export function googleContract(): GoogleContract {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('rfc3339', rfc3339);
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
  ajv.addSchema(googleCalendarSchemas);
  const validators = new Map<string, ValidateFunction>();
  function validate(def: string, body: unknown): string[] {
    let v = validators.get(def);
    if (!v) {
      v = ajv.getSchema(`google-calendar-v3#/$defs/${def}`)!;
      validators.set(def, v);
    }
    return v(body)
      ? []
      : (v.errors ?? []).map(
          (e) =>
            `${def}${e.instancePath} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` '${String(e.params['additionalProperty'])}'` : ''}`,
        );
  }

  function check(ex: GoogleExchange): Finding[] {
    const where = `${ex.method} ${ex.path}`;
    const out: Finding[] = [];
    const add = (p: string[]) => p.forEach((problem) => out.push({ where, problem }));
    if (ex.path === '/token' || ex.path === '/revoke') return out; // OAuth 2.0 (RFC 6749), not the Calendar API
    const rel = /^\/calendar\/v3(\/.*)$/.exec(ex.path)?.[1];
    if (!rel) return [{ where, problem: 'not a Calendar API v3 path' }];
    if (ex.status >= 400) {
      add(validate('Error', ex.responseBody));
      if (ex.status === 410 && ex.method === 'GET' && ex.query.has('syncToken')) {
        const reason = (ex.responseBody as { error?: { errors?: { reason?: string }[] } }).error?.errors?.[0]?.reason;
        if (reason !== 'fullSyncRequired') add([`410 for a sync token with reason ${String(reason)}`]);
      }
      return out;
    }
    const body = ex.requestBody as Record<string, unknown>;
    if (/^\/users\/me\/calendarList$/.test(rel)) add(validate('CalendarList', ex.responseBody));
    else if (/^\/users\/me\/calendarList\/[^/]+$/.test(rel)) add(validate('CalendarListEntry', ex.responseBody));
    else if (rel === '/channels/stop') {
      add(validate('Channel', body));
      if (ex.status !== 204) add([`channels.stop answered ${ex.status}`]);
    } else if (/^\/calendars\/[^/]+\/events\/watch$/.test(rel)) {
      add(validate('Channel', body).map((e) => `request ${e}`));
      if (body['type'] !== 'web_hook' || typeof body['id'] !== 'string' || typeof body['address'] !== 'string')
        add(['events.watch without id, type web_hook and address']);
      add(validate('Channel', ex.responseBody));
    } else if (/^\/calendars\/[^/]+\/events$/.test(rel) && ex.method === 'GET') {
      for (const k of ex.query.keys()) if (!listParams.has(k)) add([`events.list has no parameter '${k}'`]);
      if (ex.query.has('syncToken'))
        for (const k of notWithSyncToken) if (ex.query.has(k)) add([`events.list: syncToken with ${k}`]);
      const max = Number(ex.query.get('maxResults') ?? 250);
      if (!(max >= 1 && max <= 2500)) add([`events.list maxResults ${max}`]);
      add(validate('Events', ex.responseBody));
    } else if (/^\/calendars\/[^/]+\/events$/.test(rel) && ex.method === 'POST') {
      add(writeBody(body, true));
      add(validate('Event', ex.responseBody));
    } else if (/^\/calendars\/[^/]+\/events\/[^/]+$/.test(rel)) {
      if (ex.method === 'PATCH' || ex.method === 'PUT') add(writeBody(body, false));
      if (ex.method === 'DELETE') {
        if (ex.status !== 204) add([`events.delete answered ${ex.status}`]);
      } else add(validate('Event', ex.responseBody));
    } else add([`no rule for this resource`]);
    for (const k of ex.query.keys())
      if (k === 'sendUpdates' && !['all', 'externalOnly', 'none'].includes(ex.query.get(k)!))
        add([`sendUpdates=${ex.query.get(k)}`]);
    return out;
  }

  function writeBody(body: Record<string, unknown>, insert: boolean): string[] {
    const out = validate('Event', body).map((e) => `request ${e}`);
    for (const k of readOnlyOnWrite) if (k in body) out.push(`request Event.${k} is read-only`);
    if (insert && typeof body['id'] === 'string' && !/^[a-v0-9]{5,1024}$/.test(body['id']))
      out.push(`request Event.id '${body['id']}' is not base32hex of 5..1024 characters`);
    if (insert && 'id' in body && 'iCalUID' in body) out.push('request names both id and iCalUID');
    return out;
  }

  return { check, validate };
}

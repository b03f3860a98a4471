import fc from 'fast-check';
import type { SyncedFields } from '../../src/sync/model';
import type { LinkRecord } from '../../src/sync/status-store';
import { decodeLinkHeavy, encodeLinkRow, loadLinkRow, StringTable } from '../../src/sync/testing/link-row';

/** Strings that stress the row format: its separators, JSON's escapes, wide and astral characters, lone surrogates. */
const tricky = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    '\n',
    '\t',
    '\u0001',
    '"',
    '\\',
    '[',
    '0',
    'a\tb\nc',
    '’',
    'Überblick',
    '😀',
    '\ud800',
    'x\u0001y',
  ),
);
/** Any JSON data as JSON keeps it (fc.jsonValue may answer -0, which any JSON store keeps as 0). */
const anyJson = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);

/** ISO instants as Date writes them (stored as numbers), and strings that only look like them. */
const instant = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2026-11-21T09:00:00Z', '2026-11-21T09:00:00.000+00:00', '2026-11-21', '+010000-01-01T00:00:00.000Z'),
  tricky,
);

const timing = fc.oneof(
  fc.record({ kind: fc.constant('timed' as const), start: instant, end: instant, timeZone: tricky }),
  fc.record({ kind: fc.constant('timed' as const), start: fc.integer(), end: instant, timeZone: tricky }),
  fc.record({ kind: fc.constant('all-day' as const), startDate: tricky, endDate: tricky }),
  // Not in the model's shape: must be kept as it is.
  fc.record({ kind: fc.constant('timed' as const), start: tricky, end: tricky }),
  fc.record({ kind: tricky, startDate: tricky, endDate: tricky, extra: anyJson }),
);

const person = fc.oneof(
  fc.record({ email: tricky }),
  fc.record({ email: tricky, name: tricky }),
  fc.record({ email: anyJson, name: fc.option(tricky) }),
  fc.record({ email: tricky, role: tricky }),
);

const completeFields = fc.record({
  subject: tricky,
  timing,
  body: tricky,
  location: tricky,
  visibility: fc.oneof(fc.constantFrom('normal' as const, 'private' as const), tricky),
  showAs: fc.oneof(fc.constantFrom('busy' as const, 'free' as const), tricky),
  attendees: fc.array(person, { maxLength: 3 }),
  recurrence: fc.option(fc.record({ rrule: tricky, exdates: fc.array(tricky, { maxLength: 2 }) })),
  reminderMinutes: fc.option(fc.integer()),
});

/** Mostly complete fields; sometimes one missing or one extra key (stored unpacked). */
const fields: fc.Arbitrary<SyncedFields> = fc.oneof(
  { weight: 4, arbitrary: completeFields.map((f) => f as unknown as SyncedFields) },
  {
    weight: 1,
    arbitrary: completeFields.map((f) => {
      const { body: _dropped, ...rest } = f;
      return rest as unknown as SyncedFields;
    }),
  },
  { weight: 1, arbitrary: fc.tuple(completeFields, anyJson).map(([f, x]) => ({ ...f, extra: x }) as SyncedFields) },
);

const crmInfo = fc.oneof(
  fc.record(
    {
      type: fc.constantFrom('meeting' as const, 'call' as const, 'task' as const),
      completed: fc.boolean(),
      priority: fc.option(fc.constantFrom('low' as const, 'normal' as const, 'high' as const)),
      url: fc.option(tricky),
      contacts: fc.nat(),
    },
    { requiredKeys: ['type', 'completed', 'priority', 'url'] },
  ),
  fc.record({ type: fc.constant('meeting' as const), completed: fc.boolean(), priority: fc.constant(null) }),
);

const link: fc.Arbitrary<LinkRecord> = fc
  .record(
    {
      crmId: tricky,
      eventId: tricky,
      otherId: fc.option(tricky),
      calendarId: tricky,
      iCalUId: fc.option(tricky),
      origin: fc.constantFrom('crm' as const, 'calendar' as const),
      crmVersion: tricky,
      eventVersion: tricky,
      crmFields: fields,
      eventFields: fc.option(fields),
      crmHash: tricky,
      eventHash: tricky,
      occurrence: fc.record({ seriesId: tricky, originalStart: tricky }),
      syncedAt: tricky,
      crmInfo,
      eventIsOrganizer: fc.boolean(),
      eventWritesNotify: fc.boolean(),
      heldPush: fc.record({ shown: fc.record({ subject: tricky, reminderMinutes: fc.option(fc.integer()) }) }),
      heldDelete: fc.boolean(),
      iCalUIdOwed: fc.boolean(),
    },
    {
      requiredKeys: [
        'crmId',
        'eventId',
        'otherId',
        'calendarId',
        'iCalUId',
        'origin',
        'crmVersion',
        'eventVersion',
        'crmFields',
        'eventFields',
        'crmHash',
        'eventHash',
        'syncedAt',
      ],
    },
  )
  .map(
    ({ otherId, eventFields, ...l }) =>
      ({
        ...l,
        // Mostly the planner's pair id (crmId and eventId are then left out of the row), sometimes any id.
        id: otherId ?? `${l.crmId}\u0001${l.eventId}`,
        // Often both sides equal (stored once).
        eventFields: eventFields ?? l.crmFields,
      }) as LinkRecord,
  );

/** What a store must give back: the same data, and exactly the same own keys (an absent optional stays absent). */
function expectSameLink(actual: LinkRecord, expected: LinkRecord): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  expect({ ...actual }).toEqual(expected);
}

describe('memory status store link rows', () => {
  test('every LinkRecord round-trips exactly, scalars and field values alike', () => {
    fc.assert(
      fc.property(link, (l) => {
        const shared = new StringTable();
        const row = encodeLinkRow(l, shared);
        expectSameLink(loadLinkRow(l.id, row, shared), l);
        const heavy = decodeLinkHeavy(row);
        expect(heavy.crmFields).toEqual(l.crmFields);
        expect(heavy.eventFields).toEqual(l.eventFields);
      }),
      { numRuns: 400 },
    );
  });

  test('a row of plain ids is plain text up to its first line break and stays one-byte (no wide characters)', () => {
    const shared = new StringTable();
    const l: LinkRecord = {
      id: 'crm-1\u0001evt-1',
      crmId: 'crm-1',
      eventId: 'evt-1',
      calendarId: 'primary',
      iCalUId: null,
      origin: 'calendar',
      crmVersion: 'v1',
      eventVersion: 'v2',
      crmHash: 'h1',
      eventHash: 'h2',
      syncedAt: '2026-11-21T09:00:00.000Z',
      crmFields: {
        subject: 'Review ✓ – 😀',
        timing: { kind: 'all-day', startDate: '2026-11-23', endDate: '2026-11-24' },
        body: '',
        location: '',
        visibility: 'normal',
        showAs: 'free',
        attendees: [{ email: 'a@x.test' }, { email: 'b@x.test', name: 'B' }],
        recurrence: null,
        reminderMinutes: null,
      },
      eventFields: {} as SyncedFields,
      eventIsOrganizer: false,
    };
    l.eventFields = l.crmFields;
    const row = encodeLinkRow(l, shared);
    const scalars = row.slice(0, row.indexOf('\n'));
    expect(scalars.split('\t')).toHaveLength(10);
    expect(scalars).not.toContain('crm-1');
    expect(row).not.toMatch(/[\u0100-\uffff]/);
    expectSameLink(loadLinkRow(l.id, row, shared), l);
  });

  test('a loaded link keeps the row it came from: a later upsert does not change what it shows', () => {
    const shared = new StringTable();
    const base: LinkRecord = {
      id: 'c\u0001e',
      crmId: 'c',
      eventId: 'e',
      calendarId: 'cal',
      iCalUId: 'u',
      origin: 'crm',
      crmVersion: '1',
      eventVersion: '1',
      crmHash: 'a',
      eventHash: 'b',
      syncedAt: 't',
      crmFields: {
        subject: 'Old',
        timing: { kind: 'timed', start: 's', end: 'e', timeZone: 'UTC' },
        body: '',
        location: '',
        visibility: 'normal',
        showAs: 'busy',
        attendees: [],
        recurrence: null,
        reminderMinutes: 15,
      },
      eventFields: {} as SyncedFields,
    };
    base.eventFields = base.crmFields;
    const loaded = loadLinkRow(base.id, encodeLinkRow(base, shared), shared);
    encodeLinkRow({ ...base, crmFields: { ...base.crmFields, subject: 'New' } }, shared);
    expect(loaded.crmFields.subject).toBe('Old');
    // The two sides are separate objects although stored once.
    loaded.eventFields.subject = 'Changed';
    expect(loaded.crmFields.subject).toBe('Old');
    // Writes replace the lazy value; spreads see plain data.
    loaded.crmFields = { ...loaded.crmFields, subject: 'Written' };
    expect({ ...loaded }.crmFields.subject).toBe('Written');
    expect(Object.getOwnPropertyDescriptor(loaded, 'crmFields')?.get).toBeUndefined();
  });

  test('a row referring to a shared string the table does not hold is an error, not a wrong link', () => {
    const row = encodeLinkRow(
      {
        id: 'c\u0001e',
        crmId: 'c',
        eventId: 'e',
        calendarId: 'cal',
        iCalUId: null,
        origin: 'crm',
        crmVersion: '1',
        eventVersion: '1',
        crmHash: 'a',
        eventHash: 'b',
        syncedAt: 't',
        crmFields: {} as SyncedFields,
        eventFields: {} as SyncedFields,
      },
      new StringTable(),
    );
    expect(() => loadLinkRow('c\u0001e', row, new StringTable())).toThrow(/unknown shared string/);
  });
});

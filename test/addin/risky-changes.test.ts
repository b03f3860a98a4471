import fc from 'fast-check';
import { changedSettings, riskyChanges } from '../../src/addin/views/settings/risky-changes';
import { defaultSettings, syncSettingsSchema, type SyncSettings } from '../../src/shared/settings';

const settingsArb: fc.Arbitrary<SyncSettings> = fc.record({
  automaticSync: fc.boolean(),
  syncIntervalMinutes: fc.integer({ min: 1, max: 1440 }),
  syncRecords: fc.constantFrom('related' as const, 'all' as const),
  direction: fc.constantFrom('two-way' as const, 'crm-to-calendar' as const, 'calendar-to-crm' as const),
  syncInvitees: fc.boolean(),
  invitations: fc.constantFrom('never' as const, 'always' as const, 'after-first-sync' as const),
  conflictPolicy: fc.constantFrom('crm-wins' as const, 'most-recent-wins' as const, 'calendar-wins' as const),
  pastWindowDays: fc.integer({ min: 0, max: 3650 }),
  privateEvents: fc.constantFrom('skip' as const, 'private' as const, 'busy' as const),
  activityTypes: fc.subarray(['meeting', 'call', 'follow-up', 'task'] as const, { minLength: 1 }).map((a) => [...a]),
  taskEventMinutes: fc.integer({ min: 5, max: 1440 }),
  defaultReminderMinutes: fc.constantFrom(null, 0, 5, 15, 30, 60, 1440),
  createContacts: fc.boolean(),
});

describe('riskyChanges', () => {
  it('flags scope narrowing as deleting and switching invitations on as e-mailing', () => {
    expect(riskyChanges(defaultSettings, { syncRecords: 'all' })).toEqual([]);
    expect(riskyChanges({ ...defaultSettings, syncRecords: 'all' }, { syncRecords: 'related' })).toEqual(['deletes']);
    expect(riskyChanges(defaultSettings, { activityTypes: ['meeting'] })).toEqual(['deletes']);
    expect(riskyChanges(defaultSettings, { pastWindowDays: 7 })).toEqual(['deletes']);
    expect(riskyChanges({ ...defaultSettings, privateEvents: 'busy' }, { privateEvents: 'skip' })).toEqual(['deletes']);
    expect(riskyChanges(defaultSettings, { invitations: 'always' })).toEqual(['emails']);
    expect(
      riskyChanges({ ...defaultSettings, syncInvitees: false, invitations: 'always' }, { syncInvitees: true }),
    ).toEqual(['emails']);
    expect(riskyChanges(defaultSettings, { conflictPolicy: 'calendar-wins', defaultReminderMinutes: 5 })).toEqual([]);
  });

  it('never flags a change that changes nothing', () => {
    fc.assert(
      fc.property(settingsArb, (s) => {
        expect(syncSettingsSchema.safeParse(s).success).toBe(true);
        expect(riskyChanges(s, {})).toEqual([]);
        expect(riskyChanges(s, { ...s })).toEqual([]);
      }),
    );
  });

  it('changedSettings keeps exactly the keys whose value differs', () => {
    fc.assert(
      fc.property(settingsArb, settingsArb, (a, b) => {
        const diff = changedSettings(a, b);
        for (const k of Object.keys(b) as (keyof SyncSettings)[]) {
          const differs = JSON.stringify(a[k]) !== JSON.stringify(b[k]);
          expect(k in diff).toBe(differs);
        }
      }),
    );
  });
});

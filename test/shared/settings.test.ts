import fc from 'fast-check';
import {
  defaultSettings,
  partialSettingsSchema,
  resolveSettings,
  settingKeys,
  syncSettingsSchema,
  type PartialSettings,
} from '../../src/shared/settings';

describe('settings resolution (SPEC §4)', () => {
  it('gives the documented defaults when nothing is set', () => {
    const { settings, details } = resolveSettings({ global: {}, profile: null, user: {} });
    expect(settings).toEqual(defaultSettings);
    expect(details.every((d) => d.source === 'default' && !d.locked)).toBe(true);
  });

  it('layers global ← profile ← user', () => {
    const { settings, details } = resolveSettings({
      global: { pastWindowDays: 60, conflictPolicy: 'most-recent-wins' },
      profile: { name: 'Sales', values: { pastWindowDays: 14 }, locked: [] },
      user: { conflictPolicy: 'calendar-wins' },
    });
    expect(settings.pastWindowDays).toBe(14);
    expect(settings.conflictPolicy).toBe('calendar-wins');
    expect(details.find((d) => d.key === 'pastWindowDays')?.source).toBe('profile');
    expect(details.find((d) => d.key === 'conflictPolicy')?.source).toBe('user');
  });

  it('ignores a user value for a locked setting and reports the lock', () => {
    const { settings, details } = resolveSettings({
      global: {},
      profile: { name: 'Locked', values: { invitations: 'never' }, locked: ['invitations'] },
      user: { invitations: 'always' },
    });
    expect(settings.invitations).toBe('never');
    expect(details.find((d) => d.key === 'invitations')).toMatchObject({ source: 'profile', locked: true });
  });

  it('never lets a user set the admin-only sync interval', () => {
    const { settings } = resolveSettings({
      global: { syncIntervalMinutes: 10 },
      profile: null,
      user: { syncIntervalMinutes: 1 },
    });
    expect(settings.syncIntervalMinutes).toBe(10);
  });

  it('rejects unknown keys and bad values, naming the field', () => {
    const bad = partialSettingsSchema.safeParse({ direction: 'sideways' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['direction']);
    expect(partialSettingsSchema.safeParse({ colour: 'red' }).success).toBe(false);
  });

  it('always resolves to a valid settings object whatever valid layers it gets', () => {
    const partial = fc
      .record(
        {
          pastWindowDays: fc.integer({ min: 0, max: 3650 }),
          direction: fc.constantFrom('two-way', 'crm-to-calendar', 'calendar-to-crm' as const),
          syncInvitees: fc.boolean(),
          taskEventMinutes: fc.integer({ min: 5, max: 1440 }),
        },
        { requiredKeys: [] },
      )
      .map((p) => p as PartialSettings);
    fc.assert(
      fc.property(partial, partial, partial, fc.subarray([...settingKeys]), (g, p, u, locked) => {
        const { settings, details } = resolveSettings({
          global: g,
          profile: { name: 'p', values: p, locked },
          user: u,
        });
        expect(syncSettingsSchema.safeParse(settings).success).toBe(true);
        for (const key of locked) expect(details.find((d) => d.key === key)?.source).not.toBe('user');
      }),
    );
  });
});

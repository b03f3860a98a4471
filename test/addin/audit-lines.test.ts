import { describeAudit } from '../../src/addin/views/admin/audit-lines';

const entry = (action: string, target: string | null, details: unknown) => ({
  id: 'a1',
  at: '2026-11-20T10:00:00.000Z',
  actor: 'boss@example.com',
  action,
  target,
  details,
});

describe('audit log lines', () => {
  it('names each changed setting with its value before and after, in words', () => {
    const r = describeAudit(
      entry('global-settings.update', null, {
        before: { invitations: 'never' },
        after: { invitations: 'always', pastWindowDays: 10 },
      }),
    );
    expect(r.summary).toBe('changed the global settings');
    expect(r.changes).toEqual(['Email invitations / updates: Never → Always', 'Days back to sync: not set → 10']);
  });

  it('says what a profile update changed, locks and name included', () => {
    const r = describeAudit(
      entry('profile.update', 'Quiet sales', {
        before: { name: 'Quiet', values: { invitations: 'never' }, locked: [] },
        after: { name: 'Quiet sales', values: { invitations: 'never' }, locked: ['invitations'] },
      }),
    );
    expect(r.summary).toBe('changed the profile “Quiet sales”');
    expect(r.changes).toEqual(['Name: Quiet → Quiet sales', 'Email invitations / updates: locked']);
  });

  it('reads assignments and unknown actions without raw JSON', () => {
    expect(describeAudit(entry('profile.assign', 'ann@example.com', { profile: 'Quiet sales' })).summary).toBe(
      'gave ann@example.com the profile “Quiet sales”',
    );
    expect(describeAudit(entry('profile.assign', 'ann@example.com', { profile: null })).summary).toBe(
      'took ann@example.com out of their profile',
    );
    expect(describeAudit(entry('keys.rotate', null, { keyId: 'k2' }))).toEqual({ summary: 'keys.rotate', changes: [] });
  });
});

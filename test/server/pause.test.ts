import { automaticRunsWanted, pauseOf, type PauseFacts } from '../../src/server/services/pause';

const both = [
  { side: 'crm' as const, status: 'connected' as const, lastError: null },
  { side: 'calendar' as const, status: 'connected' as const, lastError: null },
];
const facts = (f: Partial<PauseFacts>): PauseFacts => ({
  automaticSync: true,
  stored: null,
  connections: both,
  pending: null,
  ...f,
});

describe('the pause of automatic sync (one decision for the status line and the scheduler)', () => {
  it('runs when automatic sync is on, both sides are connected and nothing is paused', () => {
    expect(pauseOf(facts({}))).toBeNull();
    expect(automaticRunsWanted(facts({}))).toBe(true);
    expect(automaticRunsWanted(facts({ automaticSync: false }))).toBe(false);
  });

  it('says re-authorize when a run stored it or a connection needs it, naming the side', () => {
    const calendarRevoked = [both[0]!, { side: 'calendar' as const, status: 'needs-reauth' as const, lastError: 'x' }];
    expect(pauseOf(facts({ connections: calendarRevoked }))).toEqual({
      reason: 'needs-reauth',
      message: 'x',
      side: 'calendar',
    });
    const stored = { reason: 'needs-reauth', message: 'Authorization was revoked.' };
    expect(pauseOf(facts({ stored }))).toMatchObject({ reason: 'needs-reauth', message: 'Authorization was revoked.' });
    expect(automaticRunsWanted(facts({ connections: calendarRevoked }))).toBe(false);
  });

  it('waits for an answer to a deletion question, with its reason', () => {
    const pending = { reason: 'Deleting 40 items needs your confirmation.' };
    expect(pauseOf(facts({ pending }))).toEqual({ reason: 'needs-confirmation', message: pending.reason, side: null });
    const stored = { reason: 'needs-confirmation', message: 'Confirm the deletions.' };
    expect(automaticRunsWanted(facts({ stored }))).toBe(false);
  });

  it('names the missing side, only while automatic sync is on', () => {
    const crmOnly = [both[0]!];
    expect(pauseOf(facts({ connections: crmOnly }))).toEqual({
      reason: 'not-connected',
      message: 'Connect your calendar.',
      side: 'calendar',
    });
    expect(pauseOf(facts({ connections: [] }))?.side).toBe('crm');
    expect(pauseOf(facts({ automaticSync: false, connections: crmOnly }))).toBeNull();
    expect(automaticRunsWanted(facts({ connections: crmOnly }))).toBe(false);
  });

  it('keeps a superseded account from the schedule, though the pane never shows that pause', () => {
    const stored = { reason: 'superseded', message: 'Another Entra account now signs in with this e-mail address.' };
    expect(pauseOf(facts({ stored }))).toBeNull();
    expect(automaticRunsWanted(facts({ stored }))).toBe(false);
  });
});

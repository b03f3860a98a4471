import {
  asProviderError,
  describeCall,
  parseJsonAnswer,
  vendorCode,
} from '../../../src/providers/http/provider-errors';
import { DailyBudget, nextUtcMidnight } from '../../../src/providers/http/rate-limit';
import { fixedClock } from '../../../src/shared/clock';

describe('vendor errors in our words: codes only, calls without ids, queries or tokens', () => {
  test('a vendor code is kept only when it looks like one', () => {
    expect(vendorCode('INVALID_DATA')).toBe('INVALID_DATA');
    expect(vendorCode(403)).toBe('403');
    expect(vendorCode('bad token 0123456789abcdef, see https://evil.example')).toBeNull();
    expect(vendorCode({ code: 'X' })).toBeNull();
    expect(vendorCode('')).toBeNull();
  });

  test('a call is named by its method and the words of its path', () => {
    const token = 'CJSP5qf1KhICAQEYs-gDIIGOBii1aBQ';
    expect(describeCall('GET', `/oauth/v1/access-tokens/${token}`)).toBe('GET /oauth/v1/access-tokens/{id}');
    expect(describeCall('GET', '/api/v2/persons/search?term=ann%40acme.example')).toBe('GET /api/v2/persons/search');
    expect(describeCall('PUT', '/crm/v8/Events/5843104000000424001')).toBe('PUT /crm/v8/Events/{id}');
    expect(describeCall('GET', '/v1/activityTypes')).toBe('GET /v1/activityTypes');
    expect(describeCall('POST', '/crm/v4/associations/meetings/contacts/batch/create')).toBe(
      'POST /crm/v4/associations/meetings/contacts/batch/create',
    );
  });

  test('an answer that is not JSON is named, never quoted', () => {
    const secret = 'hunter2-session-secret';
    let thrown: unknown;
    try {
      parseJsonAnswer(`<html>${secret}</html>`, 'Zoho', 'GET /crm/v8/Events');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({
      kind: 'permanent',
      message: 'Zoho answered GET /crm/v8/Events with something other than JSON',
    });
    let parseError: unknown;
    try {
      JSON.parse(`<${secret}>`);
    } catch (e) {
      parseError = e;
    }
    expect(asProviderError(parseError).message).not.toContain(secret);
  });

  test('a used-up daily budget stops every later call until it resets', () => {
    const clock = fixedClock('2030-01-10T20:00:00.000Z');
    const budget = new DailyBudget(clock);
    expect(() => budget.check()).not.toThrow();
    const err = budget.exhausted('Vendor: budget used up.', nextUtcMidnight(clock()), 429);
    expect(err).toMatchObject({ kind: 'permanent', status: 429, retryAfterMs: 4 * 3_600_000 });
    expect(() => budget.check()).toThrow('Vendor: budget used up.');
    clock.advance(4 * 3_600_000);
    expect(() => budget.check()).not.toThrow();
  });
});

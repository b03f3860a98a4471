import { toConnectError } from '../../../src/providers/http/connect-error';

describe('toConnectError', () => {
  test('a JSON parse failure does not quote the provider’s answer (it can hold a secret)', () => {
    let thrown: unknown;
    try {
      JSON.parse('<html>access_token=ya29.secret-value</html>');
    } catch (e) {
      thrown = e;
    }
    const ce = toConnectError(thrown);
    expect(ce.reason).toBe('provider-error');
    expect(ce.message).not.toContain('ya29');
    expect(ce.message).not.toContain('<html>');
  });
});

import { Writable } from 'node:stream';
import pino from 'pino';
import { redactedPaths } from '../../src/server/log';

describe('log redaction', () => {
  it('never writes credentials, tokens or form fields', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    const log = pino({ redact: { paths: redactedPaths, censor: '[redacted]' } }, sink);
    log.info({
      fields: { password: 'pw-1' },
      secrets: { refreshToken: 'rt-1' },
      req: { headers: { authorization: 'Bearer t-1' } },
    });
    log.info({ connection: { password: 'pw-2', token: 't-2', clientSecret: 's-2' }, codeVerifier: 'v-1' });
    for (const s of ['pw-1', 'rt-1', 't-1', 'pw-2', 't-2', 's-2', 'v-1']) expect(out).not.toContain(s);
    expect(out).toContain('[redacted]');
  });
});
